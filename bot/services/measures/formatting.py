"""Dates, money, ages and fact values in words, in Russian and English (the screener's trace and the cards)."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.services import dates
from bot.services.measures.facts import INF, NO_CHILDREN, Interval
from bot.services.measures.loader import Catalogue
from bot.services.measures.models import FactDef
from bot.services.texts import gettext, ngettext


def format_date(d: date, lang: str) -> str:
    """«1 февраля 2026 г.» / «1 February 2026»."""
    return dates.full(d, lang)


# ----------------------------------------------------------------------------------------------------- formatting

NBSP = "\u00a0"


def format_money(value: float, lang: str) -> str:
    cents = round(value * 100) % 100
    whole = round(value * 100) // 100
    sep = NBSP if lang != "en" else ","
    grouped = f"{whole:,}".replace(",", sep)
    if cents:
        grouped += ("," if lang != "en" else ".") + f"{cents:02d}"
    return f"{grouped}{NBSP}₽"


def _age_text(years: float, lang: str) -> str:
    months_total = round(years * 12)
    y, m = divmod(months_total, 12)
    parts = [ngettext("{n} year", "{n} years", y, lang).format(n=y)] if y else []
    if m:
        parts.append(ngettext("{n} month", "{n} months", m, lang).format(n=m))
    return " ".join(parts) or gettext("under 1 month", lang)


def _num_text(v: float, unit: str | None, lang: str) -> str:
    if unit == "years":
        return _age_text(v, lang)
    n = int(v) if float(v).is_integer() else v
    if unit == "weeks":
        return ngettext("{n} week", "{n} weeks", int(v), lang).format(n=n)
    if unit == "days":
        return ngettext("{n} day", "{n} days", int(v), lang).format(n=n)
    return str(n)


def describe_value(fd: FactDef | None, value: Any, lang: str, catalogue: Catalogue | None = None) -> str:
    unit = fd.unit if fd else None
    if value is NO_CHILDREN:
        return gettext("no children yet", lang)
    if isinstance(value, bool):
        return gettext("yes", lang) if value else gettext("no", lang)
    if isinstance(value, Interval):
        if value.exact:
            return _num_text(value.lo, unit, lang)
        if value.hi == INF:
            if value.lo <= 0:
                return gettext("unknown", lang)
            return (
                f"{_num_text(value.lo, unit, lang)}+"
                if unit != "years"
                else gettext("at least {age}", lang).format(age=_age_text(value.lo, lang))
            )
        lo, hi = _num_text(value.lo, unit, lang), _num_text(value.hi, unit, lang)
        return f"{lo} – {hi}"
    if isinstance(value, int | float):
        return _num_text(float(value), unit, lang)
    if fd and fd.type == "region" and catalogue is not None:
        name = catalogue.region_name(value)
        if name:
            return name.get(lang)
    if fd and fd.values and isinstance(value, str) and value in fd.values:
        return fd.values[value].get(lang)
    if isinstance(value, list):
        return ", ".join(str(x) for x in value)
    return str(value)
