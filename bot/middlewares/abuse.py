"""Flood control and staff mutes, as an outer middleware on the routers' messages, edits and buttons.

Staff are exempt. A message showing danger always goes through (the crisis path answers it with emergency
contacts), whatever the limits: safety first. Over the limit or muted, the person is told once, kindly; the
rest is dropped without an answer (a button still gets its required, silent-ish answer).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject
from aiogram.utils.i18n import gettext as _

from bot.config import Settings
from bot.services import dates, moderation

log = logging.getLogger(__name__)


class AbuseMiddleware(BaseMiddleware):
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        if settings.redis_url:  # several instances: one window per family, shared
            self.gate: moderation.FloodGate | moderation.SharedFloodGate = moderation.SharedFloodGate(
                settings.redis_url, settings.redis_key("flood")
            )
        else:
            self.gate = moderation.FloodGate()

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        ctx = data.get("ctx")
        door: moderation.FloodDoor | None = data.get("flood_door")
        if ctx is None or ctx.is_staff:
            if ctx is not None and door is not None:
                door.exempt(ctx.user.id)  # staff are never held at the door either
            return await handler(event, data)
        if isinstance(event, Message):
            text = event.text or event.caption
            if text and data["catalog"].detector.detect(text) is not None:
                return await handler(event, data)  # a danger signal is never held back
        mute = moderation.mute_state(ctx.mute)  # read with the person (bot/services/people.py)
        if mute is not None:
            until = dates.day_month_time(mute.until.astimezone(self.settings.tz), ctx.locale)
            notice = _(
                "Your messages to the centre are paused until {until}. "
                "If you or your children are in danger, call 112."
            ).format(until=until)
            if door is not None and isinstance(event, Message) and event.chat.type == "private":
                door.give_back(ctx.user.id)  # not counted by the gate: not by the door either
            return await self._drop(event, data, "muted", notice if mute.first_notice else None)
        is_button = isinstance(event, CallbackQuery)
        limit = (
            self.settings.flood_buttons_per_minute if is_button else self.settings.flood_messages_per_minute
        )
        over, first = await self.gate.check(ctx.user.id, "button" if is_button else "message", limit)
        if over:
            notice = _(
                "You are writing faster than we can read. Please wait a minute and try again. "
                "If you are in danger, call 112."
            )
            return await self._drop(event, data, "flood", notice if first else None)
        return await handler(event, data)

    async def _drop(self, event: TelegramObject, data: dict[str, Any], why: str, notice: str | None) -> None:
        trace = data.get("trace")
        if trace is not None:
            trace["dropped"] = why
        if notice is not None:
            log.info("user over limits (%s): told once", why)
        if isinstance(event, CallbackQuery):
            await event.answer(notice or _("Please wait a little."), show_alert=notice is not None)
        elif isinstance(event, Message) and notice is not None and event.chat.type == "private":
            await event.answer(notice)
        return None
