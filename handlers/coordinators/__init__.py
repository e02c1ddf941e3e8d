"""Coordinators: broadcasts, reports, staff and the audit log — in a private chat with the bot or in the
coordinators' chat (COORDINATOR_CHAT_ID). Only coordinators and administrators enter; everyone else who tries a
coordinators' command or button is told so. The announcement buttons families tap live here too."""

from __future__ import annotations

from typing import Any

from aiogram import Router
from aiogram.filters import Command, Filter
from aiogram.types import CallbackQuery, Message, TelegramObject
from aiogram.utils.i18n import gettext as _

from bot.config import Settings
from handlers.coordinators import admin, broadcast, content_import, content_review, family, stats, status
from handlers.coordinators.callbacks import BcAct, Stat

COMMANDS = ("broadcast", "broadcasts", "stats", "staff", "audit", "status", "content")


class IsCoordinator(Filter):
    """A coordinator or an administrator, in a private chat or in the coordinators' chat."""

    def __init__(self, settings: Settings) -> None:
        self.chat_id = settings.coordinator_chat_id

    async def __call__(self, event: TelegramObject, ctx: Any = None, event_chat: Any = None) -> bool:
        if ctx is None or not ctx.is_coordinator or event_chat is None:
            return False
        return event_chat.type == "private" or event_chat.id == self.chat_id


def get_router(settings: Settings) -> Router:
    root = Router(name="coordinators")
    staff_side = Router(name="coordinators.staff")
    for observer in (staff_side.message, staff_side.callback_query):
        observer.filter(IsCoordinator(settings))
    staff_side.include_routers(
        broadcast.router,
        stats.router,
        admin.router,
        status.router,
        content_review.router,
        content_import.router,
    )

    refuse = Router(name="coordinators.refuse")

    @refuse.message(Command(*COMMANDS))
    async def refuse_command(message: Message) -> None:
        await message.answer(_("This is only for the centre's coordinators."))

    @refuse.callback_query(BcAct.filter())
    @refuse.callback_query(Stat.filter())
    @refuse.callback_query(content_import.CImp.filter())
    async def refuse_button(call: CallbackQuery) -> None:
        await call.answer(_("This is only for the centre's coordinators."), show_alert=True)

    root.include_routers(staff_side, family.router, refuse)
    return root
