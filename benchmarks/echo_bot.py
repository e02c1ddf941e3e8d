"""The framework floor: a bare aiogram echo bot with one JSON log line per update (as the real bot writes).

Run by throughput_bench.py against the same fake Bot API: it answers every message with its text and every
button press with an edit, nothing else (no database, no FSM storage beyond aiogram's memory default).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

log = logging.getLogger("bot.updates")


async def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    session = AiohttpSession(api=TelegramAPIServer.from_base(os.environ["TELEGRAM_API_URL"]))
    bot = Bot(os.environ["BOT_TOKEN"], session=session)
    dp = Dispatcher()
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="next", callback_data="next")]]
    )

    @dp.update.outer_middleware()
    async def timing(handler, event, data):
        started = time.perf_counter()
        try:
            return await handler(event, data)
        finally:
            ms = round((time.perf_counter() - started) * 1000, 1)
            log.info(json.dumps({"update_id": event.update_id, "kind": event.event_type, "ms": ms}))

    @dp.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "?", reply_markup=keyboard)

    @dp.callback_query()
    async def pressed(query: CallbackQuery) -> None:
        await query.answer()
        await query.message.edit_text(f"{query.message.text}.", reply_markup=keyboard)

    await bot.delete_webhook()
    await dp.start_polling(bot, polling_timeout=1, handle_signals=True)


if __name__ == "__main__":
    asyncio.run(main())
