"""The domain services' own words, kept in locales/ with every other text of the bot.

The services import no aiogram, so they read the same gettext catalogues themselves. A sentence is written in the
code as its English msgid, marked with ``N_`` where it is defined apart from its use (pybabel extracts ``N_``,
``gettext`` and ``ngettext``: ``make i18n``), and ``gettext(msgid, lang)`` / ``ngettext(one, many, n, lang)`` give it
in a family's language — plural forms by the catalogue's rule, never by hand. The catalogues are those of the
repository (``locales/``), compiled when stale as at the bot's start."""

from __future__ import annotations

import functools
import gettext as _gettext
import os
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.config import ROOT

DOMAIN = "messages"
LOCALES_DIR = ROOT / "locales"  # the default of Settings.locales_dir


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


def N_(message: str) -> str:
    """Marks a msgid for pybabel where the text is defined; it is translated where it is used."""
    return message


@functools.cache
def _translations(lang: str) -> _gettext.NullTranslations:
    compile_catalogs(LOCALES_DIR)
    # no fallback: a missing catalogue would show the English msgids to a Russian-speaking family without a word
    return _gettext.translation(DOMAIN, LOCALES_DIR, languages=[lang])


def gettext(message: str, lang: str) -> str:
    return _translations(_supported(lang)).gettext(message)


def ngettext(singular: str, plural: str, n: int, lang: str) -> str:
    return _translations(_supported(lang)).ngettext(singular, plural, n)


def _supported(lang: str) -> str:
    return "en" if lang == "en" else "ru"  # as Text.get reads a language
