"""The family's data rights (152-ФЗ): a copy of everything stored, and erasure. No Telegram here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import utcnow
from bot.db.models import (
    AuditLog,
    Case,
    CaseMessageLink,
    CrisisEvent,
    Family,
    Mute,
    OutboxItem,
    TriageResult,
    Volunteer,
)
from bot.services import aid, card, checkin, events, followup, relay, volunteers
from bot.services.audit import audit


def _dt(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


async def export(session: AsyncSession, family: Family) -> dict[str, Any]:
    """Everything stored about the family, as plain data."""
    cases = (await session.scalars(select(Case).where(Case.family_id == family.id).order_by(Case.id))).all()
    triage = (
        await session.scalars(
            select(TriageResult).where(TriageResult.family_id == family.id).order_by(TriageResult.id)
        )
    ).all()
    crisis = (
        await session.scalars(
            select(CrisisEvent).where(CrisisEvent.family_id == family.id).order_by(CrisisEvent.id)
        )
    ).all()
    return {
        "family_number": family.id,
        "telegram_user_id": family.tg_user_id,
        "language": family.language,
        "region": family.region,
        "consent": {"given_at": _dt(family.consent_at), "notice_version": family.consent_version},
        "profile": family.profile or {},
        "settings": {
            "discreet_mode": family.discreet,
            "reminders_off": family.reminders_off,
            "announcements_off": family.broadcasts_off,
            "share_name": family.share_name,
        },
        "display_name": family.display_name,
        "created_at": _dt(family.created_at),
        "requests": [
            {
                "number": c.id,
                "tier": c.tier,
                "specialty": c.specialty,
                "category": c.category,
                "urgency": c.urgency,
                "status": c.status,
                "opened_at": _dt(c.opened_at),
                "closed_at": _dt(c.closed_at),
                "summary": c.summary or {},
                "rating": c.rating,
            }
            for c in cases
        ],
        "triage_results": [
            {
                "category": t.category,
                "urgency": t.urgency,
                "route": t.route,
                "path": t.path,
                "at": _dt(t.created_at),
            }
            for t in triage
        ],
        "danger_signals_answered": [
            {"categories": e.categories, "level": e.level, "at": _dt(e.created_at)} for e in crisis
        ],
        "support_measure_followups": await followup.export(session, family.id),
        "family_card": await card.export(session, family.id),
        "wellbeing_checkin": await checkin.export(session, family.id),
        "material_help": await aid.export(session, family.id),
        "event_registrations": await events.export(session, family.id),
    }


async def erase(
    session: AsyncSession, family: Family, *, staff_note: str | None = None, action: str = "family.erased"
) -> dict[str, int]:
    """Erase the family's personal data. Requests stay only as anonymous statistics (no link, no content).

    Open requests are closed; what was relayed or waits to be relayed (it carries the family's content and chat)
    is deleted; each request's topic gets ``staff_note`` and its card is redrawn without the family.
    ``action`` names the audit record: "family.erased" (/forget) or "consent.withdrawn".
    """
    fid, tg_id = family.id, family.tg_user_id
    case_ids = (await session.scalars(select(Case.id).where(Case.family_id == fid))).all()
    counts = {"requests": len(case_ids)}
    # case → [chat, message id] of the family's words in staff groups (copies and their continuations)
    relayed: dict[int, list[list[int]]] = {}
    if case_ids:
        words = select(
            CaseMessageLink.case_id, CaseMessageLink.to_chat_id, CaseMessageLink.to_message_id
        ).where(CaseMessageLink.case_id.in_(case_ids), CaseMessageLink.direction == "in")
        for case_id, chat_id, message_id in (await session.execute(words)).all():
            relayed.setdefault(case_id, []).append([chat_id, message_id])
        sent = select(OutboxItem.case_id, OutboxItem.payload).where(
            OutboxItem.case_id.in_(case_ids), OutboxItem.target == "staff", OutboxItem.status == "sent"
        )
        for case_id, payload in (await session.execute(sent)).all():
            relayed.setdefault(case_id, []).extend((payload or {}).get("parts") or [])  # a caption's rest
        await session.execute(delete(CaseMessageLink).where(CaseMessageLink.case_id.in_(case_ids)))
        await session.execute(delete(OutboxItem).where(OutboxItem.case_id.in_(case_ids)))
        await session.execute(
            update(Case).where(Case.id.in_(case_ids)).values(family_id=None, summary={}, comment=None)
        )
        await session.execute(
            update(Case)
            .where(Case.id.in_(case_ids), Case.status != "closed")
            .values(status="closed", closed_at=utcnow(), checkin_due_at=None)
        )
        if staff_note:
            topics = await session.scalars(
                select(Case).where(Case.id.in_(case_ids), Case.chat_id.is_not(None))
            )
            for case in topics.all():
                # the worker deletes the family's relayed messages from the topics, then posts the note with
                # what it deleted and what Telegram did not let it delete
                relay.enqueue_erasure(session, case, messages=relayed.get(case.id, []), note=staff_note)
                relay.sync_topic(session, case)
    await session.execute(
        update(TriageResult).where(TriageResult.family_id == fid).values(family_id=None, path=[])
    )
    await session.execute(update(CrisisEvent).where(CrisisEvent.family_id == fid).values(family_id=None))
    await followup.erase(session, fid)
    counts["wellbeing_checkins"] = await checkin.erase(session, fid)
    counts["material_help"] = await aid.erase(session, fid)
    counts["event_registrations"] = await events.erase(session, fid)
    await session.execute(delete(Mute).where(Mute.tg_user_id == tg_id))
    counts["family_cards_revoked"] = await card.erase(session, fid)
    # the audit trail keeps what happened, but no longer who: the person's id is removed from it
    await session.execute(update(AuditLog).where(AuditLog.actor_tg_id == tg_id).values(actor_tg_id=None))
    await _scrub_audit_details(session, tg_id)
    await session.delete(family)
    await session.flush()
    await audit(session, actor_tg_id=None, role="family", action=action, obj=("family", fid), details=counts)
    return counts


def _without(value: Any, tg_id: int) -> tuple[Any, bool]:
    """``value`` (audit details) with every occurrence of the Telegram id replaced by None; and whether any was."""
    if isinstance(value, dict):
        changed = False
        out = {}
        for k, v in value.items():
            out[k], c = _without(v, tg_id)
            changed |= c
        return out, changed
    if isinstance(value, list):
        pairs = [_without(v, tg_id) for v in value]
        return [p[0] for p in pairs], any(p[1] for p in pairs)
    if (isinstance(value, int) and not isinstance(value, bool) and value == tg_id) or value == str(tg_id):
        return None, True
    return value, False


async def _scrub_audit_details(session: AsyncSession, tg_id: int) -> None:
    """The person's Telegram id inside audit details (e.g. a coordinator's «/audit person <id>») goes too."""
    rows = (
        await session.scalars(select(AuditLog).where(cast(AuditLog.details, String).like(f"%{tg_id}%")))
    ).all()
    for row in rows:
        details, changed = _without(row.details, tg_id)
        if changed:
            row.details = details


async def erase_volunteer(session: AsyncSession, vol: Volunteer) -> list[tuple[int, str, int]]:
    """Erase a volunteer's data (the offer, the tasks); the audit trail keeps what happened, not who. Returns the
    open tasks that were cancelled with it (task, kind, target)."""
    tg_id = vol.tg_user_id
    still_open = await volunteers.erase(session, vol)
    await session.execute(update(AuditLog).where(AuditLog.actor_tg_id == tg_id).values(actor_tg_id=None))
    await _scrub_audit_details(session, tg_id)
    return still_open
