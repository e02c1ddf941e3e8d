"""The command menu, registered per language."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.config import SUPPORTED_LOCALES
from bot.i18n import locale_scope


def family_commands(i18n: I18n, locale: str) -> list[BotCommand]:
    with locale_scope(i18n, locale):
        items = [
            ("menu", _("Main menu")),
            ("card", _("Family card")),
            ("help", _("Urgent help and what the bot can do")),
            ("language", _("Change language")),
            ("privacy", _("How we keep your data")),
            ("mydata", _("Get a copy of my data")),
            ("forget", _("Erase my data")),
        ]
    return [BotCommand(command=c, description=d) for c, d in items]


async def set_commands(bot: Bot, i18n: I18n) -> None:
    scope = BotCommandScopeAllPrivateChats()
    await bot.set_my_commands(family_commands(i18n, i18n.default_locale), scope=scope)
    for locale in SUPPORTED_LOCALES:
        await bot.set_my_commands(family_commands(i18n, locale), scope=scope, language_code=locale)
