"""Translations: gettext catalogues in locales/, compiled on demand, one locale per family."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from aiogram.types import TelegramObject, User
from aiogram.utils.i18n import I18n, I18nMiddleware

from bot.config import SUPPORTED_LOCALES
from bot.services.texts import DOMAIN, compile_catalogs

__all__ = ["DOMAIN", "DbI18nMiddleware", "compile_catalogs", "guess_locale", "locale_scope", "make_i18n"]


def make_i18n(locales_dir: Path, default_locale: str) -> I18n:
    compile_catalogs(locales_dir)
    return I18n(path=locales_dir, default_locale=default_locale, domain=DOMAIN)


@contextmanager
def locale_scope(i18n: I18n, locale: str) -> Iterator[None]:
    """Texts in ``locale``: the one way to render in a family's (or the staff groups') language, inside an update
    (someone else's language) and outside any (the relay worker, the broadcaster, scheduled jobs, the CLI)."""
    with i18n.context(), i18n.use_locale(locale):
        yield


def guess_locale(user: User | None, default: str) -> str:
    code = (user.language_code or "").split("-")[0].lower() if user else ""
    return code if code in SUPPORTED_LOCALES else default


class DbI18nMiddleware(I18nMiddleware):
    """Locale from the family's saved language (database), then the pre-consent choice, then Telegram's guess."""

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        ctx = data.get("ctx")
        if ctx is not None and ctx.locale:
            return ctx.locale
        return guess_locale(data.get("event_from_user"), self.i18n.default_locale)
