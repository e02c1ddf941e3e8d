"""«Как дела у семьи?» — the family wellbeing check-in. No Telegram here.

The instrument is data (``data/checkin.yaml``, schema below, validated by ``python -m bot check``). A run is a row
of ``wellbeing_checkins``::

    open ──(last question answered)──▶ done
      └──(an answer signalling danger)──▶ crisis   (the family went the crisis way; the answers so far are kept)

Answers are one option id per question, or ``skip`` («не хочу отвечать»). When a run ends, the domains where
things are hard are worked out (``hard``): the family sees them in plain words with help that fits, never a
score; the next run is compared with them; the monitoring report counts them (bot/services/monitoring.py).

The reminder to repeat the check-in is opt-in (``wellbeing_reminders``, one row per family): the scheduler job
(bot/jobs/checkin.py) claims due reminders before it sends them, so a restart or a second instance never sends
one twice.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import rows_affected, utcnow
from bot.db.models import Case, Family, WellbeingCheckin, WellbeingReminder
from bot.services import yamlsafe

FILE = "checkin.yaml"
MAX_QUESTIONS = 12
SKIP = "skip"
OPEN, DONE, CRISIS = "open", "done", "crisis"
FINISHED = (DONE, CRISIS)
OK, HARD, NA = "ok", "hard", "na"
DANGERS = ("violence", "no_food")
SPECIALISTS = ("lawyer", "psychologist", "social_consultant")
BETTER, WORSE, SAME = "better", "worse", "same"


# --- the instrument ----------------------------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Model):
    ru: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.ru


class Source(_Model):
    title: str = Field(min_length=1)
    url: str
    checked: date

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not v.startswith(("https://", "http://")):
            raise ValueError("a source needs a web address")
        return v


class Origin(_Model):
    """Where the instrument comes from: our own, or adapted from a published one (then name it in sources)."""

    kind: Literal["own", "adapted"]
    text: Text
    sources: list[Source] = Field(default_factory=list)

    @model_validator(mode="after")
    def _sourced(self) -> Origin:
        if self.kind == "adapted" and not self.sources:
            raise ValueError("an adapted instrument must name the published one it is adapted from")
        return self


class Help(_Model):
    measures: bool = False
    directory: list[str] = Field(default_factory=list)
    specialist: Literal["lawyer", "psychologist", "social_consultant"] | None = None


class Domain(_Model):
    id: str = Field(pattern=r"^[a-z_]{1,16}$")
    title: Text
    help: Help


class Option(_Model):
    id: str = Field(pattern=r"^[a-z_]{1,16}$")
    level: Literal["ok", "hard", "na"]
    text: Text
    danger: Literal["violence", "no_food"] | None = None

    @model_validator(mode="after")
    def _danger_is_hard(self) -> Option:
        if self.danger and self.level != HARD:
            raise ValueError(f"option {self.id}: a danger answer must have level hard")
        if self.id == SKIP:
            raise ValueError(f"option id {SKIP!r} is reserved for «не хочу отвечать»")
        return self


class Question(_Model):
    id: str = Field(pattern=r"^[a-z_]{1,16}$")
    domain: str
    text: Text
    options: list[Option] = Field(min_length=2, max_length=4)

    @model_validator(mode="after")
    def _options(self) -> Question:
        ids = [o.id for o in self.options]
        if len(set(ids)) != len(ids):
            raise ValueError(f"question {self.id}: option ids repeat")
        if not any(o.level == OK for o in self.options) or not any(o.level == HARD for o in self.options):
            raise ValueError(f"question {self.id}: needs at least one «ok» and one «hard» option")
        return self

    def option(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)


class Instrument(_Model):
    version: str = Field(min_length=1, max_length=16)
    date: date
    origin: Origin
    domains: list[Domain] = Field(min_length=1)
    questions: list[Question] = Field(min_length=1, max_length=MAX_QUESTIONS)

    @model_validator(mode="after")
    def _refs(self) -> Instrument:
        domain_ids = [d.id for d in self.domains]
        question_ids = [q.id for q in self.questions]
        problems = []
        if len(set(domain_ids)) != len(domain_ids):
            problems.append("domain ids repeat")
        if len(set(question_ids)) != len(question_ids):
            problems.append("question ids repeat")
        for q in self.questions:
            if q.domain not in domain_ids:
                problems.append(f"question {q.id}: unknown domain {q.domain!r}")
        for d in domain_ids:
            if not any(q.domain == d for q in self.questions):
                problems.append(f"domain {d}: no question asks about it")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def domain(self, domain_id: str) -> Domain | None:
        return next((d for d in self.domains if d.id == domain_id), None)

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)


class InstrumentError(Exception):
    pass


def _read(data_dir: Path) -> Instrument:
    path = Path(data_dir) / FILE
    try:
        raw = yamlsafe.load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InstrumentError(f"{FILE}: {exc}") from exc
    try:
        return Instrument.model_validate(raw)
    except ValidationError as exc:
        lines = [f"{FILE}: {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        raise InstrumentError("\n".join(lines)) from exc


@functools.lru_cache(maxsize=4)
def load(data_dir: Path) -> Instrument:
    return _read(Path(data_dir))


def validate(data_dir: Path) -> list[str]:
    """Problems of data/checkin.yaml as readable lines (the directory kinds are checked against organisations)."""
    try:
        instrument = _read(Path(data_dir))
    except InstrumentError as exc:
        return str(exc).splitlines()
    errors = []
    try:
        kinds = set(
            (yamlsafe.load((Path(data_dir) / "organisations.yaml").read_text("utf-8")) or {})["kinds"]
        )
    except (OSError, KeyError, TypeError, yaml.YAMLError):
        kinds = None  # organisations.yaml reports its own problems
    if kinds is not None:
        for d in instrument.domains:
            for kind in d.help.directory:
                if kind not in kinds:
                    errors.append(f"{FILE}: domain {d.id}: unknown kind of help {kind!r}")
    return errors


# --- a family's run ----------------------------------------------------------------------------------------------


def domain_states(answers: dict[str, str], instrument: Instrument) -> dict[str, str]:
    """Each domain the family answered about: «hard» if any answer in it is hard, else «ok». Skipped and
    not-applicable answers say nothing, so a domain with only those is left out."""
    states: dict[str, str] = {}
    for q in instrument.questions:
        option = q.option(answers.get(q.id, SKIP))
        if option is None or option.level == NA:
            continue
        if option.level == HARD:
            states[q.domain] = HARD
        else:
            states.setdefault(q.domain, OK)
    return states


def hard_domains(answers: dict[str, str], instrument: Instrument) -> list[str]:
    states = domain_states(answers, instrument)
    return [d.id for d in instrument.domains if states.get(d.id) == HARD]


async def start(session: AsyncSession, family: Family, instrument: Instrument) -> WellbeingCheckin:
    """A new run. An unfinished earlier run is dropped (a family that comes back starts afresh)."""
    await session.execute(
        delete(WellbeingCheckin).where(
            WellbeingCheckin.family_id == family.id, WellbeingCheckin.status == OPEN
        )
    )
    run = WellbeingCheckin(
        family_id=family.id,
        region=family.region,
        version=instrument.version,
        status=OPEN,
        answers={},
        hard=[],
    )
    session.add(run)
    await session.flush()
    return run


async def own_run(session: AsyncSession, family: Family | None, run_id: int) -> WellbeingCheckin | None:
    if family is None or not family.consented:
        return None
    run = await session.get(WellbeingCheckin, run_id)
    return run if run is not None and run.family_id == family.id else None


@dataclass
class Answered:
    """The outcome of a tap: ``next`` (the index of the next question), ``done``, ``danger`` (with the
    category), or why nothing was recorded: ``stale`` (the run is over or the question is not the current one),
    ``unknown`` (not this family's run, a forged option)."""

    outcome: str
    run: WellbeingCheckin | None = None
    next_index: int | None = None
    danger: str | None = None


def current_index(run: WellbeingCheckin, instrument: Instrument) -> int:
    """The first question not answered yet (the questions are asked in order)."""
    answers = run.answers or {}
    for i, q in enumerate(instrument.questions):
        if q.id not in answers:
            return i
    return len(instrument.questions)


async def answer(
    session: AsyncSession,
    family: Family | None,
    run_id: int,
    index: int,
    option: int,
    instrument: Instrument,
    *,
    now: datetime | None = None,
) -> Answered:
    """Record the answer ``option`` (an index; -1 = «не хочу отвечать») to question ``index`` of the run."""
    run = await own_run(session, family, run_id)
    if run is None or not 0 <= index < len(instrument.questions):
        return Answered("unknown")
    if run.status != OPEN or run.version != instrument.version:
        return Answered("stale", run)
    if index != current_index(run, instrument):
        return Answered("stale", run)
    question = instrument.questions[index]
    if option == -1:
        chosen = None
    elif 0 <= option < len(question.options):
        chosen = question.options[option]
    else:
        return Answered("unknown", run)
    run.answers = {**(run.answers or {}), question.id: chosen.id if chosen else SKIP}
    if chosen is not None and chosen.danger:
        _finish(run, instrument, CRISIS, now)
        await session.flush()
        return Answered("danger", run, danger=chosen.danger)
    following = index + 1
    if following >= len(instrument.questions):
        _finish(run, instrument, DONE, now)
        await session.flush()
        return Answered("done", run)
    await session.flush()
    return Answered("next", run, next_index=following)


def _finish(run: WellbeingCheckin, instrument: Instrument, status: str, now: datetime | None) -> None:
    run.status = status
    run.finished_at = now or utcnow()
    run.hard = hard_domains(run.answers or {}, instrument)


async def previous(session: AsyncSession, run: WellbeingCheckin) -> WellbeingCheckin | None:
    """The family's finished run before ``run``."""
    return await session.scalar(
        select(WellbeingCheckin)
        .where(
            WellbeingCheckin.family_id == run.family_id,
            WellbeingCheckin.status.in_(FINISHED),
            WellbeingCheckin.id < run.id,
        )
        .order_by(WellbeingCheckin.id.desc())
        .limit(1)
    )


async def latest(session: AsyncSession, family_id: int) -> WellbeingCheckin | None:
    return await session.scalar(
        select(WellbeingCheckin)
        .where(WellbeingCheckin.family_id == family_id, WellbeingCheckin.status.in_(FINISHED))
        .order_by(WellbeingCheckin.id.desc())
        .limit(1)
    )


def changes(
    before: WellbeingCheckin, after: WellbeingCheckin, instrument: Instrument
) -> dict[str, list[str]]:
    """Domains that became easier, harder or stayed as they were (only those answered both times)."""
    old = domain_states(before.answers or {}, instrument)
    new = domain_states(after.answers or {}, instrument)
    result: dict[str, list[str]] = {BETTER: [], WORSE: [], SAME: []}
    for d in instrument.domains:
        if d.id not in old or d.id not in new:
            continue
        if old[d.id] == HARD and new[d.id] == OK:
            result[BETTER].append(d.id)
        elif old[d.id] == OK and new[d.id] == HARD:
            result[WORSE].append(d.id)
        else:
            result[SAME].append(d.id)
    return result


async def set_shared(
    session: AsyncSession, family: Family | None, run_id: int, shared: bool
) -> tuple[WellbeingCheckin | None, list[Case]]:
    """The family agrees (or no longer agrees) that its requests' cards show this run. Returns the run and the
    family's open requests, whose cards are to be redrawn."""
    run = await own_run(session, family, run_id)
    if run is None or run.status not in FINISHED:
        return None, []
    run.shared = shared
    await session.flush()
    cases = (
        await session.scalars(
            select(Case).where(Case.family_id == run.family_id, Case.status.notin_(("closed", "unreachable")))
        )
    ).all()
    return run, list(cases)


async def for_card(session: AsyncSession, family_id: int | None) -> WellbeingCheckin | None:
    """The run a request's card shows: the family's latest finished run, if the family agreed to share it."""
    if family_id is None:
        return None
    run = await latest(session, family_id)
    return run if run is not None and run.shared else None


# --- the reminder ------------------------------------------------------------------------------------------------


async def reminder_of(session: AsyncSession, family_id: int) -> WellbeingReminder | None:
    return await session.scalar(select(WellbeingReminder).where(WellbeingReminder.family_id == family_id))


async def set_reminder(
    session: AsyncSession, family: Family, *, on: bool, every: timedelta, now: datetime | None = None
) -> WellbeingReminder | None:
    """Switch the reminder on (due ``every`` after the latest run, or from now) or off."""
    now = now or utcnow()
    reminder = await reminder_of(session, family.id)
    if not on:
        if reminder is not None:
            reminder.active = False
            await session.flush()
        return reminder
    last = await latest(session, family.id)
    base = last.finished_at if last is not None and last.finished_at else now
    due = max(base + every, now + timedelta(seconds=1))
    if reminder is None:
        reminder = WellbeingReminder(family_id=family.id, active=True, due_at=due, created_at=now)
        session.add(reminder)
    else:
        reminder.active, reminder.due_at = True, due
    await session.flush()
    return reminder


async def run_finished(
    session: AsyncSession, family: Family, every: timedelta, *, now: datetime | None = None
) -> None:
    """A run ended: an active reminder is moved to ``every`` from now."""
    reminder = await reminder_of(session, family.id)
    if reminder is not None and reminder.active:
        reminder.due_at = (now or utcnow()) + every
        await session.flush()


@dataclass
class Due:
    id: int
    tg_user_id: int
    language: str
    discreet: bool


async def claim_due(
    session: AsyncSession, every: timedelta, *, now: datetime | None = None, limit: int = 50
) -> list[Due]:
    """Active reminders whose time has come, moved to their next date before anything is sent (the caller
    commits first). The claim is a conditional update, so only one scan wins a row. Families who may not be
    written to (no consent, left the bot, all reminders off) are skipped until that changes."""
    now = now or utcnow()
    rows = (
        await session.execute(
            select(WellbeingReminder, Family)
            .join(Family, Family.id == WellbeingReminder.family_id)
            .where(WellbeingReminder.active.is_(True), WellbeingReminder.due_at <= now)
            .order_by(WellbeingReminder.due_at, WellbeingReminder.id)
            .limit(limit)
        )
    ).all()
    claimed = []
    for reminder, family in rows:
        sendable = family.consented and family.is_active and not family.reminders_off
        won = await session.execute(
            update(WellbeingReminder)
            .where(WellbeingReminder.id == reminder.id, WellbeingReminder.due_at <= now)
            .values(due_at=now + every, sent_at=now if sendable else reminder.sent_at)
        )
        if rows_affected(won) == 1 and sendable:
            claimed.append(Due(reminder.id, family.tg_user_id, family.language, family.discreet))
    return claimed


async def release(session: AsyncSession, reminder_id: int) -> None:
    """Telegram refused for a passing reason: try again at the next scan."""
    await session.execute(
        update(WellbeingReminder).where(WellbeingReminder.id == reminder_id).values(due_at=utcnow())
    )


async def undeliverable(session: AsyncSession, reminder_id: int, *, blocked: bool) -> None:
    reminder = await session.get(WellbeingReminder, reminder_id)
    if reminder is None:
        return
    reminder.active = False
    if blocked:
        await session.execute(update(Family).where(Family.id == reminder.family_id).values(is_active=False))
    await session.flush()


async def stop_reminder(session: AsyncSession, family: Family | None, reminder_id: int) -> bool:
    """«Больше не напоминать» on a reminder: only the family's own reminder."""
    if family is None or not family.consented:
        return False
    reminder = await session.get(WellbeingReminder, reminder_id)
    if reminder is None or reminder.family_id != family.id:
        return False
    reminder.active = False
    await session.flush()
    return True


# --- the family's data -------------------------------------------------------------------------------------------


def _dt(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


async def export(session: AsyncSession, family_id: int) -> dict[str, Any]:
    """The family's check-ins and its reminder, for its copy of its data (/mydata)."""
    runs = (
        await session.scalars(
            select(WellbeingCheckin)
            .where(WellbeingCheckin.family_id == family_id)
            .order_by(WellbeingCheckin.id)
        )
    ).all()
    reminder = await reminder_of(session, family_id)
    return {
        "checkins": [
            {
                "instrument_version": r.version,
                "region": r.region,
                "status": r.status,
                "answers": dict(r.answers or {}),
                "hard_domains": list(r.hard or []),
                "shown_to_specialist": r.shared,
                "started_at": _dt(r.started_at),
                "finished_at": _dt(r.finished_at),
            }
            for r in runs
        ],
        "reminder": None
        if reminder is None
        else {"on": reminder.active, "next_at": _dt(reminder.due_at), "last_sent_at": _dt(reminder.sent_at)},
    }


async def erase(session: AsyncSession, family_id: int) -> int:
    """Delete the family's check-ins and reminder (erasure). Returns how many check-ins."""
    result = await session.execute(delete(WellbeingCheckin).where(WellbeingCheckin.family_id == family_id))
    await session.execute(delete(WellbeingReminder).where(WellbeingReminder.family_id == family_id))
    return rows_affected(result) or 0


async def expire(session: AsyncSession, before: datetime) -> int:
    """Retention: check-ins started before ``before`` are deleted. Returns how many."""
    result = await session.execute(delete(WellbeingCheckin).where(WellbeingCheckin.started_at < before))
    return rows_affected(result) or 0
