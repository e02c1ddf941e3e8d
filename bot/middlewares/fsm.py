"""aiogram's FSM middleware in two parts, so that the chat's state is read in the update's own session.

aiogram's ``FSMContextMiddleware`` takes the chat's lock and reads the chat's state, and it is the first of the
update's middlewares: with our storage (bot/fsm_storage.py) that read opened a database session of its own, before
the claim and the update's session (bot/middlewares/db.py), and the handlers read the same row again in the update's
session — two sessions and two reads of the row per update. Here the lock is taken where aiogram takes it (first,
so a chat's updates keep their order through the claim), and the state is read after the update's session has
opened, once: the row it reads is the one the handlers then read and write (``SqlStorage`` keeps it per session).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, cast

from aiogram import BaseMiddleware, Bot
from aiogram.fsm.context import FSMContext
from aiogram.fsm.middleware import FSMContextMiddleware
from aiogram.types import TelegramObject

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class ChatTurnMiddleware(FSMContextMiddleware):
    """The chat's lock and its FSM context, without reading the state (:class:`StateReadMiddleware` does)."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        context = self.resolve_event_context(cast(Bot, data["bot"]), data)
        data["fsm_storage"] = self.storage
        if context is None:
            return await handler(event, data)
        # the state is read under the lock (aiogram #1317), by StateReadMiddleware
        async with self.events_isolation.lock(key=context.key):
            data["state"] = context
            return await handler(event, data)


class StateReadMiddleware(BaseMiddleware):
    """Reads the chat's state for the routers' state filters (``raw_state``) inside the update's session."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        context = data.get("state")
        if isinstance(context, FSMContext):
            data["raw_state"] = await context.get_state()
        return await handler(event, data)
