"""Abuse control: per-user flood limits (in memory for one process; in Redis, shared by every instance, when there
is one) and temporary mutes set by staff (in the database, with an expiry, audited). No Telegram here."""

from __future__ import annotations

import logging
import time
import uuid
from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import rows_affected, utcnow
from bot.db.models import Case, Family, Mute
from bot.services.audit import audit

log = logging.getLogger(__name__)


class _Windows:
    """Sliding windows of event times per key, bounded: idle keys are forgotten when there are too many."""

    def __init__(self, window: float, max_keys: int) -> None:
        self.window = window
        self.max_keys = max_keys
        self._times: dict[Hashable, deque[float]] = {}
        self._told: dict[Hashable, float] = {}  # when the key was last told (or logged) about being over

    def recent(self, key: Hashable, now: float) -> deque[float]:
        """The key's event times within the window (the deque itself: append to count one)."""
        times = self._times.get(key)
        if times is None:
            if len(self._times) >= self.max_keys:
                for idle in [k for k, q in self._times.items() if not q or q[-1] <= now - self.window]:
                    self._times.pop(idle, None)
                    self._told.pop(idle, None)
            times = self._times[key] = deque()
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def uncount(self, key: Hashable) -> None:
        """Takes the key's latest event back."""
        times = self._times.get(key)
        if times:
            times.pop()

    def first_told(self, key: Hashable, now: float) -> bool:
        """True once a window: the first time the key is over the limit in it."""
        told_at = self._told.get(key)
        if told_at is not None and told_at > now - self.window:
            return False
        self._told[key] = now
        return True


class FloodGate:
    """A sliding one-minute window per (user, kind). ``hit`` says whether this event is over the limit and
    whether it is the first one over it in the window (that one gets the friendly message, the rest silence)."""

    def __init__(self, window: float = 60.0, max_users: int = 50_000) -> None:
        self._windows = _Windows(window, max_users)

    def hit(self, user_id: int, kind: str, limit: int, now: float | None = None) -> tuple[bool, bool]:
        now = time.monotonic() if now is None else now
        events = self._windows.recent((user_id, kind), now)
        if len(events) < limit:
            events.append(now)
            return False, False
        return True, self._windows.first_told((user_id, kind), now)

    async def check(self, user_id: int, kind: str, limit: int) -> tuple[bool, bool]:
        return self.hit(user_id, kind, limit)

    async def close(self) -> None:
        pass


# KEYS: the user's events (a sorted set of arrival times), the "told" marker; ARGV: limit, window in ms, a unique
# member. Redis's own clock, so instances with skewed clocks count the same window. 0: under the limit (counted);
# 1: over it; 2: over it and the first time in the window (the one that is told).
_FLOOD_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return 0
end
if redis.call('SET', KEYS[2], '1', 'NX', 'PX', window) then
  return 2
end
return 1
"""


class FloodDoor:
    """The flood limit at the door, before an update is claimed and handled. A person's private messages are
    counted as they arrive; once more than the limit have come in within the window, the flood gate
    (:class:`FloodGate`, in the middleware) has at least one over the limit to tell them about, and it would drop
    the rest in silence — so the rest are dropped here, before their claim (a database write) and their way through
    the middlewares: one family's flood then costs the others almost nothing. Danger is never counted nor dropped
    (the dispatcher checks for it first), staff are exempt (the middleware names them as it meets them), and a
    message the gate did not count (a paused family's) is given back. Counted per process: with several instances
    each sees only its own share, so it drops later, never sooner, than the shared gate would."""

    def __init__(self, window: float = 60.0, max_users: int = 50_000) -> None:
        self._windows = _Windows(window, max_users)
        self._reads = _Windows(window, max_users)  # messages about to be dropped that were read whole
        self._exempt: set[int] = set()

    def admits(self, user_id: int, limit: int, now: float | None = None) -> bool:
        if user_id in self._exempt:
            return True
        now = time.monotonic() if now is None else now
        passed = self._windows.recent(user_id, now)
        if len(passed) > limit:
            if self._windows.first_told(user_id, now):
                log.info("flood: a person's messages over the limit are dropped at the door for a while")
            return False
        passed.append(now)
        return True

    def may_read_whole(self, user_id: int, limit: int, now: float | None = None) -> bool:
        """Whether a long message about to be dropped may still be read whole for danger (bot/dispatcher.py): up to
        ``limit`` a window per person, so that a flood of long texts cannot hold the event loop for seconds."""
        now = time.monotonic() if now is None else now
        reads = self._reads.recent(user_id, now)
        if len(reads) >= limit:
            return False
        reads.append(now)
        return True

    def give_back(self, user_id: int) -> None:
        """A message that passed the door but was not counted by the gate (the family is paused)."""
        self._windows.uncount(user_id)

    def exempt(self, user_id: int) -> None:
        self._exempt.add(user_id)


class SharedFloodGate:
    """The same sliding window as ``FloodGate``, kept in Redis so that every instance behind the load balancer
    counts one family's messages together (with two instances an in-memory window would let twice the limit
    through). Redis unreachable: the event passes (a family is never held back by our outage) and it is logged."""

    def __init__(self, redis_url: str, prefix: str, window: float = 60.0) -> None:
        from redis.asyncio import Redis

        self.redis = Redis.from_url(redis_url, socket_timeout=2)
        self.script = self.redis.register_script(_FLOOD_SCRIPT)
        self.prefix = prefix
        self.window_ms = int(window * 1000)

    async def check(self, user_id: int, kind: str, limit: int) -> tuple[bool, bool]:
        key = f"{self.prefix}:{user_id}:{kind}"
        try:
            verdict = int(
                await self.script(keys=[key, key + ":told"], args=[limit, self.window_ms, uuid.uuid4().hex])
            )
        except Exception as exc:
            log.warning("flood control: Redis unreachable (%s); letting the event through", exc)
            return False, False
        return verdict > 0, verdict == 2

    async def close(self) -> None:
        await self.redis.aclose()


@dataclass
class MuteState:
    until: datetime
    first_notice: bool  # True once per mute: the user is told, later events are ignored silently


def mute_state(mute: Mute | None) -> MuteState | None:
    """The state of an unexpired pause (read with the person: bot/services/people.py); marks that the user has been
    told (the caller tells them)."""
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
    if rows_affected(result):
        await audit(
            session,
            actor_tg_id=actor_tg_id,
            role=role,
            action="family.unmuted",
            obj=("family", family.id),
            details={"case": case.id},
        )
    return bool(rows_affected(result))
