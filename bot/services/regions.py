"""Regions (`data/regions.yaml`): their centres' contacts, the federal line, and working hours in the region's
time zone (`is_open`, `next_open`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from bot.services.content_base import (
    _REGION_CODE,
    _SPAN,
    OTHER_REGION,
    REGIONS_FILE,
    I18n,
    Phone,
    _check_url,
    _load_model,
    _Model,
)

# ------------------------------------------------------------------------------------------------
# Regions
# ------------------------------------------------------------------------------------------------

WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def parse_spans(value: str | None) -> tuple[tuple[time, time | None], ...]:
    """Parse `"09:00-18:00"`, `"09:00-13:00, 14:00-18:00"`, `"20:00-02:00"` (over midnight), `"00:00-24:00"`.

    Returns (start, end) pairs; end None means 24:00. Empty / None / "closed" → no spans (closed all day).
    """
    if value is None or not str(value).strip() or str(value).strip().lower() == "closed":
        return ()
    spans: list[tuple[time, time | None]] = []
    for part in str(value).split(","):
        m = _SPAN.match(part.strip())
        if not m:
            raise ValueError(f"working hours {part.strip()!r} must look like 09:00-18:00")
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2):
            raise ValueError(f"working hours {part.strip()!r}: not a valid time")
        start = time(h1, m1)
        end = None if h2 == 24 else time(h2, m2)
        if end == start:
            raise ValueError(f"working hours {part.strip()!r}: start and end are equal (use 00:00-24:00)")
        spans.append((start, end))
    return tuple(spans)


class ContactBlock(_Model):
    """Contacts of a region's Family Resource Centre or crisis centre. Unknown → everything empty."""

    contacts_status: Literal["known", "unknown"]
    name: I18n | None = None
    phones: list[Phone] = Field(default_factory=list)
    address: str | None = None
    hours: I18n | None = None
    url: str | None = None
    source: str | None = None
    as_of: date | None = None
    review_by: date | None = None

    @field_validator("url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        return _check_url(v)

    @model_validator(mode="after")
    def _consistent(self) -> ContactBlock:
        if self.contacts_status == "known":
            missing = [f for f in ("name", "source", "as_of", "review_by") if not getattr(self, f)]
            if missing:
                raise ValueError(
                    "contacts_status is `known` but "
                    + ", ".join(f"`{m}`" for m in missing)
                    + " is missing"
                    + (" — no contact without a source" if "source" in missing else "")
                )
            if not self.phones and not self.url and not self.address:
                raise ValueError("contacts_status is `known` but no phone, address or url is given")
        else:
            filled = [f for f in ("phones", "address", "hours", "url") if getattr(self, f)]
            if filled:
                raise ValueError(
                    "contacts_status is `unknown` but "
                    + ", ".join(f"`{f}`" for f in filled)
                    + " are filled — set contacts_status: known and give a source"
                )
        return self

    @property
    def known(self) -> bool:
        return self.contacts_status == "known"


class Region(_Model):
    code: str
    name: I18n
    timezone: str
    family_resource_centre: ContactBlock
    crisis_centre: ContactBlock
    operator_chat_id: int | None = None
    working_hours: dict[Weekday, str | None]
    holidays: list[date] = Field(default_factory=list)

    @field_validator("code")
    @classmethod
    def _code(cls, v: str) -> str:
        if v != OTHER_REGION and not _REGION_CODE.match(v):
            raise ValueError(f"region code {v!r} must be ISO 3166-2 like RU-PNZ, or `other`")
        return v

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {v!r} (use an IANA name such as Europe/Moscow)") from exc
        return v

    @field_validator("working_hours")
    @classmethod
    def _hours(cls, v: dict[str, str | None]) -> dict[str, str | None]:
        missing = [d for d in WEEKDAYS if d not in v]
        if missing:
            raise ValueError("working_hours must list every weekday; missing: " + ", ".join(missing))
        for value in v.values():
            parse_spans(value)
        if not any(parse_spans(value) for value in v.values()):
            raise ValueError("working_hours: the service is never open (at least one day needs hours)")
        return v

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def uses_federal_line(self) -> bool:
        """True when the region has no known Family Resource Centre contacts: route to the federal line."""
        return self.code == OTHER_REGION or not self.family_resource_centre.known

    def spans(self, day: date) -> tuple[tuple[time, time | None], ...]:
        """Opening spans that *start* on `day` (local), empty on holidays."""
        if day in self.holidays:
            return ()
        return parse_spans(self.working_hours.get(WEEKDAYS[day.weekday()]))


class FederalLine(_Model):
    """Where a family goes when its region has no known centre: the bot's federal operators + these lines."""

    organisations: list[str]
    note: I18n


class RegionsFile(_Model):
    version: int
    federal_line: FederalLine
    regions: list[Region]

    @model_validator(mode="after")
    def _unique(self) -> RegionsFile:
        codes = [r.code for r in self.regions]
        dupes = sorted({c for c in codes if codes.count(c) > 1})
        if dupes:
            raise ValueError("duplicate region codes: " + ", ".join(dupes))
        if OTHER_REGION not in codes:
            raise ValueError("an `other` region is required (routes to the federal line)")
        return self


def load_regions(data_dir: Path) -> RegionsFile:
    return _load_model(RegionsFile, Path(data_dir) / REGIONS_FILE)


# ------------------------------------------------------------------------------------------------
# Working hours
# ------------------------------------------------------------------------------------------------


def _local(region: Region, at: datetime) -> datetime:
    """`at` in the region's zone; a naive datetime is taken as UTC."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(region.tz)


def _windows(region: Region, days: Iterable[date]) -> Iterable[tuple[datetime, datetime]]:
    tz = region.tz
    for day in days:
        for start, end in region.spans(day):
            opens = datetime.combine(day, start, tzinfo=tz)
            if end is None:
                closes = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
            elif end > start:
                closes = datetime.combine(day, end, tzinfo=tz)
            else:  # crosses midnight: belongs to the day it starts on
                closes = datetime.combine(day + timedelta(days=1), end, tzinfo=tz)
            yield opens, closes


def is_open(region: Region, at: datetime) -> bool:
    """Are the region's operators on duty at `at`? A span belongs to the day it starts on; holidays close."""
    local = _local(region, at)
    days = (local.date() - timedelta(days=1), local.date())
    return any(opens <= local < closes for opens, closes in _windows(region, days))


def next_open(region: Region, at: datetime, *, horizon_days: int = 400) -> datetime:
    """`at` itself (in the region's zone) when open, else the next opening moment in the region's zone."""
    local = _local(region, at)
    if is_open(region, local):
        return local
    first = local.date() - timedelta(days=1)
    days = (first + timedelta(days=i) for i in range(horizon_days + 1))
    for opens, _closes in _windows(region, days):
        if opens > local:
            return opens
    raise ValueError(f"region {region.code}: no opening time within {horizon_days} days")
