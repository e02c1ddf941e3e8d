"""Dates, money, ages and fact values in words, in Russian and English (the screener's trace and the cards)."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.services import dates
from bot.services.measures.facts import INF, NO_CHILDREN, Interval
from bot.services.measures.loader import Catalogue
from bot.services.measures.models import FactDef

_RU_MONTHS = "января февраля марта апреля мая июня июля августа сентября октября ноября декабря".split()


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


def _plural_ru(n: int, one: str, few: str, many: str) -> str:
    n = abs(n)
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def _age_text(years: float, lang: str) -> str:
    months_total = round(years * 12)
    y, m = divmod(months_total, 12)
    if lang == "en":
        parts = [f"{y} year{'s' if y != 1 else ''}"] if y else []
        if m:
            parts.append(f"{m} month{'s' if m != 1 else ''}")
        return " ".join(parts) or "under 1 month"
    parts = [f"{y} {_plural_ru(y, 'год', 'года', 'лет')}"] if y else []
    if m:
        parts.append(f"{m} мес.")
    return " ".join(parts) or "меньше месяца"


def _num_text(v: float, unit: str | None, lang: str) -> str:
    if unit == "years":
        return _age_text(v, lang)
    n = int(v) if float(v).is_integer() else v
    if unit == "weeks":
        return f"{n} {'weeks' if lang == 'en' else _plural_ru(int(v), 'неделя', 'недели', 'недель')}"
    if unit == "days":
        return f"{n} {'days' if lang == 'en' else _plural_ru(int(v), 'день', 'дня', 'дней')}"
    return str(n)


def describe_value(fd: FactDef | None, value: Any, lang: str, catalogue: Catalogue | None = None) -> str:
    en = lang == "en"
    unit = fd.unit if fd else None
    if value is NO_CHILDREN:
        return "no children yet" if en else "детей пока нет"
    if isinstance(value, bool):
        return ("yes" if value else "no") if en else ("да" if value else "нет")
    if isinstance(value, Interval):
        if value.exact:
            return _num_text(value.lo, unit, lang)
        if value.hi == INF:
            if value.lo <= 0:
                return "unknown" if en else "неизвестно"
            return (
                f"{_num_text(value.lo, unit, lang)}+"
                if unit != "years"
                else (
                    f"at least {_age_text(value.lo, lang)}"
                    if en
                    else f"не меньше {_age_text(value.lo, lang)}"
                )
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
