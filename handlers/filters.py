"""Who may enter a router: role filters, and the polite refusal for everyone they keep out.

Each actor package puts its routers under one of these filters (declared once, on the router), instead of a check
at the top of every handler. `refusals()` answers the same commands and buttons for the people a filter keeps
out; it reads them off the guarded router, so a command is declared only where it is handled.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiogram import Router
from aiogram.filters import Command, Filter, StateFilter
from aiogram.filters.callback_data import CallbackData, CallbackQueryFilter
from aiogram.types import CallbackQuery, Message, TelegramObject

from bot.config import Settings
from bot.middlewares.context import UserContext


class IsCoordinator(Filter):
    """A coordinator or an administrator (settings or staff record), in a private chat — or, given the settings,
    also in the coordinators' chat (COORDINATOR_CHAT_ID)."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.chat_id = settings.coordinator_chat_id if settings is not None else None

    async def __call__(self, event: TelegramObject, ctx: Any = None, event_chat: Any = None) -> bool:
        if ctx is None or not ctx.is_coordinator or event_chat is None:
            return False
        return event_chat.type == "private" or (self.chat_id is not None and event_chat.id == self.chat_id)


class IsStaff(Filter):
    """Any active member of the centre's staff (operators, specialists, crisis staff, supervisors, coordinators)."""

    async def __call__(self, event: TelegramObject, ctx: Any = None) -> bool:
        return ctx is not None and ctx.is_staff


def role_of(ctx: UserContext) -> str:
    """The role a coordinator acts in, for the audit log."""
    return "admin" if "admin" in ctx.roles else "coordinator"


def commands_of(router: Router) -> list[str]:
    """The commands that start something on ``router`` and its sub-routers (not those only valid in a state)."""
    names: list[str] = []
    for r in router.chain_tail:
        for handler in r.message.handlers:
            callbacks = [f.callback for f in handler.filters or []]
            if any(isinstance(c, StateFilter) for c in callbacks):
                continue
            for c in callbacks:
                if isinstance(c, Command):
                    names += [n for n in c.commands if isinstance(n, str) and n not in names]
    return names


def buttons_of(router: Router) -> list[type[CallbackData]]:
    """The CallbackData classes whose buttons ``router`` and its sub-routers answer."""
    classes: list[type[CallbackData]] = []
    for r in router.chain_tail:
        for handler in r.callback_query.handlers:
            for f in handler.filters or []:
                if isinstance(f.callback, CallbackQueryFilter) and f.callback.callback_data not in classes:
                    classes.append(f.callback.callback_data)
    return classes


def refusals(guarded: Router, text: Callable[[], str], *, name: str) -> Router:
    """A router for after ``guarded``: its commands and buttons, from anyone its filter kept out, get ``text``."""
    router = Router(name=name)
    commands, buttons = commands_of(guarded), buttons_of(guarded)

    async def refuse_command(message: Message) -> None:
        await message.answer(text())

    async def refuse_button(call: CallbackQuery) -> None:
        await call.answer(text(), show_alert=True)

    if commands:
        router.message.register(refuse_command, Command(*commands))
    for button in buttons:
        router.callback_query.register(refuse_button, button.filter())
    return router
