"""Retention: each class of data is kept only as long as the privacy notice promises. No Telegram here.

Periods come from `data/privacy.yaml` (what families are told); a setting may shorten a period, never lengthen
it. Applied by the scheduled job `bot/jobs/retention.py`:

- messages of a closed request (the relay's message links and outbox rows, the rating comment): after
  ``case_messages`` from closing;
- answers (triage paths, the screener and triage answers in a closed request's summary): after ``answers``;
- the audit log: after ``audit``;
- a family that has not used the bot for ``inactive_family``: erased entirely, as by /forget;
- the wellbeing check-in's answers: after ``checkins`` from the day they were given;
- processed update ids (duplicate-delivery guard) after ``processed_updates``; expired mutes at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import String, cast, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import rows_affected, utcnow
from bot.db.models import (
    AuditLog,
    Case,
    CaseMessageLink,
    Family,
    Mute,
    OutboxItem,
    ProcessedUpdate,
    TriageResult,
)
from bot.services import checkin, privacy
from bot.services.audit import audit

ERASE_BATCH = 100


@dataclass(frozen=True)
class Periods:
    case_messages: timedelta
    answers: timedelta
    audit: timedelta
    inactive_family: timedelta
    processed_updates: timedelta
    checkins: timedelta | None = None  # wellbeing check-in answers (None: kept until the family is erased)


def _shorter(setting: float | None, promised_days: float) -> timedelta:
    days = promised_days if setting is None else min(setting, promised_days)
    return timedelta(days=days)


def periods(settings, notice_retention) -> Periods:
    """Effective periods: the notice's figures, shortened by the settings where set."""
    r = notice_retention
    return Periods(
        case_messages=_shorter(settings.retention_case_messages_days, r.closed_case_messages_days),
        answers=_shorter(settings.retention_answers_days, r.closed_case_messages_days),
        audit=_shorter(settings.retention_audit_days, r.audit_log_days),
        inactive_family=_shorter(settings.retention_inactive_family_days, r.profile_inactivity_days),
        processed_updates=timedelta(days=settings.retention_processed_updates_days),
        checkins=_shorter(getattr(settings, "retention_checkin_days", None), r.checkin_answers_days),
    )


async def apply(
    session: AsyncSession, p: Periods, *, now: datetime | None = None, staff_note: str | None = None
) -> dict[str, int]:
    """Remove what is past its period; returns counts per class (nothing identifying). Caller commits."""
    now = now or utcnow()
    counts: dict[str, int] = {}

    old_closed = select(Case.id).where(Case.status == "closed", Case.closed_at < now - p.case_messages)
    links = await session.execute(delete(CaseMessageLink).where(CaseMessageLink.case_id.in_(old_closed)))
    items = await session.execute(  # a pending item (e.g. the note that a family's data was erased) goes out first
        delete(OutboxItem).where(OutboxItem.case_id.in_(old_closed), OutboxItem.status != "pending")
    )
    comments = await session.execute(
        update(Case).where(Case.id.in_(old_closed), Case.comment.is_not(None)).values(comment=None)
    )
    counts["message_links"], counts["outbox_items"] = rows_affected(links), rows_affected(items)
    counts["comments"] = rows_affected(comments)

    summaries = await session.execute(
        update(Case)
        .where(
            Case.status == "closed",
            Case.closed_at < now - p.answers,
            cast(Case.summary, String) != "{}",
        )
        .values(summary={})
    )
    paths = await session.execute(
        update(TriageResult)
        .where(TriageResult.created_at < now - p.answers, cast(TriageResult.path, String) != "[]")
        .values(path=[])
    )
    counts["case_summaries"], counts["triage_paths"] = rows_affected(summaries), rows_affected(paths)

    if p.checkins is not None:
        counts["checkin_answers"] = await checkin.expire(session, now - p.checkins)

    audit_rows = await session.execute(delete(AuditLog).where(AuditLog.at < now - p.audit))
    counts["audit_records"] = rows_affected(audit_rows)

    inactive = (
        await session.scalars(
            select(Family).where(Family.last_seen_at < now - p.inactive_family).limit(ERASE_BATCH)
        )
    ).all()
    for family in inactive:
        await privacy.erase(session, family, staff_note=staff_note, action="family.expired")
    counts["families_erased"] = len(inactive)

    claims = await session.execute(
        delete(ProcessedUpdate).where(ProcessedUpdate.at < now - p.processed_updates)
    )
    mutes = await session.execute(delete(Mute).where(Mute.until < now))
    counts["processed_updates"], counts["mutes_expired"] = rows_affected(claims), rows_affected(mutes)

    removed = {k: v for k, v in counts.items() if v}
    if removed:
        await audit(session, actor_tg_id=None, role="system", action="retention.applied", details=removed)
    return counts
