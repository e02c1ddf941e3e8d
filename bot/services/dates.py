"""Dates in words for families and staff: «7 декабря», «22 ноября 2026 г.», «7 December» (the tone guide)."""

from __future__ import annotations

from datetime import date, datetime

RU_MONTHS = "января февраля марта апреля мая июня июля августа сентября октября ноября декабря".split()
EN_MONTHS = "January February March April May June July August September October November December".split()


def day_month(d: date | datetime, lang: str) -> str:
    """«7 декабря» / «7 December»."""
    months = EN_MONTHS if lang == "en" else RU_MONTHS
    return f"{d.day} {months[d.month - 1]}"


def full(d: date | datetime, lang: str) -> str:
    """«22 ноября 2026 г.» / «22 November 2026»."""
    return f"{day_month(d, lang)} {d.year}" + ("" if lang == "en" else " г.")


def day_month_time(d: datetime, lang: str) -> str:
    """«7 декабря, 14:00» / «7 December, 14:00»."""
    return f"{day_month(d, lang)}, {d:%H:%M}"
