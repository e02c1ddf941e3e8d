"""The date the bot's content goes by: which amounts are in force, what is past its review date.

`CLOCK_OFFSET_DAYS` moves this clock forward (or back) for a rehearsal: how the bot will look on 1 February 2027,
whether the stale-content digest fires, when events' registrations close and their reminders fall due
(services/events). It touches nothing else (database timestamps, other reminders, Telegram).
Leave it at 0 in production.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo

_offset = timedelta(0)


def set_offset_days(days: float) -> None:
    global _offset
    _offset = timedelta(days=days)


def now(tz: tzinfo | None = None) -> datetime:
    return datetime.now(tz or UTC) + _offset


def today(tz: tzinfo | None = None) -> date:
    """Today in the service's time zone (or UTC), moved by the offset."""
    return now(tz).date()
