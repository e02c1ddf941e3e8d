"""Help organisations (`data/organisations.yaml`): hotlines, crisis and first-line contacts."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from bot.services.content_base import (
    _ID,
    FEDERAL,
    ORGANISATIONS_FILE,
    I18n,
    Phone,
    _check_url,
    _load_model,
    _Model,
)
from bot.services.geo import Location

# ------------------------------------------------------------------------------------------------
# Organisations
# ------------------------------------------------------------------------------------------------


class Organisation(_Model):
    id: str
    name: I18n
    description: I18n
    kinds: list[str] = Field(min_length=1)
    region: str
    phones: list[Phone] = Field(default_factory=list)
    address: str | None = None
    hours: I18n | None = None
    url: str | None = None
    free: bool | None = None
    anonymous: bool | None = None
    priority: int = 100
    status: Literal["sourced", "unverified"]
    note: I18n | None = None
    source: str
    as_of: date
    review_by: date
    # Places (data/places.yaml, bot/services/places.py): the city key, the page the entry comes from, and the
    # building's own coordinates when a source gives them (otherwise the city's gazetteer point is used).
    city: str | None = None
    source_url: str | None = None
    location: Location | None = None

    @field_validator("url", "source_url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        return _check_url(v)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not _ID.match(v):
            raise ValueError(f"id {v!r}: use lower-case latin letters, digits, - and _")
        return v

    @field_validator("source")
    @classmethod
    def _source(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("source is empty — every contact needs a source")
        return v.strip()

    @model_validator(mode="after")
    def _reachable(self) -> Organisation:
        if not self.phones and not self.url and not self.address:
            raise ValueError("give at least one way to reach it: phones, url or address")
        if self.review_by < self.as_of:
            raise ValueError("review_by is earlier than as_of")
        if self.status == "unverified" and self.note is None:
            raise ValueError("an `unverified` entry needs a `note` telling families what is uncertain")
        return self

    @property
    def is_federal(self) -> bool:
        return self.region == FEDERAL


class OrganisationsFile(_Model):
    version: int
    kinds: dict[str, I18n]
    organisations: list[Organisation]

    @model_validator(mode="after")
    def _refs(self) -> OrganisationsFile:
        problems: list[str] = []
        ids = [o.id for o in self.organisations]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            problems.append("duplicate organisation ids: " + ", ".join(dupes))
        for org in self.organisations:
            unknown = [k for k in org.kinds if k not in self.kinds]
            if unknown:
                problems.append(f"organisation {org.id}: unknown kinds {', '.join(unknown)}")
        if problems:
            raise ValueError("; ".join(problems))
        return self


def load_organisations(data_dir: Path) -> OrganisationsFile:
    return _load_model(OrganisationsFile, Path(data_dir) / ORGANISATIONS_FILE)
