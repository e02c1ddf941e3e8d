"""Translations: gettext catalogues in locales/, compiled on demand, one locale per family."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from aiogram.types import TelegramObject, User
from aiogram.utils.i18n import I18n, I18nMiddleware
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.config import SUPPORTED_LOCALES

DOMAIN = "messages"


def compile_catalogs(locales_dir: Path, *, force: bool = False) -> list[Path]:
    """Compile every stale `.po` into `.mo` (skips ones whose `.mo` is newer). Returns what was written."""
    written = []
    for po_path in sorted(locales_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        mo_path = po_path.with_suffix(".mo")
        if not force and mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as f:
            catalog = read_po(f, locale=po_path.parent.parent.name)
        # written aside and renamed into place: processes starting together (instances, test workers) never read
        # a half-written catalogue (CI once saw "unpack requires a buffer of 4 bytes" from an empty .mo)
        part = mo_path.with_name(f".{mo_path.name}.{os.getpid()}")
        with part.open("wb") as f:
            write_mo(f, catalog)
        os.replace(part, mo_path)
        written.append(mo_path)
    return written


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
