"""Events' times: a series' sessions in the region's time zone, when the reminders fall due, the .ics file.

Times are kept in UTC and computed from the region's wall clock: a weekly club at 18:00 stays at 18:00 local
when the zone's offset changes. No database, no Telegram here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

MAX_SESSIONS = 20
DAY_BEFORE_AT = time(18, 0)  # the reminder the day before, at this local time
SOON_BEFORE = timedelta(hours=2)  # the second reminder, this long before the start


def series_starts(
    first_day: date, at: time, tz: ZoneInfo, sessions: int, every_days: int = 7
) -> list[datetime]:
    """The UTC starts of ``sessions`` sessions from ``first_day`` at ``at`` local time, ``every_days`` apart."""
    if not 1 <= sessions <= MAX_SESSIONS or every_days < 1:
        raise ValueError("a series has 1–20 sessions at least a day apart")
    return [
        datetime.combine(first_day + timedelta(days=every_days * i), at, tzinfo=tz).astimezone(UTC)
        for i in range(sessions)
    ]


def local(at: datetime, tz: ZoneInfo) -> datetime:
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(tz)


def day_before_at(starts_at: datetime, tz: ZoneInfo) -> datetime:
    """The first reminder: the previous local day at DAY_BEFORE_AT (UTC)."""
    day = local(starts_at, tz).date() - timedelta(days=1)
    return datetime.combine(day, DAY_BEFORE_AT, tzinfo=tz).astimezone(UTC)


def soon_at(starts_at: datetime) -> datetime:
    return starts_at - SOON_BEFORE


def due_reminder(starts_at: datetime, tz: ZoneInfo, now: datetime) -> str | None:
    """Which reminder is due at ``now``: «day» (from the day before until the second one), «soon» (from two
    hours before until the start), or None. A reminder whose time passed unsent is not sent late."""
    if now >= starts_at:
        return None
    if now >= soon_at(starts_at):
        return "soon"
    if now >= day_before_at(starts_at, tz):
        return "day"
    return None


def _ics_text(value: str) -> str:
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r", "")
        .replace("\n", "\\n")
    )


def _fold(line: str) -> list[str]:
    """RFC 5545: lines of at most 75 octets, continued with a leading space."""
    out: list[str] = []
    current = ""
    for ch in line:
        if len((current + ch).encode()) > (75 if not out else 74):
            out.append(current)
            current = ""
        current += ch
    out.append(current)
    return [out[0], *(" " + part for part in out[1:])]


def _stamp(at: datetime) -> str:
    return local(at, ZoneInfo("UTC")).strftime("%Y%m%dT%H%M%SZ")


@dataclass(frozen=True)
class CalendarEntry:
    uid: str
    title: str
    starts_at: datetime
    duration_min: int
    location: str
    description: str
    url: str | None = None


def calendar(entries: list[CalendarEntry], stamp: datetime | None = None) -> bytes:
    """A calendar file with the entries (times in UTC, so every calendar shows them in its own zone)."""
    stamped = _stamp(stamp or datetime.now(UTC))
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Semeynoe okno//events//RU",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ]
    for e in entries:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{e.uid}",
            f"DTSTAMP:{stamped}",
            f"DTSTART:{_stamp(e.starts_at)}",
            f"DTEND:{_stamp(e.starts_at + timedelta(minutes=e.duration_min))}",
            f"SUMMARY:{_ics_text(e.title)}",
            f"LOCATION:{_ics_text(e.location)}",
            f"DESCRIPTION:{_ics_text(e.description)}",
            *([f"URL:{e.url}"] if e.url else []),
            "BEGIN:VALARM",
            "TRIGGER:-PT2H",
            "ACTION:DISPLAY",
            f"DESCRIPTION:{_ics_text(e.title)}",
            "END:VALARM",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(part for line in lines for part in _fold(line)) + "\r\n").encode()


def ics(*, stamp: datetime | None = None, **entry: Any) -> bytes:
    """A calendar file with one event (see :class:`CalendarEntry` for the fields)."""
    return calendar([CalendarEntry(**entry)], stamp)
