"""The privacy notice (`data/privacy.yaml`): what is stored, why, for how long; shown by /privacy and
enforced by the retention job."""

from __future__ import annotations

import string
from datetime import date
from pathlib import Path

from pydantic import Field, model_validator

from bot.services import dates
from bot.services.content_base import LANGS, PRIVACY_FILE, I18n, _load_model, _Model
from bot.services.texts import ngettext

# ------------------------------------------------------------------------------------------------
# Privacy notice
# ------------------------------------------------------------------------------------------------


def format_days(days: int, lang: str) -> str:
    """180 → «180 дней» / "180 days"; 1095 → «3 года» / "3 years"."""
    if days and days % 365 == 0:
        n = days // 365
        return ngettext("{n} year", "{n} years", n, lang).format(n=n)
    return ngettext("{n} day", "{n} days", days, lang).format(n=days)


class Retention(_Model):
    """Retention periods in days. Configuration (a Proposal), not law: change here, texts follow."""

    closed_case_messages_days: int = Field(gt=0)
    profile_inactivity_days: int = Field(gt=0)
    audit_log_days: int = Field(gt=0)
    checkin_answers_days: int = Field(gt=0)  # answers of the wellbeing check-in («Как дела у семьи?»)


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
            "checkin_answers": format_days(r.checkin_answers_days, lang),
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


def load_privacy(data_dir: Path) -> Privacy:
    return _load_model(Privacy, Path(data_dir) / PRIVACY_FILE)
