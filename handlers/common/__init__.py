"""Updates that belong to no actor: the bot added to groups, blocked or unblocked in private chats."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.types import ChatMemberUpdated

from bot.config import Settings
from bot.db.session import AsyncSession
from bot.services.desk import DeskChats
from bot.services.families import get_family

log = logging.getLogger(__name__)


def get_router(settings: Settings) -> Router:
    router = Router(name="common")

    @router.my_chat_member(F.chat.type == "private")
    async def blocked_or_unblocked(event: ChatMemberUpdated, session: AsyncSession) -> None:
        family = await get_family(session, event.chat.id)
        if family is not None:
            family.is_active = event.new_chat_member.status not in {"kicked", "left"}

    @router.my_chat_member(F.chat.type.in_({"group", "supergroup", "channel"}))
    async def added_to_group(event: ChatMemberUpdated, desk_chats: DeskChats) -> None:
        if event.new_chat_member.status in {"left", "kicked"}:
            return
        if event.chat.id not in desk_chats.all:
            log.warning("added to an unconfigured chat %s; leaving", event.chat.id)
            await event.bot.leave_chat(event.chat.id)

    return router
