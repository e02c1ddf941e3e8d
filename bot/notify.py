"""Private messages to the coordinators (card applications, proposed offers): one rule for who they are."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.services.staff import coordinator_ids

log = logging.getLogger(__name__)


async def notify_coordinators(
    bot: Bot, session: AsyncSession, settings: Settings, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """A new message to every coordinator's private chat; one who never started the bot is skipped."""
    for chat_id in await coordinator_ids(session, settings):
        try:
            await bot.send_message(chat_id, text, reply_markup=markup)
        except TelegramAPIError as exc:
            log.info("coordinator %s not notified: %s", chat_id, exc)
