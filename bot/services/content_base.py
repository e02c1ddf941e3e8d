"""What every file in `data/` shares: YAML read with duplicate keys refused, readable validation errors, the
models' base, bilingual text, phone numbers and URLs. Pure: no Telegram, no database."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from bot.services.yamlsafe import UniqueKeyLoader

LANGS = ("ru", "en")
LANG_NAMES = {"ru": "Russian (ru)", "en": "English (en)"}
FEDERAL = "federal"
OTHER_REGION = "other"

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
