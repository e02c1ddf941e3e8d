"""Requests (cases). Statuses and their transitions are declared once, here, as data."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Case, Family
from bot.db.statuses import CaseStatus
from bot.services.audit import audit

STATUSES = tuple(s.value for s in CaseStatus)
OPEN_STATUSES = frozenset(STATUSES) - {"closed"}
TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({"queued", "in_progress", "closed", "unreachable"}),
    "queued": frozenset({"in_progress", "closed", "unreachable"}),
    "in_progress": frozenset({"waiting_family", "queued", "closed", "unreachable"}),
    "waiting_family": frozenset({"in_progress", "closed", "unreachable"}),
    "unreachable": frozenset({"in_progress", "closed"}),
    "closed": frozenset({"queued"}),  # reopen
}
URGENCIES = ("routine", "soon", "urgent", "emergency")


class TransitionError(ValueError):
    pass


async def open_case(session: AsyncSession, family: Family, tier: int) -> Case | None:
    return await session.scalar(
        select(Case)
        .where(Case.family_id == family.id, Case.tier == tier, Case.status.in_(OPEN_STATUSES))
        .order_by(Case.id.desc())
        .limit(1)
    )


async def record_request(
    session: AsyncSession,
    family: Family,
    *,
    tier: int,
    specialty: str | None,
    category: str,
    urgency: str,
    route: str,
    source: str,
    summary: dict[str, Any],
) -> Case:
    """Record a family's request; one open request per family and tier (a new one joins the open one)."""
    if urgency not in URGENCIES:
        raise ValueError(f"unknown urgency {urgency!r}")
    case = await open_case(session, family, tier)
    if case is not None:
        if URGENCIES.index(urgency) > URGENCIES.index(case.urgency):
            case.urgency = urgency
        if summary:
            case.summary = {**(case.summary or {}), **summary}
        await session.flush()
        return case
    case = Case(
        family_id=family.id,
        region=family.region,
        tier=tier,
        specialty=specialty,
        category=category,
        urgency=urgency,
        route=route,
        source=source,
        status="new",
        summary=summary,
    )
    session.add(case)
    await session.flush()
    await audit(
        session,
        actor_tg_id=family.tg_user_id,
        role="family",
        action="case.opened",
        obj=("case", case.id),
        details={"tier": tier, "urgency": urgency, "source": source},
    )
    return case


async def transition(
    session: AsyncSession, case: Case, new_status: str, *, actor_tg_id: int | None, role: str | None
) -> None:
    if new_status not in TRANSITIONS.get(case.status, frozenset()):
        raise TransitionError(f"{case.status} → {new_status} is not allowed")
    old, case.status = case.status, new_status
    await audit(
        session,
        actor_tg_id=actor_tg_id,
        role=role,
        action="case.status",
        obj=("case", case.id),
        details={"from": old, "to": new_status},
    )


async def get(session: AsyncSession, case_id: int) -> Case | None:
    return await session.get(Case, case_id)


async def of_family(session: AsyncSession, family_id: int, case_id: int) -> Case | None:
    """The family's own request, or None: never another family's."""
    return await session.scalar(select(Case).where(Case.id == case_id, Case.family_id == family_id))


async def recent_of_family(session: AsyncSession, family_id: int, limit: int = 10) -> list[Case]:
    """The family's latest requests, newest first."""
    rows = await session.scalars(
        select(Case).where(Case.family_id == family_id).order_by(Case.opened_at.desc()).limit(limit)
    )
    return list(rows.all())
