"""Material help («окна помощи»): a family's request for things, the coordinators' work on it, the figures.

Statuses and their transitions are declared once, here, as data. Every change is audited; a change that two
coordinators could race for (taking a request) is one conditional UPDATE, never read-then-write.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import utcnow
from bot.db.models import AidRequest, Assignment, Case, Family
from bot.db.statuses import AidStatus
from bot.services import desk
from bot.services.audit import audit

ITEMS = ("clothes", "shoes", "pram", "cot", "food", "hygiene", "school", "other")
URGENCIES = ("routine", "soon", "urgent")  # within a month · within a week · in a day or two
UNMET_REASONS = ("no_stock", "no_volunteer", "unreachable", "other")
OPEN_STATUSES = frozenset(
    {AidStatus.NEW, AidStatus.TAKEN, AidStatus.COLLECTING, AidStatus.READY, AidStatus.HANDED}
)
ENDED = frozenset({AidStatus.CLOSED, AidStatus.UNMET, AidStatus.CANCELLED})
TRANSITIONS: dict[str, frozenset[str]] = {
    AidStatus.NEW: frozenset({AidStatus.TAKEN, AidStatus.UNMET, AidStatus.CANCELLED}),
    AidStatus.TAKEN: frozenset(
        {AidStatus.COLLECTING, AidStatus.READY, AidStatus.HANDED, AidStatus.UNMET, AidStatus.CANCELLED}
    ),
    AidStatus.COLLECTING: frozenset(
        {AidStatus.READY, AidStatus.HANDED, AidStatus.UNMET, AidStatus.CANCELLED}
    ),
    AidStatus.READY: frozenset(
        {AidStatus.COLLECTING, AidStatus.READY, AidStatus.HANDED, AidStatus.UNMET, AidStatus.CANCELLED}
    ),
    # the family confirms (closed) or says it got nothing (back to work)
    AidStatus.HANDED: frozenset({AidStatus.CLOSED, AidStatus.TAKEN}),
}
# what the family is told about (the rest it did itself: sent, confirmed, cancelled)
TOLD = frozenset({AidStatus.TAKEN, AidStatus.COLLECTING, AidStatus.READY, AidStatus.HANDED, AidStatus.UNMET})
MAX_DETAILS = 300
MAX_CITY = 100
MAX_PICKUP = 400


class AidError(ValueError):
    """A change the request's status does not allow (a stale button, a race lost)."""


async def create(
    session: AsyncSession,
    family: Family,
    *,
    items: list[str],
    details: str,
    city: str,
    urgency: str,
) -> tuple[AidRequest, Case | None]:
    """Record the request. When the crisis centre handles the family (an open crisis request), the request goes
    its way: it is routed «crisis» and that request is returned, so its topic can be told."""
    items = [i for i in ITEMS if i in items]
    if not items or urgency not in URGENCIES:
        raise ValueError("a request needs at least one known item and a known urgency")
    crisis_case = await desk.latest_open_case(session, family.id)
    if crisis_case is not None and crisis_case.tier != 3:
        crisis_case = None
    req = AidRequest(
        family_id=family.id,
        region=family.region,
        city=city.strip()[:MAX_CITY],
        items=items,
        details=details.strip()[:MAX_DETAILS] or None,
        urgency=urgency,
        route="crisis" if crisis_case is not None else "coordinators",
        status=AidStatus.NEW,
    )
    session.add(req)
    await session.flush()
    await audit(
        session,
        actor_tg_id=family.tg_user_id,
        role="family",
        action="aid.opened",
        obj=("aid", req.id),
        details={"items": items, "urgency": urgency, "route": req.route},
    )
    return req, crisis_case


async def get(session: AsyncSession, req_id: int) -> AidRequest | None:
    return await session.get(AidRequest, req_id)


async def reload(session: AsyncSession, req: AidRequest) -> AidRequest:
    """The request as stored now (after a change someone else made meanwhile)."""
    await session.refresh(req)
    return req


async def of_family(session: AsyncSession, family_id: int, req_id: int) -> AidRequest | None:
    """The family's own request, or None: never another family's."""
    return await session.scalar(
        select(AidRequest).where(AidRequest.id == req_id, AidRequest.family_id == family_id)
    )


async def open_of_family(session: AsyncSession, family_id: int) -> list[AidRequest]:
    rows = await session.scalars(
        select(AidRequest)
        .where(AidRequest.family_id == family_id, AidRequest.status.in_(OPEN_STATUSES))
        .order_by(AidRequest.id.desc())
    )
    return list(rows.all())


def _rank(req: AidRequest) -> tuple[int, int, int]:
    new_first = 0 if req.status == AidStatus.NEW else 1
    return (-URGENCIES.index(req.urgency) if req.urgency in URGENCIES else 0, new_first, req.id)


async def open_list(session: AsyncSession, region: str | None = None, limit: int = 30) -> list[AidRequest]:
    """Open requests for the coordinators' list: the most urgent first, then the oldest."""
    q = select(AidRequest).where(AidRequest.status.in_(OPEN_STATUSES))
    if region:
        q = q.where(AidRequest.region == region)
    rows = list((await session.scalars(q.order_by(AidRequest.id).limit(500))).all())
    return sorted(rows, key=_rank)[:limit]


async def open_regions(session: AsyncSession) -> list[str]:
    rows = await session.scalars(
        select(AidRequest.region).where(AidRequest.status.in_(OPEN_STATUSES)).distinct()
    )
    return sorted(r for r in rows.all() if r)


async def take(session: AsyncSession, req_id: int, *, actor_tg_id: int, actor_name: str, role: str) -> bool:
    """Take a new request: one conditional UPDATE, so of two coordinators exactly one wins."""
    result = await session.execute(
        update(AidRequest)
        .where(AidRequest.id == req_id, AidRequest.status == AidStatus.NEW)
        .values(
            status=AidStatus.TAKEN,
            taken_by=actor_tg_id,
            taken_by_name=actor_name[:128],
            taken_at=utcnow(),
            notice_seq=AidRequest.notice_seq + 1,
            status_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    await audit(session, actor_tg_id=actor_tg_id, role=role, action="aid.taken", obj=("aid", req_id))
    req = await session.get(AidRequest, req_id)
    if req is not None:
        await session.refresh(req)
    return True


async def move(
    session: AsyncSession,
    req: AidRequest,
    new_status: str,
    *,
    actor_tg_id: int | None,
    role: str,
    pickup: str | None = None,
    place_id: str | None = None,
    reason: str | None = None,
) -> None:
    """Change the status (conditional on the status read, so a concurrent change makes this one fail)."""
    old = req.status
    if new_status not in TRANSITIONS.get(old, frozenset()):
        raise AidError(f"{old} → {new_status} is not allowed")
    now = utcnow()
    values: dict[str, object] = {"status": new_status, "status_at": now}
    if new_status in TOLD:
        values["notice_seq"] = AidRequest.notice_seq + 1
    if new_status == AidStatus.READY:
        values.update(
            pickup=(pickup or req.pickup or "")[:MAX_PICKUP] or None, place_id=place_id or req.place_id
        )
    if new_status == AidStatus.HANDED:
        values["handed_at"] = now
    if new_status in ENDED:
        values["closed_at"] = now
    if new_status == AidStatus.UNMET:
        values["unmet_reason"] = reason if reason in UNMET_REASONS else "other"
    result = await session.execute(
        update(AidRequest)
        .where(AidRequest.id == req.id, AidRequest.status == old)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise AidError("changed meanwhile")
    await session.refresh(req)
    details: dict[str, object] = {"from": old, "to": new_status}
    if place_id:
        details["place"] = place_id
    if new_status == AidStatus.UNMET:
        details["reason"] = req.unmet_reason
    await audit(
        session, actor_tg_id=actor_tg_id, role=role, action="aid.status", obj=("aid", req.id), details=details
    )


# --- the family's notices ------------------------------------------------------------------------------------------


async def mark_told(session: AsyncSession, req_id: int, seq: int) -> None:
    """The family got the notice of change ``seq`` (an older confirmation never moves it back)."""
    await session.execute(
        update(AidRequest)
        .where(AidRequest.id == req_id, AidRequest.told_seq < seq)
        .values(told_seq=seq)
        .execution_options(synchronize_session=False)
    )


async def untold(
    session: AsyncSession, *, grace_seconds: float, now: datetime | None = None, limit: int = 50
) -> list[AidRequest]:
    """Requests whose latest change the family was not told of (its send cut off by a restart or refused by
    Telegram), changed at least ``grace_seconds`` ago so that the handler's own send is not doubled."""
    now = now or utcnow()
    rows = await session.scalars(
        select(AidRequest)
        .where(
            AidRequest.told_seq < AidRequest.notice_seq,
            AidRequest.family_id.is_not(None),
            AidRequest.status.in_(TOLD),
            AidRequest.status_at < now - timedelta(seconds=grace_seconds),
        )
        .order_by(AidRequest.id)
        .limit(limit)
    )
    return list(rows.all())


# --- figures for /stats and the report -------------------------------------------------------------------------


@dataclass
class AidFigures:
    requests: int = 0
    closed: int = 0
    unmet: int = 0
    open: int = 0
    by_item: Counter = field(default_factory=Counter)
    by_region: Counter = field(default_factory=Counter)
    unmet_by_item: Counter = field(default_factory=Counter)
    unmet_by_reason: Counter = field(default_factory=Counter)
    fulfil_hours: list[float] = field(default_factory=list)

    @property
    def fulfil_median_h(self) -> float | None:
        return round(statistics.median(self.fulfil_hours), 1) if self.fulfil_hours else None


async def figures(session: AsyncSession, since: datetime, until: datetime, region: str | None) -> AidFigures:
    """Requests opened in the period: counts by kind of thing and region, time to fulfil, what was not met."""
    q = select(AidRequest).where(AidRequest.created_at >= since, AidRequest.created_at < until)
    if region:
        q = q.where(AidRequest.region == region)
    fig = AidFigures()
    for req in (await session.scalars(q)).all():
        fig.requests += 1
        fig.by_region[req.region or "—"] += 1
        for item in req.items or []:
            fig.by_item[item] += 1
        if req.status == AidStatus.CLOSED:
            fig.closed += 1
        elif req.status == AidStatus.UNMET:
            fig.unmet += 1
            fig.unmet_by_reason[req.unmet_reason or "other"] += 1
            for item in req.items or []:
                fig.unmet_by_item[item] += 1
        elif req.status in OPEN_STATUSES:
            fig.open += 1
        done_at = req.handed_at or (req.closed_at if req.status == AidStatus.CLOSED else None)
        if done_at is not None:
            fig.fulfil_hours.append((done_at - req.created_at).total_seconds() / 3600)
    return fig


# --- the family's data: /mydata and /forget ----------------------------------------------------------------------


async def export(session: AsyncSession, family_id: int) -> list[dict[str, object]]:
    rows = await session.scalars(
        select(AidRequest).where(AidRequest.family_id == family_id).order_by(AidRequest.id)
    )
    return [
        {
            "number": r.id,
            "items": r.items,
            "details": r.details,
            "city": r.city,
            "urgency": r.urgency,
            "status": r.status,
            "pickup": r.pickup,
            "created_at": r.created_at.isoformat() if r.created_at else None,
            "closed_at": r.closed_at.isoformat() if r.closed_at else None,
        }
        for r in rows.all()
    ]


async def erase(session: AsyncSession, family_id: int) -> int:
    """The family's requests stay only as anonymous figures (kind, region, dates): no link, no words, no city.
    Open ones are cancelled, and so are the volunteers' open tasks for them."""
    ids = list((await session.scalars(select(AidRequest.id).where(AidRequest.family_id == family_id))).all())
    if not ids:
        return 0
    now = utcnow()
    await session.execute(
        update(AidRequest)
        .where(AidRequest.id.in_(ids), AidRequest.status.in_(OPEN_STATUSES))
        .values(status=AidStatus.CANCELLED, closed_at=now)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(AidRequest)
        .where(AidRequest.id.in_(ids))
        .values(family_id=None, details=None, pickup=None, city="")
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(Assignment)
        .where(
            Assignment.kind == "aid",
            Assignment.target_id.in_(ids),
            Assignment.status.in_(("offered", "accepted")),
        )
        .values(status="cancelled")
        .execution_options(synchronize_session=False)
    )
    return len(ids)
