"""Support-measure follow-ups: some days after a family saw its screener results, ask once whether it applied.

No Telegram here. The life of one follow-up (a row of ``followups``)::

    pending ──(due, claimed by the scan)──▶ sent ──(the family answers)──▶ answered
       │                                     └──(the bot is blocked)──▶ closed
       └──(reminders switched off, consent gone)──▶ cancelled   (or closed: the family left the bot)

Only consented families with reminders on get one, and at most one is pending per family: a new screener
result updates the pending one. The answers (and, for «did not apply», the reason) feed the coordinators'
non-take-up report (:func:`non_take_up`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import rows_affected, utcnow
from bot.db.models import Family, FollowUp

PENDING, SENT, ANSWERED, CANCELLED, CLOSED = "pending", "sent", "answered", "cancelled", "closed"
ANSWERS = ("got_it", "applied_waiting", "refused", "not_applied")
NOT_APPLIED = "not_applied"
REASONS = ("didnt_know_how", "documents", "no_time", "other")


def delay(days: float) -> timedelta:
    return timedelta(days=days)


async def pending_of(session: AsyncSession, family_id: int) -> FollowUp | None:
    return await session.scalar(
        select(FollowUp)
        .where(FollowUp.family_id == family_id, FollowUp.status == PENDING)
        .order_by(FollowUp.id.desc())
        .limit(1)
    )


async def schedule(
    session: AsyncSession,
    family: Family,
    measure_ids: list[str],
    region: str | None,
    *,
    after: timedelta,
    now: datetime | None = None,
) -> FollowUp | None:
    """The family has just seen screener results listing ``measure_ids`` (likely and possible ones).

    Returns the pending follow-up (new or updated), or None when nothing is to be asked: no consent, reminders
    off, no results, or the family was already asked within ``after`` (a second run soon after is not a reason
    to ask again).
    """
    now = now or utcnow()
    ids = list(dict.fromkeys(measure_ids))
    if not family.consented or family.reminders_off or not ids:
        return None
    followup = await pending_of(session, family.id)
    if followup is None:
        asked = await session.scalar(
            select(FollowUp.id)
            .where(
                FollowUp.family_id == family.id, FollowUp.sent_at.is_not(None), FollowUp.sent_at > now - after
            )
            .limit(1)
        )
        if asked is not None:
            return None
        followup = FollowUp(family_id=family.id, status=PENDING)
        session.add(followup)
    followup.measure_ids = ids
    followup.region = region
    followup.created_at = now
    followup.due_at = now + after
    await session.flush()
    return followup


@dataclass
class Due:
    """A follow-up claimed for sending (status «sent» already), with what the message needs."""

    id: int
    tg_user_id: int
    language: str
    discreet: bool
    measure_ids: list[str]


async def claim_due(session: AsyncSession, *, now: datetime | None = None, limit: int = 50) -> list[Due]:
    """Pending follow-ups whose time has come, marked «sent» before anything is sent (the caller commits).

    Marking first means a restart or a second bot instance never asks twice: the claim is a conditional
    update, so only one scan wins a row. Rows whose family may no longer be asked are cancelled or closed.
    """
    now = now or utcnow()
    rows = (
        await session.execute(
            select(FollowUp, Family)
            .join(Family, Family.id == FollowUp.family_id)
            .where(FollowUp.status == PENDING, FollowUp.due_at <= now)
            .order_by(FollowUp.due_at, FollowUp.id)
            .limit(limit)
        )
    ).all()
    claimed: list[Due] = []
    for followup, family in rows:
        if not family.consented or family.reminders_off:
            status = CANCELLED
        elif not family.is_active:
            status = CLOSED  # the family blocked the bot: it cannot be asked
        else:
            status = SENT
        won = await session.execute(
            update(FollowUp)
            .where(FollowUp.id == followup.id, FollowUp.status == PENDING)
            .values(status=status, sent_at=now if status == SENT else None)
        )
        if rows_affected(won) == 1 and status == SENT:
            claimed.append(
                Due(
                    followup.id,
                    family.tg_user_id,
                    family.language,
                    family.discreet,
                    list(followup.measure_ids),
                )
            )
    return claimed


async def release(session: AsyncSession, followup_id: int) -> None:
    """Telegram refused the message for a passing reason (flood limit, server error): try at the next scan."""
    await session.execute(
        update(FollowUp)
        .where(FollowUp.id == followup_id, FollowUp.status == SENT, FollowUp.answer.is_(None))
        .values(status=PENDING, sent_at=None)
    )


async def undeliverable(session: AsyncSession, followup_id: int, *, blocked: bool) -> None:
    """The question cannot reach the family: the follow-up is closed; a blocked bot marks the family inactive."""
    followup = await session.get(FollowUp, followup_id)
    if followup is None:
        return
    followup.status = CLOSED
    followup.sent_at = None
    if blocked:
        await session.execute(update(Family).where(Family.id == followup.family_id).values(is_active=False))
    await session.flush()


async def set_reminders(session: AsyncSession, family: Family, *, off: bool) -> int:
    """Switch the family's reminders off (the pending follow-up is cancelled) or on. Returns rows cancelled."""
    family.reminders_off = off
    cancelled = 0
    if off:
        result = await session.execute(
            update(FollowUp)
            .where(FollowUp.family_id == family.id, FollowUp.status == PENDING)
            .values(status=CANCELLED)
        )
        cancelled = rows_affected(result) or 0
    await session.flush()
    return cancelled


@dataclass
class Recorded:
    """The outcome of a tap: ``ok``, or why it was not recorded (``unknown``, ``stale``, ``already``)."""

    outcome: str
    followup: FollowUp | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


async def _own(session: AsyncSession, family: Family | None, followup_id: int) -> FollowUp | None:
    if family is None or not family.consented:
        return None
    followup = await session.get(FollowUp, followup_id)
    return followup if followup is not None and followup.family_id == family.id else None


async def record_answer(
    session: AsyncSession,
    family: Family | None,
    followup_id: int,
    answer: str,
    *,
    now: datetime | None = None,
) -> Recorded:
    """The family's answer to the question. Once given it is kept (a second tap changes nothing)."""
    followup = await _own(session, family, followup_id)
    if followup is None or answer not in ANSWERS:
        return Recorded("unknown")
    if followup.answer is not None:
        return Recorded("already", followup)
    if followup.status != SENT:
        return Recorded("stale", followup)
    followup.answer = answer
    followup.answered_at = now or utcnow()
    followup.status = ANSWERED
    await session.flush()
    return Recorded("ok", followup)


async def record_reason(
    session: AsyncSession, family: Family | None, followup_id: int, reason: str
) -> Recorded:
    """Why the family did not apply (only after the answer «did not apply»; given once)."""
    followup = await _own(session, family, followup_id)
    if followup is None or reason not in REASONS:
        return Recorded("unknown")
    if followup.answer != NOT_APPLIED:
        return Recorded("stale", followup)
    if followup.reason is not None:
        return Recorded("already", followup)
    followup.reason = reason
    await session.flush()
    return Recorded("ok", followup)


async def is_own(session: AsyncSession, family: Family | None, followup_id: int) -> bool:
    return await _own(session, family, followup_id) is not None


# --- the family's data and the coordinators' report ------------------------------------------------------


def _dt(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


async def export(session: AsyncSession, family_id: int) -> list[dict[str, Any]]:
    """The family's follow-ups for its copy of its data (/mydata)."""
    rows = (
        await session.scalars(select(FollowUp).where(FollowUp.family_id == family_id).order_by(FollowUp.id))
    ).all()
    return [
        {
            "measures": list(f.measure_ids),
            "region": f.region,
            "status": f.status,
            "results_seen_at": _dt(f.created_at),
            "due_at": _dt(f.due_at),
            "asked_at": _dt(f.sent_at),
            "answer": f.answer,
            "reason": f.reason,
            "answered_at": _dt(f.answered_at),
        }
        for f in rows
    ]


async def erase(session: AsyncSession, family_id: int) -> int:
    """Delete the family's follow-ups (erasure). Returns how many."""
    result = await session.execute(delete(FollowUp).where(FollowUp.family_id == family_id))
    return rows_affected(result) or 0


async def non_take_up(
    session: AsyncSession, *, region: str | None = None, since: datetime | None = None
) -> dict[str, Any]:
    """Answers for the non-take-up report: how many were asked, the answers, the reasons, and per measure."""
    query = select(FollowUp).where(FollowUp.sent_at.is_not(None))
    if region is not None:
        query = query.where(FollowUp.region == region)
    if since is not None:
        query = query.where(FollowUp.sent_at >= since)
    rows = (await session.scalars(query)).all()
    answers = Counter(f.answer for f in rows if f.answer)
    reasons = Counter(f.reason for f in rows if f.reason)
    per_measure: dict[str, Counter[str]] = {}
    for f in rows:
        if f.answer:
            for measure_id in f.measure_ids:
                per_measure.setdefault(measure_id, Counter())[f.answer] += 1
    return {
        "asked": len(rows),
        "answered": sum(answers.values()),
        "answers": {a: answers.get(a, 0) for a in ANSWERS},
        "reasons": {r: reasons.get(r, 0) for r in REASONS},
        "per_measure": {m: dict(c) for m, c in sorted(per_measure.items())},
    }
