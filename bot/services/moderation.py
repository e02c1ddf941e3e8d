"""Abuse control: per-user flood limits (in memory, per process) and temporary mutes set by staff (in the
database, with an expiry, audited). No Telegram here."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import utcnow
from bot.db.models import Case, Family, Mute
from bot.services.audit import audit


class FloodGate:
    """A sliding one-minute window per (user, kind). ``hit`` says whether this event is over the limit and
    whether it is the first one over it in the window (that one gets the friendly message, the rest silence)."""

    def __init__(self, window: float = 60.0, max_users: int = 50_000) -> None:
        self.window = window
        self.max_users = max_users
        self._events: dict[tuple[int, str], deque[float]] = {}
        self._warned: dict[tuple[int, str], float] = {}

    def hit(self, user_id: int, kind: str, limit: int, now: float | None = None) -> tuple[bool, bool]:
        now = time.monotonic() if now is None else now
        key = (user_id, kind)
        events = self._events.get(key)
        if events is None:
            if len(self._events) >= self.max_users:
                self._forget_idle(now)
            events = self._events[key] = deque()
        while events and events[0] <= now - self.window:
            events.popleft()
        if len(events) < limit:
            events.append(now)
            return False, False
        warned_at = self._warned.get(key)
        first = warned_at is None or warned_at <= now - self.window
        if first:
            self._warned[key] = now
        return True, first

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, q in self._events.items() if not q or q[-1] <= now - self.window]:
            self._events.pop(key, None)
            self._warned.pop(key, None)


@dataclass
class MuteState:
    until: datetime
    first_notice: bool  # True once per mute: the user is told, later events are ignored silently


async def active_mute(
    session: AsyncSession, tg_user_id: int, now: datetime | None = None
) -> MuteState | None:
    """The user's mute if it has not expired; marks that the user has been told (the caller tells them)."""
    now = now or utcnow()
    mute = await session.scalar(select(Mute).where(Mute.tg_user_id == tg_user_id, Mute.until > now))
    if mute is None:
        return None
    first = not mute.notified
    if first:
        mute.notified = True
    return MuteState(mute.until, first)


async def mute_case_family(
    session: AsyncSession, case: Case, minutes: float, *, actor_tg_id: int, role: str | None
) -> datetime | None:
    """Pause the case's family for ``minutes``; None if the family has erased its data."""
    family = await session.get(Family, case.family_id) if case.family_id else None
    if family is None:
        return None
    until = utcnow() + timedelta(minutes=minutes)
    mute = await session.scalar(select(Mute).where(Mute.tg_user_id == family.tg_user_id))
    if mute is None:
        mute = Mute(tg_user_id=family.tg_user_id)
        session.add(mute)
    mute.until, mute.by_tg_id, mute.case_id, mute.notified = until, actor_tg_id, case.id, False
    await audit(
        session,
        actor_tg_id=actor_tg_id,
        role=role,
        action="family.muted",
        obj=("family", family.id),
        details={"case": case.id, "minutes": minutes},
    )
    return until


async def unmute_case_family(
    session: AsyncSession, case: Case, *, actor_tg_id: int, role: str | None
) -> bool:
    family = await session.get(Family, case.family_id) if case.family_id else None
    if family is None:
        return False
    result = await session.execute(delete(Mute).where(Mute.tg_user_id == family.tg_user_id))
    if result.rowcount:
        await audit(
            session,
            actor_tg_id=actor_tg_id,
            role=role,
            action="family.unmuted",
            obj=("family", family.id),
            details={"case": case.id},
        )
    return bool(result.rowcount)
