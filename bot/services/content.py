"""Editable content under `data/`: regions, organisations, the privacy notice and canned operator answers.

Everything here is pure (no Telegram, no database). Files are loaded into pydantic models;
`validate(data_dir)` returns human-readable problems instead of raising, so a coordinator editing YAML sees
*all* mistakes at once.

Rules enforced for content (see `docs/domain.md` §11, §12 and `docs/measures-2026.md` §5, §8.7):
- every family-facing text exists in Russian and English;
- every contact (phone, address, URL, hours) has a `source`, an `as_of` and a `review_by` date;
- a region whose Family Resource Centre contacts are unknown says `contacts_status: unknown` and leaves
  them empty — the bot then routes the family to the federal line (`federal_line` in `regions.yaml`);
- time zones are real IANA zones; phone numbers have a sane shape; ids are unique.

Working hours (`is_open`, `next_open`) are the service's own configuration, evaluated in the region's
time zone.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.services import dates
from bot.services.yamlsafe import UniqueKeyLoader

if TYPE_CHECKING:
    from bot.services.triage import TriageTree

__all__ = [
    "FEDERAL",
    "LANGS",
    "OTHER_REGION",
    "WEEKDAYS",
    "CannedAnswer",
    "ContactBlock",
    "Content",
    "ContentError",
    "FederalLine",
    "I18n",
    "Organisation",
    "OrganisationsFile",
    "Phone",
    "Privacy",
    "Region",
    "RegionsFile",
    "Retention",
    "is_open",
    "load_canned",
    "load_content",
    "load_organisations",
    "load_privacy",
    "load_regions",
    "next_open",
    "validate",
]

LANGS = ("ru", "en")
LANG_NAMES = {"ru": "Russian (ru)", "en": "English (en)"}
FEDERAL = "federal"
OTHER_REGION = "other"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

REGIONS_FILE = "regions.yaml"
ORGANISATIONS_FILE = "organisations.yaml"
PRIVACY_FILE = "privacy.yaml"
TRIAGE_FILE = "triage.yaml"
CANNED_DIR = "canned"

TELEGRAM_CAPTION_LIMIT = 1024
TELEGRAM_MESSAGE_LIMIT = 4096
_REGION_CODE = re.compile(r"^RU-[A-Z]{2,3}$")
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_PHONE_CHARS = re.compile(r"^\+?[0-9][0-9 ()-]*[0-9]$")
_LONG_PHONE_IN_TEXT = re.compile(r"(?<![\d+])(?:\+7|8)(?:[ ()-]*\d){10}(?!\d)")
_SPAN = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


# ------------------------------------------------------------------------------------------------
# Errors and YAML reading
# ------------------------------------------------------------------------------------------------


class ContentError(Exception):
    """One or more content problems; `errors` holds readable lines (`regions.yaml: RU-PNZ.timezone: …`)."""

    def __init__(self, errors: Sequence[str]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(self.errors) if self.errors else "content error")


_UniqueKeyLoader = UniqueKeyLoader  # the one loader for data/ (bot/services/yamlsafe.py)


def read_yaml(path: Path) -> Any:
    """Read one YAML file; raise ContentError with the file name and line on any problem."""
    name = _display_name(path)
    if not path.is_file():
        raise ContentError([f"{name}: file not found"])
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.load(fh, Loader=_UniqueKeyLoader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise ContentError([f"{name}: YAML error{where}: {exc.problem}"]) from exc
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ContentError([f"{name}: cannot read: {exc}"]) from exc


def _display_name(path: Path) -> str:
    parent = path.parent.name
    return f"{parent}/{path.name}" if parent == CANNED_DIR else path.name


def _label_for(raw: Any, key: Any) -> str:
    """Name a list element by its id/code when it has one: `organisations[sfr-contact-centre]`."""
    if isinstance(key, int) and isinstance(raw, list) and 0 <= key < len(raw):
        item = raw[key]
        if isinstance(item, dict):
            for id_key in ("id", "code"):
                if isinstance(item.get(id_key), str | int):
                    return f"[{item[id_key]}]"
        return f"[{key}]"
    return f".{key}"


def _loc_text(raw: Any, loc: Sequence[Any]) -> str:
    out = ""
    cur = raw
    for part in loc:
        out += _label_for(cur, part)
        if isinstance(cur, dict):
            cur = cur.get(part)
        elif isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur):
            cur = cur[part]
        else:
            cur = None
    return out.lstrip(".") or "(top level)"


def format_validation_error(file_name: str, raw: Any, exc: ValidationError) -> list[str]:
    """Turn pydantic errors into lines a coordinator can act on."""
    lines: list[str] = []
    for err in exc.errors(include_url=False):
        loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
        where = _loc_text(raw, loc)
        last = loc[-1] if loc else None
        if err["type"] == "missing":
            if last in LANGS:
                msg = f"missing {LANG_NAMES[str(last)]} text"
            elif last == "source":
                msg = (
                    "no source given — every contact needs a `source` (document and section, or official URL)"
                )
            else:
                msg = f"required field `{last}` is missing"
            where = _loc_text(raw, loc[:-1])
        elif err["type"] == "extra_forbidden":
            msg = f"unknown field `{last}` (check the spelling)"
            where = _loc_text(raw, loc[:-1])
        else:
            msg = str(err["msg"]).removeprefix("Value error, ")
        lines.append(f"{file_name}: {where}: {msg}")
    return lines


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ------------------------------------------------------------------------------------------------
# Shared pieces
# ------------------------------------------------------------------------------------------------


class I18n(_Model):
    """A text in Russian and English. Both are required and must not be blank."""

    ru: str
    en: str

    @field_validator("ru", "en")
    @classmethod
    def _not_blank(cls, v: str, info: Any) -> str:
        if not v or not v.strip():
            raise ValueError(f"{LANG_NAMES[info.field_name]} text is empty")
        return v.strip()

    def get(self, lang: str | None) -> str:
        """The text in `lang`; Russian for an unknown language."""
        return self.en if lang == "en" else self.ru


def phone_problem(number: str) -> str | None:
    """Why a phone number looks wrong, or None. Accepts short numbers (112, 124, 051) and full RU numbers."""
    if not _PHONE_CHARS.match(number) or "--" in number or "  " in number:
        return (
            f"phone {number!r} has unexpected characters (use digits, spaces, hyphens, brackets, leading +)"
        )
    digits = re.sub(r"\D", "", number)
    if number.startswith("+") and not digits.startswith("7"):
        return f"phone {number!r}: only Russian numbers (+7…) are expected"
    if len(digits) < 3:
        return f"phone {number!r} is too short"
    if len(digits) >= 10 and not (len(digits) == 11 and digits[0] in "78"):
        return f"phone {number!r}: a full number must have 11 digits and start with 8 or +7"
    if digits.startswith("8800") and len(digits) != 11:
        return f"phone {number!r}: an 8-800 number must have 11 digits"
    return None


def phone_digits(number: str) -> str:
    """Digits only, with a leading 7 normalised to 8 (for comparisons)."""
    digits = re.sub(r"\D", "", number)
    return "8" + digits[1:] if len(digits) == 11 and digits[0] == "7" else digits


class Phone(_Model):
    number: str
    note: I18n | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, v: Any) -> Any:
        return {"number": v} if isinstance(v, str) else v

    @field_validator("number")
    @classmethod
    def _sane(cls, v: str) -> str:
        v = v.strip()
        problem = phone_problem(v)
        if problem:
            raise ValueError(problem)
        return v

    @property
    def tel(self) -> str:
        """The number for a `tel:` link."""
        digits = re.sub(r"\D", "", self.number)
        return "+7" + digits[1:] if len(digits) == 11 else digits


def _check_url(v: str | None) -> str | None:
    if v is None:
        return None
    v = v.strip()
    if not v:
        return None
    if not v.startswith("https://") and not v.startswith("http://"):
        raise ValueError(f"url {v!r} must start with https://")
    if " " in v:
        raise ValueError(f"url {v!r} contains a space")
    return v


# ------------------------------------------------------------------------------------------------
# Regions
# ------------------------------------------------------------------------------------------------

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

    @field_validator("url")
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


# ------------------------------------------------------------------------------------------------
# Privacy notice
# ------------------------------------------------------------------------------------------------


def _ru_plural(n: int, one: str, few: str, many: str) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def format_days(days: int, lang: str) -> str:
    """180 → «180 дней» / "180 days"; 1095 → «3 года» / "3 years"."""
    if days and days % 365 == 0:
        n = days // 365
        return f"{n} {_ru_plural(n, 'год', 'года', 'лет')}" if lang == "ru" else f"{n} year{'s' * (n != 1)}"
    return (
        f"{days} {_ru_plural(days, 'день', 'дня', 'дней')}"
        if lang == "ru"
        else f"{days} day{'s' * (days != 1)}"
    )


class Retention(_Model):
    """Retention periods in days. Configuration (a Proposal), not law: change here, texts follow."""

    closed_case_messages_days: int = Field(gt=0)
    profile_inactivity_days: int = Field(gt=0)
    audit_log_days: int = Field(gt=0)


class Controller(_Model):
    """The legal entity responsible for the data (оператор ПДн, 152-ФЗ). Unknown until launch."""

    name: I18n | None = None
    contact: str | None = None
    fallback: I18n


class Privacy(_Model):
    version: str
    date: date
    retention: Retention
    controller: Controller
    consent_short: I18n
    notice: I18n

    @model_validator(mode="after")
    def _placeholders(self) -> Privacy:
        allowed = set(self._values("ru"))
        problems: list[str] = []
        for field in ("consent_short", "notice"):
            text: I18n = getattr(self, field)
            found = {lang: _placeholders(text.get(lang)) for lang in LANGS}
            for lang, names in found.items():
                unknown = names - allowed
                if unknown:
                    problems.append(f"{field}.{lang}: unknown placeholders {', '.join(sorted(unknown))}")
            if found["ru"] != found["en"]:
                problems.append(f"{field}: ru and en use different placeholders")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _values(self, lang: str) -> dict[str, str]:
        r = self.retention
        controller = (
            self.controller.name.get(lang) if self.controller.name else self.controller.fallback.get(lang)
        )
        if self.controller.contact:
            controller = f"{controller} ({self.controller.contact})"
        return {
            "closed_case_messages": format_days(r.closed_case_messages_days, lang),
            "profile_inactivity": format_days(r.profile_inactivity_days, lang),
            "audit_log": format_days(r.audit_log_days, lang),
            "controller": controller,
            "version": self.version,
            "date": dates.full(self.date, lang),
        }

    def consent_text(self, lang: str) -> str:
        return self.consent_short.get(lang).format(**self._values(lang))

    def notice_text(self, lang: str) -> str:
        return self.notice.get(lang).format(**self._values(lang))


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


# ------------------------------------------------------------------------------------------------
# Canned operator answers
# ------------------------------------------------------------------------------------------------


class CannedMedia(_Model):
    """A picture, document or video sent with a canned answer (the text becomes its caption)."""

    kind: Literal["photo", "document", "video"]
    file: str
    """An https:// address Telegram can fetch, or a Telegram file_id of a file the bot already sent."""

    @field_validator("file")
    @classmethod
    def _file(cls, v: str) -> str:
        if v.startswith("http://"):
            raise ValueError("media file: use an https:// address")
        if not v.strip():
            raise ValueError("media file: an https:// address or a Telegram file_id is required")
        return v


class CannedAnswer(_Model):
    code: str
    title: I18n
    text: I18n
    refs: list[str] = Field(default_factory=list)
    """Organisation ids whose contacts the text quotes; every long phone number in it must belong to one."""
    media: CannedMedia | None = None

    @field_validator("code")
    @classmethod
    def _code(cls, v: str) -> str:
        if not _ID.match(v):
            raise ValueError(f"code {v!r}: use lower-case latin letters, digits, - and _")
        return v

    @model_validator(mode="after")
    def _same_placeholders(self) -> CannedAnswer:
        if _placeholders(self.text.ru) != _placeholders(self.text.en):
            raise ValueError("text: ru and en use different placeholders")
        if any(len(self.text.get(lang)) > TELEGRAM_MESSAGE_LIMIT for lang in LANGS):
            raise ValueError(f"text is longer than {TELEGRAM_MESSAGE_LIMIT} characters")
        if self.media is not None and any(
            len(self.text.get(lang)) > TELEGRAM_CAPTION_LIMIT for lang in LANGS
        ):
            raise ValueError(f"with media the text is a caption: at most {TELEGRAM_CAPTION_LIMIT} characters")
        return self

    @property
    def placeholders(self) -> set[str]:
        return _placeholders(self.text.ru)

    def render(self, lang: str, **values: Any) -> str:
        return self.text.get(lang).format(**values)


class _CannedFile(_Model):
    answers: list[CannedAnswer]


# ------------------------------------------------------------------------------------------------
# Loaders
# ------------------------------------------------------------------------------------------------


M = TypeVar("M", bound=BaseModel)


def strip_anchor_keys(raw: Any) -> Any:
    """Top-level keys starting with `_` only hold YAML anchors (shared blocks) and are not content."""
    if isinstance(raw, dict):
        return {k: v for k, v in raw.items() if not (isinstance(k, str) and k.startswith("_"))}
    return raw


def _load_model(model: type[M], path: Path) -> M:
    raw = strip_anchor_keys(read_yaml(path))
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise ContentError(format_validation_error(_display_name(path), raw, exc)) from exc


def load_regions(data_dir: Path) -> RegionsFile:
    return _load_model(RegionsFile, Path(data_dir) / REGIONS_FILE)


def load_organisations(data_dir: Path) -> OrganisationsFile:
    return _load_model(OrganisationsFile, Path(data_dir) / ORGANISATIONS_FILE)


def load_privacy(data_dir: Path) -> Privacy:
    return _load_model(Privacy, Path(data_dir) / PRIVACY_FILE)


def load_canned(data_dir: Path) -> dict[str, CannedAnswer]:
    """All canned answers from `data/canned/*.yaml`, by code, in file order."""
    folder = Path(data_dir) / CANNED_DIR
    if not folder.is_dir():
        raise ContentError([f"{CANNED_DIR}/: folder not found"])
    errors: list[str] = []
    answers: dict[str, CannedAnswer] = {}
    where: dict[str, str] = {}
    for path in sorted(folder.glob("*.yaml")):
        try:
            parsed = _load_model(_CannedFile, path)
        except ContentError as exc:
            errors.extend(exc.errors)
            continue
        for answer in parsed.answers:
            name = _display_name(path)
            if answer.code in answers:
                errors.append(
                    f"{name}: duplicate canned answer code {answer.code!r} (also in {where[answer.code]})"
                )
                continue
            answers[answer.code] = answer
            where[answer.code] = name
    if errors:
        raise ContentError(errors)
    return answers


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
    from bot.services.triage import load_triage  # local import: triage builds on this module

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
