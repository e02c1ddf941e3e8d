"""The operator desk: where a case is worked on, the queue, atomic take, expectations for the family.

No aiogram here: the handlers and the relay worker turn these answers into Telegram calls.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import rows_affected, utcnow
from bot.db.models import Case, Family, OutboxItem, Staff
from bot.db.statuses import CaseStatus
from bot.services.audit import audit
from bot.services.cases import OPEN_STATUSES, URGENCIES, transition
from bot.services.relay import ensure_topic

WAITING_STATUSES = (CaseStatus.NEW.value, CaseStatus.QUEUED.value)
STATUS_ICONS = {
    "new": "🆕",
    "queued": "⏳",
    "in_progress": "💬",
    "waiting_family": "✉️",
    "closed": "✅",
    "unreachable": "🚫",
}
URGENCY_ICONS = {"emergency": "🔴", "urgent": "🟠", "soon": "🟡", "routine": "🟢"}
CATEGORY_CODES_MAX = 40


@dataclass(frozen=True)
class DeskChats:
    """Where cases go: the operators' group, the crisis group, and regional groups from data/regions.yaml."""

    operator_chat_id: int | None
    crisis_chat_id: int | None
    region_chats: dict[str, int]

    def for_case(self, case: Case) -> int | None:
        if case.tier == 3 and self.crisis_chat_id:
            return self.crisis_chat_id
        return self.region_chats.get(case.region or "") or self.operator_chat_id

    @property
    def all(self) -> set[int]:
        chats = {c for c in (self.operator_chat_id, self.crisis_chat_id) if c}
        return chats | set(self.region_chats.values())


def urgency_rank(urgency: str) -> int:
    return URGENCIES.index(urgency) if urgency in URGENCIES else 0


def topic_title(case: Case, category: str, region: str) -> str:
    """What staff scan in the topic list: status, number, urgency, category, region (≤128 characters)."""
    title = (
        f"{STATUS_ICONS.get(case.status, '')} №{case.id} {URGENCY_ICONS.get(case.urgency, '')} "
        f"{category[:CATEGORY_CODES_MAX]} · {region}"
    )
    return title[:128]


async def waiting_queue(session: AsyncSession, chat_id: int | None = None) -> list[Case]:
    """Cases waiting for someone to take them: urgency first, then waiting time."""
    query = select(Case).where(Case.status.in_(WAITING_STATUSES), Case.owner_id.is_(None))
    if chat_id is not None:
        query = query.where(Case.chat_id == chat_id)
    rows = list((await session.scalars(query)).all())
    rows.sort(key=lambda c: (-urgency_rank(c.urgency), c.opened_at, c.id))
    return rows


async def queue_position(session: AsyncSession, case: Case) -> int | None:
    """1 = next to be taken; None when the case is not waiting."""
    if case.status not in WAITING_STATUSES or case.owner_id is not None:
        return None
    queue = await waiting_queue(session)
    for i, c in enumerate(queue, 1):
        if c.id == case.id:
            return i
    return None


async def typical_first_response(session: AsyncSession, sample: int = 20) -> timedelta | None:
    """The median time to first response over the most recent answered cases (None without data)."""
    rows = (
        await session.execute(
            select(Case.opened_at, Case.first_response_at)
            .where(Case.first_response_at.is_not(None))
            .order_by(Case.first_response_at.desc())
            .limit(sample)
        )
    ).all()
    waits = [(answered - opened).total_seconds() for opened, answered in rows if answered >= opened]
    if len(waits) < 3:
        return None
    return timedelta(seconds=statistics.median(waits))


async def estimated_wait(session: AsyncSession, position: int | None) -> timedelta | None:
    """A realistic wait: the recent median first response, scaled by the place in the queue and staff on duty."""
    if position is None:
        return None
    typical = await typical_first_response(session)
    if typical is None:
        return None
    staff = await session.scalar(select(func.count(Staff.id)).where(Staff.active.is_(True))) or 1
    return typical * max(1.0, position / max(1, staff))


async def open_waiting_count(session: AsyncSession) -> int:
    return await session.scalar(select(func.count(Case.id)).where(Case.status.in_(WAITING_STATUSES))) or 0


@dataclass
class TakeResult:
    ok: bool
    case: Case | None
    owner: Staff | None


async def take(session: AsyncSession, case_id: int, staff: Staff, *, actor_tg_id: int) -> TakeResult:
    """Atomic: of two operators pressing at once exactly one becomes the owner."""
    now = utcnow()
    result = await session.execute(
        update(Case)
        .where(Case.id == case_id, Case.owner_id.is_(None), Case.status.in_(OPEN_STATUSES))
        .values(owner_id=staff.id, taken_at=now, status="in_progress", reminder_stage=0)
        .execution_options(synchronize_session=False)
    )
    case = await session.get(Case, case_id, populate_existing=True)
    if rows_affected(result) != 1 or case is None:
        owner = await session.get(Staff, case.owner_id) if case is not None and case.owner_id else None
        return TakeResult(False, case, owner)
    await audit(
        session,
        actor_tg_id=actor_tg_id,
        role=staff.role,
        action="case.taken",
        obj=("case", case.id),
        details={"owner": staff.id},
    )
    return TakeResult(True, case, staff)


async def release(session: AsyncSession, case: Case, *, actor_tg_id: int, role: str | None) -> None:
    """Back to the queue without an owner (used by transfers)."""
    case.owner_id = None
    case.taken_at = None
    case.reminder_stage = 0
    if case.status != CaseStatus.QUEUED:
        await transition(session, case, "queued", actor_tg_id=actor_tg_id, role=role)


async def close(
    session: AsyncSession, case: Case, *, actor_tg_id: int | None, role: str | None, checkin_after: timedelta
) -> None:
    await transition(session, case, "closed", actor_tg_id=actor_tg_id, role=role)
    case.closed_at = utcnow()
    if case.tier == 3 and case.checkin_sent_at is None:
        case.checkin_due_at = case.closed_at + checkin_after


async def reopen(session: AsyncSession, case: Case, *, actor_tg_id: int | None, role: str | None) -> None:
    await transition(session, case, "queued", actor_tg_id=actor_tg_id, role=role)
    case.closed_at = None
    case.owner_id = None
    case.reminder_stage = 0


async def note_family_message(session: AsyncSession, case: Case, *, actor_tg_id: int) -> None:
    """A family wrote into its case: the ball is with the staff again."""
    case.last_family_at = utcnow()
    case.answer_reminded_at = None
    if case.status == CaseStatus.WAITING_FAMILY:
        await transition(session, case, "in_progress", actor_tg_id=actor_tg_id, role="family")
    elif case.status == CaseStatus.UNREACHABLE:
        await transition(session, case, "in_progress", actor_tg_id=actor_tg_id, role="family")


async def note_staff_message(session: AsyncSession, case: Case, staff: Staff, *, actor_tg_id: int) -> None:
    """A staff member answered: first response time, owner if nobody took the case, waiting for the family."""
    now = utcnow()
    case.last_staff_at = now
    if case.first_response_at is None:
        case.first_response_at = now
    if case.owner_id is None:
        case.owner_id = staff.id
        case.taken_at = now
    if case.status in (CaseStatus.NEW, CaseStatus.QUEUED, CaseStatus.UNREACHABLE):
        await transition(session, case, "in_progress", actor_tg_id=actor_tg_id, role=staff.role)
    if case.status == CaseStatus.IN_PROGRESS:
        await transition(session, case, "waiting_family", actor_tg_id=actor_tg_id, role=staff.role)


async def previous_cases(session: AsyncSession, case: Case, limit: int = 5) -> list[Case]:
    if case.family_id is None:
        return []
    return list(
        (
            await session.scalars(
                select(Case)
                .where(Case.family_id == case.family_id, Case.id != case.id)
                .order_by(Case.id.desc())
                .limit(limit)
            )
        ).all()
    )


async def case_in_topic(session: AsyncSession, chat_id: int, thread_id: int | None) -> Case | None:
    if thread_id is None:
        return None
    return await session.scalar(
        select(Case)
        .where(Case.chat_id == chat_id, Case.thread_id == thread_id)
        .order_by(Case.id.desc())
        .limit(1)
    )


async def latest_open_case(session: AsyncSession, family_id: int) -> Case | None:
    return await session.scalar(
        select(Case)
        .where(Case.family_id == family_id, Case.status.in_(OPEN_STATUSES))
        .order_by(Case.tier.desc(), Case.id.desc())
        .limit(1)
    )


def minutes_since(at: datetime | None, now: datetime) -> float:
    return 0.0 if at is None else (now - at).total_seconds() / 60


async def hand_off(session: AsyncSession, case: Case, chats: DeskChats, *, notify_staff: bool = True) -> None:
    """Route the case to its group and have the worker open its topic (once)."""
    if case.chat_id is None:
        case.chat_id = chats.for_case(case)
    if not notify_staff or case.thread_id is not None:
        return
    pending = await session.scalar(
        select(OutboxItem.id).where(
            OutboxItem.case_id == case.id, OutboxItem.kind == "topic", OutboxItem.status == "pending"
        )
    )
    if pending is None:
        ensure_topic(session, case)


async def card_parties(session: AsyncSession, case: Case) -> tuple[Family | None, Staff | None, list[Case]]:
    """What the case card shows besides the case: the family, the owner and the family's earlier requests."""
    family = await session.get(Family, case.family_id) if case.family_id else None
    owner = await session.get(Staff, case.owner_id) if case.owner_id else None
    return family, owner, await previous_cases(session, case)
