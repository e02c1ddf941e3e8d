"""Volunteers: the offer to help, the coordinators' decision, tasks («Мои задания»), pause.

A volunteer is known by the Telegram user id; no staff role. Decisions and task changes are audited, and every
change two people could race for is a conditional UPDATE on the status read.

Tasks are ``assignments`` rows: ``kind`` names what ``target_id`` is: «aid» (a material-help request) or «event» (one
session of an event, bot/services/events.py); another kind adds its name to KINDS and its own screens.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import utcnow
from bot.db.models import Assignment, Volunteer
from bot.db.statuses import AssignmentStatus, VolunteerStatus
from bot.services.audit import audit

SKILLS = ("drive", "children", "sort", "legal", "psych", "repairs", "it", "other")
KINDS = ("aid", "event")  # what an assignment can point to: an aid_requests row, an events row (one session)
CONSENT_VERSION = "2026-12-05.2"  # the volunteer's own notice (bot/views/volunteers.py); a change asks again
MAX_CITY = 100
MAX_AVAILABILITY = 300
OPEN_TASKS = frozenset({AssignmentStatus.OFFERED, AssignmentStatus.ACCEPTED})


class VolunteerError(ValueError):
    """A change the current status does not allow (a stale button, a race lost)."""


async def by_tg(session: AsyncSession, tg_user_id: int) -> Volunteer | None:
    return await session.scalar(select(Volunteer).where(Volunteer.tg_user_id == tg_user_id))


async def get(session: AsyncSession, volunteer_id: int) -> Volunteer | None:
    return await session.get(Volunteer, volunteer_id)


async def reload(session: AsyncSession, vol: Volunteer) -> Volunteer:
    """The volunteer as stored now (after a change someone else made meanwhile)."""
    await session.refresh(vol)
    return vol


async def active(session: AsyncSession, tg_user_id: int) -> Volunteer | None:
    """An approved or paused volunteer (the one who may open «Мои задания»), else None."""
    return await session.scalar(
        select(Volunteer).where(
            Volunteer.tg_user_id == tg_user_id,
            Volunteer.status.in_((VolunteerStatus.APPROVED, VolunteerStatus.PAUSED)),
        )
    )


async def sign_up(
    session: AsyncSession,
    *,
    tg_user_id: int,
    name: str | None,
    language: str,
    region: str,
    city: str,
    skills: list[str],
    availability: str,
) -> Volunteer:
    """Record the offer (with consent to the volunteer's notice). A declined volunteer may offer again; an
    approved or paused one keeps the status and gets the new details."""
    skills = [s for s in SKILLS if s in skills]
    if not skills:
        raise ValueError("a volunteer needs at least one known skill")
    vol = await by_tg(session, tg_user_id)
    if vol is None:
        vol = Volunteer(tg_user_id=tg_user_id, status=VolunteerStatus.APPLIED)
        session.add(vol)
    elif vol.status == VolunteerStatus.DECLINED:
        vol.status = VolunteerStatus.APPLIED
        vol.decided_at = vol.decided_by = None
    vol.name = (name or "")[:128] or None
    vol.language = language
    vol.region = region
    vol.city = city.strip()[:MAX_CITY]
    vol.skills = skills
    vol.availability = availability.strip()[:MAX_AVAILABILITY]
    vol.consent_at = utcnow()
    vol.consent_version = CONSENT_VERSION
    await session.flush()
    await audit(
        session,
        actor_tg_id=tg_user_id,
        role="volunteer",
        action="volunteer.signed_up",
        obj=("volunteer", vol.id),
        details={"region": region, "skills": skills, "consent": CONSENT_VERSION},
    )
    return vol


async def decide(
    session: AsyncSession, volunteer_id: int, *, approve: bool, actor_tg_id: int, role: str
) -> Volunteer | None:
    """Approve or decline an application: only while it is «applied» (exactly one coordinator decides)."""
    new = VolunteerStatus.APPROVED if approve else VolunteerStatus.DECLINED
    result = await session.execute(
        update(Volunteer)
        .where(Volunteer.id == volunteer_id, Volunteer.status == VolunteerStatus.APPLIED)
        .values(status=new, decided_at=utcnow(), decided_by=actor_tg_id)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    await audit(
        session,
        actor_tg_id=actor_tg_id,
        role=role,
        action="volunteer.approved" if approve else "volunteer.declined",
        obj=("volunteer", volunteer_id),
    )
    vol = await session.get(Volunteer, volunteer_id)
    if vol is not None:
        await session.refresh(vol)
    return vol


async def set_paused(session: AsyncSession, vol: Volunteer, paused: bool) -> None:
    old, new = (
        (VolunteerStatus.APPROVED, VolunteerStatus.PAUSED)
        if paused
        else (VolunteerStatus.PAUSED, VolunteerStatus.APPROVED)
    )
    result = await session.execute(
        update(Volunteer)
        .where(Volunteer.id == vol.id, Volunteer.status == old)
        .values(status=new)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise VolunteerError("not in the status to change")
    await session.refresh(vol)
    await audit(
        session,
        actor_tg_id=vol.tg_user_id,
        role="volunteer",
        action="volunteer.paused" if paused else "volunteer.resumed",
        obj=("volunteer", vol.id),
    )


async def listing(
    session: AsyncSession,
    *,
    status: str,
    region: str | None = None,
    skill: str | None = None,
    limit: int = 30,
) -> list[Volunteer]:
    """Volunteers of a status (and region), the oldest first; a skill filters them (a JSON list: in Python)."""
    q = select(Volunteer).where(Volunteer.status == status)
    if region:
        q = q.where(Volunteer.region == region)
    rows = list((await session.scalars(q.order_by(Volunteer.id).limit(500))).all())
    if skill:
        rows = [v for v in rows if skill in (v.skills or [])]
    return rows[:limit]


async def counts(session: AsyncSession) -> dict[str, int]:
    rows = await session.scalars(select(Volunteer.status))
    out = {s.value: 0 for s in VolunteerStatus}
    for s in rows.all():
        out[s] = out.get(s, 0) + 1
    return out


# --- tasks -----------------------------------------------------------------------------------------------------


async def assign(
    session: AsyncSession, vol: Volunteer, *, kind: str, target_id: int, actor_tg_id: int, role: str
) -> Assignment:
    """Offer a task to an approved volunteer; an open task for the same target is not offered twice."""
    if kind not in KINDS:
        raise ValueError(f"unknown assignment kind {kind!r}")
    if vol.status != VolunteerStatus.APPROVED:
        raise VolunteerError("only an approved volunteer who is not paused gets tasks")
    existing = await session.scalar(
        select(Assignment).where(
            Assignment.volunteer_id == vol.id,
            Assignment.kind == kind,
            Assignment.target_id == target_id,
            Assignment.status.in_(OPEN_TASKS),
        )
    )
    if existing is not None:
        return existing
    task = Assignment(
        volunteer_id=vol.id,
        kind=kind,
        target_id=target_id,
        status=AssignmentStatus.OFFERED,
        created_by=actor_tg_id,
    )
    session.add(task)
    await session.flush()
    await audit(
        session,
        actor_tg_id=actor_tg_id,
        role=role,
        action="assignment.offered",
        obj=("assignment", task.id),
        details={"volunteer": vol.id, "kind": kind, "target": target_id},
    )
    return task


async def task_of(session: AsyncSession, vol: Volunteer, task_id: int) -> Assignment | None:
    """The volunteer's own task, or None: never another volunteer's."""
    return await session.scalar(
        select(Assignment).where(Assignment.id == task_id, Assignment.volunteer_id == vol.id)
    )


async def tasks(session: AsyncSession, vol: Volunteer, limit: int = 10) -> list[Assignment]:
    """Open tasks first, then the latest finished ones."""
    rows = list(
        (
            await session.scalars(
                select(Assignment)
                .where(Assignment.volunteer_id == vol.id)
                .order_by(Assignment.id.desc())
                .limit(50)
            )
        ).all()
    )
    rows.sort(key=lambda t: (t.status not in OPEN_TASKS, -t.id))
    return rows[:limit]


async def for_target(session: AsyncSession, kind: str, target_id: int) -> list[tuple[Assignment, Volunteer]]:
    rows = await session.execute(
        select(Assignment, Volunteer)
        .join(Volunteer, Volunteer.id == Assignment.volunteer_id)
        .where(Assignment.kind == kind, Assignment.target_id == target_id)
        .order_by(Assignment.id)
    )
    return [(a, v) for a, v in rows.all()]


_TASK_MOVES = {
    AssignmentStatus.ACCEPTED: AssignmentStatus.OFFERED,
    AssignmentStatus.DECLINED: AssignmentStatus.OFFERED,
    AssignmentStatus.DONE: AssignmentStatus.ACCEPTED,
}


async def answer(session: AsyncSession, vol: Volunteer, task: Assignment, new_status: str) -> None:
    """The volunteer accepts or declines an offered task, or marks an accepted one done."""
    old = _TASK_MOVES.get(AssignmentStatus(new_status)) if new_status in _TASK_MOVES else None
    if old is None:
        raise VolunteerError(f"unknown answer {new_status!r}")
    now = utcnow()
    values: dict[str, object] = {"status": new_status}
    values["done_at" if new_status == AssignmentStatus.DONE else "answered_at"] = now
    result = await session.execute(
        update(Assignment)
        .where(Assignment.id == task.id, Assignment.volunteer_id == vol.id, Assignment.status == old)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise VolunteerError("the task is not in the status to change")
    await session.refresh(task)
    await audit(
        session,
        actor_tg_id=vol.tg_user_id,
        role="volunteer",
        action=f"assignment.{new_status}",
        obj=("assignment", task.id),
        details={"kind": task.kind, "target": task.target_id},
    )


async def cancel_open(session: AsyncSession, kind: str, target_id: int) -> list[Assignment]:
    """The target ended (a request closed or not met): its open tasks are cancelled; returns them."""
    rows = list(
        (
            await session.scalars(
                select(Assignment).where(
                    Assignment.kind == kind,
                    Assignment.target_id == target_id,
                    Assignment.status.in_(OPEN_TASKS),
                )
            )
        ).all()
    )
    for task in rows:
        task.status = AssignmentStatus.CANCELLED
    return rows


# --- the volunteer's own data (152-ФЗ) ----------------------------------------------------------------------------


async def export(session: AsyncSession, vol: Volunteer) -> dict[str, object]:
    """Everything kept about the volunteer: the offer, the decision, the tasks (what they point to, by number)."""
    rows = await session.scalars(
        select(Assignment).where(Assignment.volunteer_id == vol.id).order_by(Assignment.id)
    )

    def at(value) -> str | None:
        return value.isoformat() if value else None

    return {
        "volunteer_number": vol.id,
        "name": vol.name,
        "language": vol.language,
        "region": vol.region,
        "city": vol.city,
        "skills": list(vol.skills or []),
        "availability": vol.availability,
        "status": vol.status,
        "consent": {"given_at": at(vol.consent_at), "notice_version": vol.consent_version},
        "offered_at": at(vol.created_at),
        "decided_at": at(vol.decided_at),
        "tasks": [
            {
                "task": t.id,
                "kind": t.kind,
                "target": t.target_id,
                "status": t.status,
                "offered_at": at(t.created_at),
                "answered_at": at(t.answered_at),
                "done_at": at(t.done_at),
            }
            for t in rows.all()
        ],
    }


async def erase(session: AsyncSession, vol: Volunteer) -> list[tuple[int, str, int]]:
    """Delete the volunteer and every task of theirs; returns (task, kind, target) of the tasks that were still
    open (offered or accepted), so the coordinators can be told which work is now without a volunteer."""
    tasks = list((await session.scalars(select(Assignment).where(Assignment.volunteer_id == vol.id))).all())
    still_open = [(t.id, t.kind, t.target_id) for t in tasks if t.status in OPEN_TASKS]
    for task in tasks:
        await session.delete(task)
    vol_id = vol.id
    await session.delete(vol)
    await session.flush()
    await audit(
        session,
        actor_tg_id=None,
        role="volunteer",
        action="volunteer.erased",
        obj=("volunteer", vol_id),
        details={"tasks": len(tasks), "open_tasks_cancelled": len(still_open)},
    )
    return still_open
