"""Editable content under `data/`: regions, organisations, the privacy notice and canned operator answers,
loaded together and checked against each other (`load_content`, `validate`). Each file's models live in their
own module: regions.py (with working hours), organisations.py, privacy_notice.py, canned.py, triage.py; what
they share (YAML reading, error messages, bilingual text, phones) in content_base.py.

Everything here is pure (no Telegram, no database). Files are loaded into pydantic models;
`validate(data_dir)` returns human-readable problems instead of raising, so a coordinator editing YAML sees
*all* mistakes at once.

Rules enforced for content:
- every family-facing text exists in Russian and English;
- every contact (phone, address, URL, hours) has a `source`, an `as_of` and a `review_by` date;
- a region whose Family Resource Centre contacts are unknown says `contacts_status: unknown` and leaves
  them empty — the bot then routes the family to the federal line (`federal_line` in `regions.yaml`);
- time zones are real IANA zones; phone numbers have a sane shape; ids are unique.

Working hours (`is_open`, `next_open`) are the service's own configuration, evaluated in the region's
time zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from bot.services.canned import CannedAnswer, load_canned
from bot.services.content_base import (
    _LONG_PHONE_IN_TEXT,
    CANNED_DIR,
    FEDERAL,
    LANGS,
    ORGANISATIONS_FILE,
    OTHER_REGION,
    REGIONS_FILE,
    TRIAGE_FILE,
    ContentError,
    I18n,
    phone_digits,
)
from bot.services.organisations import Organisation, OrganisationsFile, load_organisations
from bot.services.privacy_notice import Privacy, load_privacy
from bot.services.regions import FederalLine, Region, RegionsFile, load_regions
from bot.services.triage import TriageTree, load_triage

__all__ = ["Content", "load_content", "validate"]


# ------------------------------------------------------------------------------------------------
# The bundle
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Content:
    regions: dict[str, Region]
    federal_line: FederalLine
    kinds: dict[str, I18n]
    organisations: tuple[Organisation, ...]
    privacy: Privacy
    canned: dict[str, CannedAnswer]
    triage: TriageTree

    def region(self, code: str | None) -> Region:
        """The region by code; the `other` region (federal line) for None or an unknown code."""
        return self.regions.get(code or OTHER_REGION) or self.regions[OTHER_REGION]

    def organisation(self, org_id: str) -> Organisation:
        for org in self.organisations:
            if org.id == org_id:
                return org
        raise KeyError(org_id)

    def federal_line_organisations(self) -> list[Organisation]:
        return [self.organisation(i) for i in self.federal_line.organisations]


def _cross_check(
    regions: RegionsFile | None,
    orgs: OrganisationsFile | None,
    canned: Mapping[str, CannedAnswer] | None,
    triage: TriageTree | None,
    today: date | None,
) -> list[str]:
    errors: list[str] = []
    org_by_id = {o.id: o for o in orgs.organisations} if orgs else {}
    if regions and orgs:
        codes = {r.code for r in regions.regions}
        for org in orgs.organisations:
            if org.region != FEDERAL and (org.region not in codes or org.region == OTHER_REGION):
                errors.append(
                    f"{ORGANISATIONS_FILE}: organisations[{org.id}].region: unknown region {org.region!r} "
                    f"(use `federal` or a code from {REGIONS_FILE})"
                )
        for org_id in regions.federal_line.organisations:
            org = org_by_id.get(org_id)
            if org is None:
                errors.append(f"{REGIONS_FILE}: federal_line.organisations: unknown organisation {org_id!r}")
            elif not org.is_federal:
                errors.append(f"{REGIONS_FILE}: federal_line.organisations: {org_id!r} is not federal")
    if canned is not None and orgs:
        for answer in canned.values():
            for ref in answer.refs:
                if ref not in org_by_id:
                    errors.append(f"{CANNED_DIR}: {answer.code}.refs: unknown organisation {ref!r}")
            known = {
                phone_digits(p.number)
                for ref in answer.refs
                if ref in org_by_id
                for p in org_by_id[ref].phones
            }
            for lang in LANGS:
                for found in _LONG_PHONE_IN_TEXT.findall(answer.text.get(lang)):
                    if phone_digits(found) not in known:
                        errors.append(
                            f"{CANNED_DIR}: {answer.code}.text.{lang}: phone {found.strip()!r} is not a "
                            "phone of an organisation listed in `refs` (numbers must come from "
                            "organisations.yaml)"
                        )
    if triage is not None and orgs:
        for outcome in triage.outcomes.values():
            kind = outcome.route.kind
            if kind is not None and kind not in orgs.kinds:
                errors.append(
                    f"{TRIAGE_FILE}: outcomes.{outcome.id}.route.kind: unknown directory kind {kind!r}"
                )
    if today is not None:
        for org in orgs.organisations if orgs else ():
            if org.review_by < today:
                errors.append(
                    f"{ORGANISATIONS_FILE}: organisations[{org.id}]: review_by {org.review_by} has passed"
                )
        for region in regions.regions if regions else ():
            for label, block in (
                ("family_resource_centre", region.family_resource_centre),
                ("crisis_centre", region.crisis_centre),
            ):
                if block.review_by and block.review_by < today:
                    errors.append(
                        f"{REGIONS_FILE}: {region.code}.{label}: review_by {block.review_by} has passed"
                    )
    return errors


def _collect(data_dir: Path, today: date | None) -> tuple[list[str], dict[str, Any]]:

    loaded: dict[str, Any] = {}
    errors: list[str] = []
    loaders = (
        ("regions", load_regions),
        ("organisations", load_organisations),
        ("privacy", load_privacy),
        ("canned", load_canned),
        ("triage", load_triage),
    )
    for key, loader in loaders:
        try:
            loaded[key] = loader(data_dir)
        except ContentError as exc:
            errors.extend(exc.errors)
    errors.extend(
        _cross_check(
            loaded.get("regions"),
            loaded.get("organisations"),
            loaded.get("canned"),
            loaded.get("triage"),
            today,
        )
    )
    return errors, loaded


def validate(data_dir: Path, *, today: date | None = None) -> list[str]:
    """All content problems as readable lines; an empty list means the content is good.

    With `today`, entries whose `review_by` date has passed are reported too (use it at start-up or in CI
    before a release; tests pass a fixed date).
    """
    errors, _ = _collect(Path(data_dir), today)
    return errors


def load_content(data_dir: Path, *, today: date | None = None) -> Content:
    """Load and validate everything; raise ContentError listing every problem."""
    errors, loaded = _collect(Path(data_dir), today)
    if errors:
        raise ContentError(errors)
    regions: RegionsFile = loaded["regions"]
    orgs: OrganisationsFile = loaded["organisations"]
    return Content(
        regions={r.code: r for r in regions.regions},
        federal_line=regions.federal_line,
        kinds=dict(orgs.kinds),
        organisations=tuple(orgs.organisations),
        privacy=loaded["privacy"],
        canned=loaded["canned"],
        triage=loaded["triage"],
    )
