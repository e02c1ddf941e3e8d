"""Canned operator answers (`data/canned/*.yaml`), inserted by staff with /canned in a request's topic."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from bot.services.content_base import (
    _ID,
    CANNED_DIR,
    LANGS,
    TELEGRAM_CAPTION_LIMIT,
    TELEGRAM_MESSAGE_LIMIT,
    ContentError,
    I18n,
    _display_name,
    _load_model,
    _Model,
)
from bot.services.privacy_notice import _placeholders

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
