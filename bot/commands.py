"""The command menu: the families' one, registered per language; the coordinators' own, per coordinator's chat."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.config import SUPPORTED_LOCALES
from bot.i18n import locale_scope

log = logging.getLogger(__name__)


def family_commands(i18n: I18n, locale: str) -> list[BotCommand]:
    with locale_scope(i18n, locale):
        items = [
            ("menu", _("Main menu")),
            ("card", _("Family card")),
            ("help", _("Urgent help and what the bot can do")),
            ("volunteer", _("Become a volunteer of the centre")),
            ("language", _("Change language")),
            ("privacy", _("How we keep your data")),
            ("mydata", _("Get a copy of my data")),
            ("forget", _("Erase my data")),
        ]
    return [BotCommand(command=c, description=d) for c, d in items]


def coordinator_commands(i18n: I18n, locale: str) -> list[BotCommand]:
    """What a coordinator works with, then the family commands (a coordinator's private chat is also theirs)."""
    with locale_scope(i18n, locale):
        items = [
            ("stats", _("Figures and the report for a period")),
            ("events", _("Events, courses and clubs")),
            ("aid", _("Material help requests")),
            ("volunteers", _("Volunteers")),
            ("broadcast", _("A new broadcast")),
            ("broadcasts", _("Broadcasts")),
            ("cards", _("Family card applications")),
            ("content", _("Content waiting for review")),
            ("staff", _("Staff and roles")),
            ("audit", _("Who did what")),
            ("status", _("The bot's state")),
        ]
    return [BotCommand(command=c, description=d) for c, d in items] + family_commands(i18n, locale)


async def set_commands(bot: Bot, i18n: I18n) -> None:
    scope = BotCommandScopeAllPrivateChats()
    await bot.set_my_commands(family_commands(i18n, i18n.default_locale), scope=scope)
    for locale in SUPPORTED_LOCALES:
        await bot.set_my_commands(family_commands(i18n, locale), scope=scope, language_code=locale)


async def set_coordinator_menu(bot: Bot, i18n: I18n, chat_id: int, *, on: bool) -> None:
    """The coordinators' menu in one person's private chat (on), or back to the families' one (off). One who
    never started the bot has no chat yet: logged, the menu comes with the next start."""
    scope = BotCommandScopeChat(chat_id=chat_id)
    try:
        if on:
            await bot.set_my_commands(coordinator_commands(i18n, i18n.default_locale), scope=scope)
        else:
            await bot.delete_my_commands(scope=scope)
    except TelegramAPIError as exc:
        log.info("coordinator menu for %s not set: %s", chat_id, exc)
