"""Small helpers shared by handlers: menus edit in place, news arrives as new messages."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from aiogram.exceptions import TelegramBadRequest
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

log = logging.getLogger(__name__)

Row = list[tuple[str, CallbackData | str]]
Buttons = Sequence[tuple[str, CallbackData | str]]  # what kb() reads: any row, of any CallbackData class


def kb(*rows: Buttons) -> InlineKeyboardMarkup:
    """Inline keyboard from rows of (label, callback data or URL)."""
    keyboard = []
    for row in rows:
        buttons = []
        for label, target in row:
            if isinstance(target, str) and target.startswith(("http://", "https://")):
                buttons.append(InlineKeyboardButton(text=label, url=target))
            else:
                data = target.pack() if isinstance(target, CallbackData) else target
                buttons.append(InlineKeyboardButton(text=label, callback_data=data))
        keyboard.append(buttons)
    return InlineKeyboardMarkup(inline_keyboard=keyboard)


def chunk(items: list, size: int) -> list[list]:
    return [items[i : i + size] for i in range(0, len(items), size)]


async def show(event: Message | CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Edit the menu message in place when navigating by button; send a new message for commands."""
    if isinstance(event, CallbackQuery):
        if isinstance(event.message, Message):
            try:
                await event.message.edit_text(text, reply_markup=markup)
                return
            except TelegramBadRequest as exc:
                if "not modified" in str(exc):
                    return
                log.info("could not edit a menu (%s); sending a new one", exc.message)
            await event.message.answer(text, reply_markup=markup)
        return
    await event.answer(text, reply_markup=markup)


def clip(text: str, limit: int = 4096) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
