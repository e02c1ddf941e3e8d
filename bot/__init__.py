"""«Семейное окно»: the Telegram bot (see README.md)."""

from bot.lazy_aiogram import install as _defer_aiogram_models

_defer_aiogram_models()  # before anything imports aiogram (bot/lazy_aiogram.py)
