"""Events, courses and clubs: the coordinators' sessions, the families' registrations, the waiting list,
attendance, reminders and the figures.

Seats are taken with one conditional UPDATE (``taken < seats``), so two families never get the last seat; a
family that finds none joins the waiting list. When a registered family cancels, the first of the waiting list
(by its place in the queue) gets the seat with a conditional UPDATE too, so two cancellations never promote the
same family twice. Every change is audited. ``now`` is the service's clock (bot/services/clock.py), so a rehearsal
with the clock moved forward sees registrations close and reminders fall due.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import rows_affected, utcnow
from bot.db.models import Assignment, Event, EventRegistration, Family
from bot.db.statuses import AssignmentStatus, EventStatus, RegistrationStatus
from bot.services import clock
from bot.services.audit import audit
from bot.services.broadcasts import PROFILE_TAGS, family_tags
from bot.services.event_times import due_reminder, series_starts

KINDS = ("holiday", "lecture", "parents_school", "club", "course", "other")
CLOSE_BEFORE = (0, 120, 1440)  # registration closes this many minutes before the start
OPEN_BEFORE = (0, 7, 14)  # registration opens this many days before the session (0: at once)
MAX_TITLE = 200
MAX_DESCRIPTION = 2000
MAX_CITY = 100
MAX_ADDRESS = 300
MAX_SEATS = 10_000
ACTIVE = frozenset({RegistrationStatus.REGISTERED, RegistrationStatus.WAITING})
FEEDBACK_AFTER = timedelta(hours=1)  # «было полезно?» this long after the end
FEEDBACK_WITHIN = timedelta(days=3)  # not asked later than that (the bot was down)


class EventError(ValueError):
    """What a registration or a change cannot do now: ``reason`` is not_yet | closed | cancelled | changed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def now() -> datetime:
    return clock.now()


# --- the coordinators create --------------------------------------------------------------------------------------


@dataclass
class Draft:
    """What the coordinator's wizard gathered (see handlers/coordinators/events.py)."""

    title: str
    description: str
    kind: str
    region: str
    city: str
    first_day: date
    at: time
    sessions: int = 1
    every_days: int = 7
    duration_min: int = 90
    seats: int = 10
    place_id: str | None = None
    address: str | None = None
    online_url: str | None = None
    audience: list[str] = field(default_factory=list)
    close_before_min: int = 0
    open_before_days: int = 0


async def create_series(
    session: AsyncSession, draft: Draft, tz: ZoneInfo, *, actor_tg_id: int, role: str
) -> list[Event]:
    """Every session of the draft (one row each, one series); registration opens at once."""
    if draft.kind not in KINDS or not draft.title.strip() or not 1 <= draft.seats <= MAX_SEATS:
        raise ValueError("an event needs a known kind, a title and 1–10000 seats")
    if not (draft.place_id or draft.address or draft.online_url):
        raise ValueError("an event needs a place or an online link")
    starts = series_starts(draft.first_day, draft.at, tz, draft.sessions, draft.every_days)
    close = timedelta(minutes=draft.close_before_min if draft.close_before_min in CLOSE_BEFORE else 0)
    created = now()
    ahead = timedelta(days=draft.open_before_days if draft.open_before_days in OPEN_BEFORE else 0)
    rows: list[Event] = []
    for number, starts_at in enumerate(starts, 1):
        ev = Event(
            session_no=number,
            sessions=len(starts),
            title=draft.title.strip()[:MAX_TITLE],
            description=draft.description.strip()[:MAX_DESCRIPTION],
            kind=draft.kind,
            region=draft.region,
            city=draft.city.strip()[:MAX_CITY],
            place_id=draft.place_id,
            address=(draft.address or "").strip()[:MAX_ADDRESS] or None,
            online_url=draft.online_url,
            starts_at=starts_at,
            duration_min=draft.duration_min,
            seats=draft.seats,
            taken=0,
            audience=[t for t in PROFILE_TAGS if t in draft.audience],
            reg_opens_at=max(created, starts_at - ahead) if ahead else created,
            reg_closes_at=starts_at - close,
            status=EventStatus.OPEN,
            created_by=actor_tg_id,
        )
        session.add(ev)
        rows.append(ev)
    await session.flush()
    for ev in rows:
        ev.series_id = rows[0].id
    await session.flush()
    await audit(
        session,
        actor_tg_id=actor_tg_id,
        role=role,
        action="event.created",
        obj=("event", rows[0].id),
        details={
            "sessions": len(rows),
            "kind": draft.kind,
            "region": draft.region,
            "seats": draft.seats,
            "opens_days_before": draft.open_before_days,
            "closes_min_before": draft.close_before_min,
        },
    )
    return rows


async def get(session: AsyncSession, event_id: int) -> Event | None:
    return await session.get(Event, event_id)


async def reload(session: AsyncSession, ev: Event) -> Event:
    await session.refresh(ev)
    return ev


def registration_not_yet(ev: Event, at: datetime | None = None) -> bool:
    return ev.status == EventStatus.OPEN and (at or now()) < ev.reg_opens_at


def registration_open(ev: Event, at: datetime | None = None) -> bool:
    at = at or now()
    return ev.status == EventStatus.OPEN and ev.reg_opens_at <= at < ev.reg_closes_at


def for_family_profile(ev: Event, family: Family) -> bool:
    return not ev.audience or bool(set(ev.audience) & family_tags(family.profile, now().date()))


async def upcoming_for_family(session: AsyncSession, family: Family, limit: int = 10) -> list[Event]:
    """Open sessions of the family's region, still ahead, meant for its profile: the soonest first."""
    if not family.region:
        return []
    rows = await session.scalars(
        select(Event)
        .where(Event.region == family.region, Event.status == EventStatus.OPEN, Event.starts_at > now())
        .order_by(Event.starts_at, Event.id)
        .limit(200)
    )
    return [ev for ev in rows.all() if for_family_profile(ev, family)][:limit]


async def listing(session: AsyncSession, region: str | None = None, limit: int = 20) -> list[Event]:
    """The coordinators' list: sessions from a week ago on (to mark attendance), the soonest first."""
    q = select(Event).where(Event.starts_at >= now() - timedelta(days=7))
    if region:
        q = q.where(Event.region == region)
    return list((await session.scalars(q.order_by(Event.starts_at, Event.id).limit(limit))).all())


# --- the family registers and cancels ------------------------------------------------------------------------------


async def registration_of(session: AsyncSession, event_id: int, family_id: int) -> EventRegistration | None:
    return await session.scalar(
        select(EventRegistration).where(
            EventRegistration.event_id == event_id, EventRegistration.family_id == family_id
        )
    )


async def own_registration(session: AsyncSession, family_id: int, reg_id: int) -> EventRegistration | None:
    """The family's own registration, or None: never another family's."""
    return await session.scalar(
        select(EventRegistration).where(
            EventRegistration.id == reg_id, EventRegistration.family_id == family_id
        )
    )


async def _take_seat(session: AsyncSession, event_id: int) -> bool:
    result = await session.execute(
        update(Event)
        .where(Event.id == event_id, Event.status == EventStatus.OPEN, Event.taken < Event.seats)
        .values(taken=Event.taken + 1)
        .execution_options(synchronize_session=False)
    )
    return rows_affected(result) == 1


async def register(session: AsyncSession, ev: Event, family: Family) -> EventRegistration:
    """A seat if one is free, else a place on the waiting list. A family already in is returned as it is."""
    at = now()
    if ev.status != EventStatus.OPEN:
        raise EventError("cancelled")
    if registration_not_yet(ev, at):
        raise EventError("not_yet")
    if not registration_open(ev, at):
        raise EventError("closed")
    reg = await registration_of(session, ev.id, family.id)
    if reg is not None and reg.status in ACTIVE:
        return reg
    status = RegistrationStatus.REGISTERED if await _take_seat(session, ev.id) else RegistrationStatus.WAITING
    if reg is None:
        reg = EventRegistration(event_id=ev.id, family_id=family.id, status=status, queued_at=utcnow())
        session.add(reg)
    else:  # registering again after a cancellation: at the end of the queue, reminders afresh
        reg.status = status
        reg.queued_at = utcnow()
        reg.cancelled_at = reg.reminded_day_at = reg.reminded_soon_at = reg.feedback_asked_at = None
        reg.promoted_at = reg.promoted_told_at = None
    await session.flush()
    await session.refresh(ev)
    await audit(
        session,
        actor_tg_id=family.tg_user_id,
        role="family",
        action=f"event.{status}",
        obj=("event", ev.id),
        details={"registration": reg.id},
    )
    return reg


async def series_ahead(session: AsyncSession, ev: Event) -> list[Event]:
    """The sessions of the event's series still open for registration now, the soonest first."""
    rows = await session.scalars(
        select(Event)
        .where(
            Event.series_id == (ev.series_id or ev.id),
            Event.status == EventStatus.OPEN,
            Event.starts_at > now(),
        )
        .order_by(Event.starts_at, Event.id)
    )
    return [s for s in rows.all() if registration_open(s)]


async def register_series(
    session: AsyncSession, ev: Event, family: Family
) -> list[tuple[Event, EventRegistration]]:
    """Every session of the series open now (a course, a club): a seat in each, or the waiting list where it is
    full. Sessions whose registration is not open (yet or any more) are left out; none open: EventError."""
    out = []
    for one in await series_ahead(session, ev):
        try:
            out.append((one, await register(session, one, family)))
        except EventError:  # closed meanwhile
            continue
    if not out:
        raise EventError("closed")
    return out


async def waiting_position(session: AsyncSession, reg: EventRegistration) -> int:
    """1 for the first of the waiting list."""
    ahead = await session.scalar(
        select(func.count())
        .select_from(EventRegistration)
        .where(
            EventRegistration.event_id == reg.event_id,
            EventRegistration.status == RegistrationStatus.WAITING,
            (EventRegistration.queued_at < reg.queued_at)
            | ((EventRegistration.queued_at == reg.queued_at) & (EventRegistration.id < reg.id)),
        )
    )
    return int(ahead or 0) + 1


async def _promote(session: AsyncSession, ev: Event) -> EventRegistration | None:
    """The freed seat goes to the first of the waiting list; none waiting (or the event begun): the seat is free."""
    while now() < ev.starts_at and ev.status == EventStatus.OPEN:
        first = await session.scalar(
            select(EventRegistration)
            .where(
                EventRegistration.event_id == ev.id, EventRegistration.status == RegistrationStatus.WAITING
            )
            .order_by(EventRegistration.queued_at, EventRegistration.id)
            .limit(1)
        )
        if first is None:
            break
        won = await session.execute(
            update(EventRegistration)
            .where(EventRegistration.id == first.id, EventRegistration.status == RegistrationStatus.WAITING)
            .values(status=RegistrationStatus.REGISTERED, promoted_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if rows_affected(won) == 1:
            await session.refresh(first)
            await audit(
                session,
                actor_tg_id=None,
                role="system",
                action="event.promoted",
                obj=("event", ev.id),
                details={"registration": first.id},
            )
            return first
    await session.execute(
        update(Event)
        .where(Event.id == ev.id, Event.taken > 0)
        .values(taken=Event.taken - 1)
        .execution_options(synchronize_session=False)
    )
    return None


async def cancel(
    session: AsyncSession, reg: EventRegistration, *, actor_tg_id: int | None, role: str = "family"
) -> EventRegistration | None:
    """Cancel a registration or a place on the waiting list; returns the family promoted to the freed seat."""
    old = reg.status
    if old not in ACTIVE:
        raise EventError("changed")
    result = await session.execute(
        update(EventRegistration)
        .where(EventRegistration.id == reg.id, EventRegistration.status == old)
        .values(status=RegistrationStatus.CANCELLED, cancelled_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if rows_affected(result) != 1:
        raise EventError("changed")
    await session.refresh(reg)
    await audit(
        session,
        actor_tg_id=actor_tg_id,
        role=role,
        action="event.cancelled_registration",
        obj=("event", reg.event_id),
        details={"registration": reg.id, "was": old},
    )
    ev = await session.get(Event, reg.event_id)
    if old != RegistrationStatus.REGISTERED or ev is None:
        return None
    promoted = await _promote(session, ev)
    await session.refresh(ev)
    return promoted


async def claim_promotion(session: AsyncSession, reg_id: int) -> bool:
    """Whoever tells a promoted family claims it first (the handler at once, else the job): told exactly once."""
    won = await session.execute(
        update(EventRegistration)
        .where(
            EventRegistration.id == reg_id,
            EventRegistration.promoted_at.is_not(None),
            EventRegistration.promoted_told_at.is_(None),
        )
        .values(promoted_told_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return rows_affected(won) == 1


async def of_family(session: AsyncSession, family_id: int) -> list[tuple[EventRegistration, Event]]:
    """The family's registrations for sessions still ahead (or begun within the day), the soonest first."""
    rows = await session.execute(
        select(EventRegistration, Event)
        .join(Event, Event.id == EventRegistration.event_id)
        .where(
            EventRegistration.family_id == family_id,
            EventRegistration.status.in_(ACTIVE),
            Event.starts_at > now() - timedelta(days=1),
        )
        .order_by(Event.starts_at)
    )
    return [(r, e) for r, e in rows.all()]


async def set_useful(session: AsyncSession, reg: EventRegistration, useful: bool) -> bool:
    """The family's one tap after the event (once asked); a second tap changes the answer."""
    if reg.feedback_asked_at is None:
        return False
    reg.useful = useful
    await session.flush()
    return True


# --- the coordinators' side -----------------------------------------------------------------------------------------


@dataclass
class Registrant:
    reg: EventRegistration
    family: Family


async def registrants(session: AsyncSession, event_id: int) -> list[Registrant]:
    """Registered families, then the waiting list in its order."""
    rows = await session.execute(
        select(EventRegistration, Family)
        .join(Family, Family.id == EventRegistration.family_id)
        .where(EventRegistration.event_id == event_id, EventRegistration.status.in_(ACTIVE))
        .order_by(EventRegistration.queued_at, EventRegistration.id)
    )
    out = [Registrant(r, f) for r, f in rows.all()]
    out.sort(key=lambda x: x.reg.status != RegistrationStatus.REGISTERED)
    return out


async def counts(session: AsyncSession, event_id: int) -> Counter:
    rows = await session.execute(
        select(EventRegistration.status, func.count())
        .where(EventRegistration.event_id == event_id)
        .group_by(EventRegistration.status)
    )
    return Counter({s: n for s, n in rows.all()})


async def toggle_attended(
    session: AsyncSession, ev: Event, reg_id: int, *, actor_tg_id: int, role: str
) -> EventRegistration:
    """Mark a registered family as come (or take the mark back)."""
    reg = await session.scalar(
        select(EventRegistration).where(
            EventRegistration.id == reg_id,
            EventRegistration.event_id == ev.id,
            EventRegistration.status == RegistrationStatus.REGISTERED,
        )
    )
    if reg is None:
        raise EventError("changed")
    reg.attended = not reg.attended
    await session.flush()
    await audit(
        session,
        actor_tg_id=actor_tg_id,
        role=role,
        action="event.attended" if reg.attended else "event.not_attended",
        obj=("event", ev.id),
        details={"registration": reg.id},
    )
    return reg


async def cancel_event(session: AsyncSession, ev: Event, *, actor_tg_id: int, role: str) -> list[Family]:
    """Cancel a session: its registrations end, open volunteers' tasks are cancelled; returns whom to tell."""
    result = await session.execute(
        update(Event)
        .where(Event.id == ev.id, Event.status == EventStatus.OPEN)
        .values(status=EventStatus.CANCELLED)
        .execution_options(synchronize_session=False)
    )
    if rows_affected(result) != 1:
        raise EventError("changed")
    people = [r.family for r in await registrants(session, ev.id)]
    await session.execute(
        update(EventRegistration)
        .where(EventRegistration.event_id == ev.id, EventRegistration.status.in_(ACTIVE))
        .values(status=RegistrationStatus.CANCELLED, cancelled_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(Assignment)
        .where(
            Assignment.kind == "event",
            Assignment.target_id == ev.id,
            Assignment.status.in_((AssignmentStatus.OFFERED, AssignmentStatus.ACCEPTED)),
        )
        .values(status=AssignmentStatus.CANCELLED)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(ev)
    await audit(session, actor_tg_id=actor_tg_id, role=role, action="event.cancelled", obj=("event", ev.id))
    return people


# --- reminders and «было полезно?» (bot/jobs/events.py) -------------------------------------------------------------


@dataclass
class Due:
    what: str  # day | soon | feedback | promoted
    reg_id: int
    tg_user_id: int
    language: str
    event: Event
    discreet: bool = False  # neutral words: no title, no place, no file (the family's discreet mode)


async def claim_due(session: AsyncSession, zones: dict[str, ZoneInfo], limit: int = 100) -> list[Due]:
    """Reminders and questions due now, each claimed (its mark set) before anything is sent; the caller commits."""
    at = now()
    rows = (
        await session.execute(
            select(EventRegistration, Event, Family)
            .join(Event, Event.id == EventRegistration.event_id)
            .join(Family, Family.id == EventRegistration.family_id)
            .where(
                EventRegistration.status == RegistrationStatus.REGISTERED,
                Event.status == EventStatus.OPEN,
                Event.starts_at > at - FEEDBACK_WITHIN,
                Event.starts_at < at + timedelta(days=2),
                Family.is_active.is_(True),
                Family.reminders_off.is_(False),  # the family turned reminders off in «Настройки»
            )
            .order_by(Event.starts_at, EventRegistration.id)
            .limit(limit * 3)
        )
    ).all()
    claimed: list[Due] = []
    promoted = (
        await session.execute(
            select(EventRegistration, Event, Family)
            .join(Event, Event.id == EventRegistration.event_id)
            .join(Family, Family.id == EventRegistration.family_id)
            .where(
                EventRegistration.status == RegistrationStatus.REGISTERED,
                EventRegistration.promoted_at.is_not(None),
                EventRegistration.promoted_told_at.is_(None),
                Event.status == EventStatus.OPEN,
                Event.starts_at > at,
                Family.is_active.is_(True),
            )
            .limit(limit)
        )
    ).all()
    for reg, ev, family in promoted:  # a seat given when nobody could tell at once (an erasure, a crash)
        if await claim_promotion(session, reg.id):
            claimed.append(
                Due("promoted", reg.id, family.tg_user_id, family.language, ev, bool(family.discreet))
            )
    for reg, ev, family in rows:
        what = due_reminder(ev.starts_at, zones.get(ev.region, ZoneInfo("Europe/Moscow")), at)
        column = {"day": "reminded_day_at", "soon": "reminded_soon_at"}.get(what or "")
        ended = ev.starts_at + timedelta(minutes=ev.duration_min)
        if column is None and ended + FEEDBACK_AFTER <= at and reg.attended is not False:
            what, column = "feedback", "feedback_asked_at"
        if column is None or getattr(reg, column) is not None:
            continue
        won = await session.execute(
            update(EventRegistration)
            .where(EventRegistration.id == reg.id, getattr(EventRegistration, column).is_(None))
            .values({column: utcnow()})
            .execution_options(synchronize_session=False)
        )
        if rows_affected(won) == 1 and what is not None:
            claimed.append(Due(what, reg.id, family.tg_user_id, family.language, ev, bool(family.discreet)))
        if len(claimed) >= limit:
            break
    return claimed


# --- figures for /stats and the report ------------------------------------------------------------------------------


@dataclass
class EventFigures:
    held: int = 0  # sessions that took place in the period (not cancelled)
    registrations: int = 0  # families registered for them
    attended: int = 0
    waiting: int = 0  # still on a waiting list at the start
    useful_yes: int = 0
    useful_no: int = 0
    by_kind: Counter = field(default_factory=Counter)  # sessions held
    attended_by_kind: Counter = field(default_factory=Counter)
    by_region: Counter = field(default_factory=Counter)


async def figures(
    session: AsyncSession, since: datetime, until: datetime, region: str | None
) -> EventFigures:
    q = select(Event).where(
        Event.starts_at >= since,
        Event.starts_at < until,
        Event.starts_at <= now(),
        Event.status == EventStatus.OPEN,
    )
    if region:
        q = q.where(Event.region == region)
    fig = EventFigures()
    held = {ev.id: ev for ev in (await session.scalars(q)).all()}
    for ev in held.values():
        fig.held += 1
        fig.by_kind[ev.kind] += 1
        fig.by_region[ev.region] += 1
    if not held:
        return fig
    regs = await session.scalars(select(EventRegistration).where(EventRegistration.event_id.in_(list(held))))
    for reg in regs.all():
        if reg.status == RegistrationStatus.REGISTERED:
            fig.registrations += 1
            if reg.attended:
                fig.attended += 1
                fig.attended_by_kind[held[reg.event_id].kind] += 1
            if reg.useful is True:
                fig.useful_yes += 1
            elif reg.useful is False:
                fig.useful_no += 1
        elif reg.status == RegistrationStatus.WAITING:
            fig.waiting += 1
    return fig


# --- the family's data: /mydata and /forget --------------------------------------------------------------------


async def export(session: AsyncSession, family_id: int) -> list[dict[str, object]]:
    rows = await session.execute(
        select(EventRegistration, Event)
        .join(Event, Event.id == EventRegistration.event_id)
        .where(EventRegistration.family_id == family_id)
        .order_by(EventRegistration.id)
    )
    return [
        {
            "event": ev.title,
            "starts_at": ev.starts_at.isoformat(),
            "city": ev.city,
            "status": reg.status,
            "registered_at": reg.created_at.isoformat() if reg.created_at else None,
            "cancelled_at": reg.cancelled_at.isoformat() if reg.cancelled_at else None,
            "attended": reg.attended,
            "useful": reg.useful,
        }
        for reg, ev in rows.all()
    ]


async def erase(session: AsyncSession, family_id: int) -> int:
    """The family's registrations are deleted; a seat it held goes to the waiting list as on a cancellation."""
    regs = list(
        (
            await session.scalars(select(EventRegistration).where(EventRegistration.family_id == family_id))
        ).all()
    )
    for reg in regs:
        if reg.status in ACTIVE:
            await cancel(session, reg, actor_tg_id=None, role="system")
    if regs:
        await session.execute(
            delete(EventRegistration)
            .where(EventRegistration.family_id == family_id)
            .execution_options(synchronize_session=False)
        )
    return len(regs)
