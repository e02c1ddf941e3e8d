"""A changed privacy notice asks for consent again: until the family agrees to the new version, its messages
and buttons get the new notice and a choice (agree, read it in full, or withdraw consent and erase). Danger
signals are answered before this (the crisis middleware runs first); /privacy, /mydata, /forget work."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject
from aiogram.utils.i18n import gettext as _

from bot.middlewares.context import UserContext
from bot.services import dates
from bot.services.catalog import Catalog
from bot.views.callbacks import Consent, Setting
from bot.views.ui import kb, show

# What a family may still do before agreeing to the new notice.
FREE_COMMANDS = frozenset({"privacy", "mydata", "forget", "withdraw", "help", "language"})
FREE_CALLBACK_PREFIXES = ("consent:", "crisis:", "lang:", "set:forget", "set:withdraw", "set:language")


def needs_reconsent(ctx: UserContext | None, catalog: Catalog) -> bool:
    return bool(ctx and ctx.consented and ctx.family.consent_version != catalog.privacy_version)


def reconsent_text(catalog: Catalog, locale: str) -> str:
    privacy = catalog.content.privacy
    head = _(
        "<b>Our privacy notice has changed</b> (version {version} of {date}). "
        "We keep your data only with your consent, so please read it and agree again to continue."
    ).format(version=privacy.version, date=dates.full(privacy.date, locale))
    return head + "\n\n" + catalog.privacy_consent_text(locale)


def reconsent_kb():
    return kb(
        [(_("I agree"), Consent(action="yes"))],
        [(_("Full privacy notice"), Consent(action="notice"))],
        [(_("Withdraw consent"), Setting(name="withdraw"))],
    )


def _command(message: Message) -> str | None:
    text = message.text or ""
    if not text.startswith("/"):
        return None
    return text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower() if len(text) > 1 else ""


class ReconsentMiddleware(BaseMiddleware):
    """Outer middleware on the family router's messages and buttons, after the crisis middleware."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        catalog: Catalog = data["catalog"]
        ctx: UserContext | None = data.get("ctx")
        if not needs_reconsent(ctx, catalog):
            return await handler(event, data)
        if isinstance(event, Message):
            if event.chat.type != "private" or _command(event) in FREE_COMMANDS:
                return await handler(event, data)
            await event.answer(reconsent_text(catalog, ctx.locale), reply_markup=reconsent_kb())
        elif isinstance(event, CallbackQuery):
            if (event.data or "").startswith(FREE_CALLBACK_PREFIXES):
                return await handler(event, data)
            await event.answer()
            await show(event, reconsent_text(catalog, ctx.locale), reconsent_kb())
        else:
            return await handler(event, data)
        trace = data.get("trace")
        if trace is not None:
            trace["handler"] = "family.reconsent"
        return None
