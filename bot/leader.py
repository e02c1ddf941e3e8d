"""Exactly one instance runs the background duties: the scheduler, the relay worker and the broadcast sender.

Every instance answers updates (webhook behind a load balancer), but the duties that talk to Telegram on their
own must run once: two relay workers would both pace a group to 20 messages a minute (40 together) and could
race for the same outbox item; two schedulers would send every reminder twice.

With ``REDIS_URL`` the instances elect a leader through a Redis lease: ``SET key token NX PX ttl``. The leader
renews the lease every third of the TTL (only while the key still holds its own token, checked atomically in
Lua). An instance that dies (kill -9, a lost host) stops renewing; after at most the TTL another instance takes
the key and starts the duties. A leader that cannot renew (Redis unreachable, the key taken) steps down before its
lease can have expired — at two thirds of the TTL after its last successful renewal — so two leaders never
overlap in time except for what a stopping duty still finishes (a relay send already in flight).

Without Redis there is one instance by construction (SQLite, or PostgreSQL with a single process) and it is the
leader from the start.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)

Duties = Callable[[], Coroutine[Any, Any, None]]

_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


def instance_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Leadership:
    """Runs ``duties`` while this instance holds the lease; cancels them when the lease is lost."""

    def __init__(self, redis_url: str | None, key: str, ttl: float = 15.0) -> None:
        self.redis_url = redis_url
        self.key = key
        self.ttl = ttl
        self.token = instance_name()
        self.is_leader = False
        self.terms = 0  # how many times this instance became the leader
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self, duties: Duties) -> None:
        if not self.redis_url:
            self.is_leader, self.terms = True, 1
            log.info("leader: the only instance (no REDIS_URL); running the background duties")
            await self._hold(duties, renew=None)
            return
        from redis.asyncio import Redis

        client = Redis.from_url(self.redis_url, socket_timeout=max(1.0, self.ttl / 5))
        renew = client.register_script(_RENEW)
        try:
            while not self._stopping.is_set():
                try:
                    got = await client.set(self.key, self.token, nx=True, px=int(self.ttl * 1000))
                except Exception as exc:  # Redis down: keep trying, never become leader blindly
                    log.warning("leader: cannot reach Redis (%s)", exc)
                    got = False
                if got:
                    self.is_leader = True
                    self.terms += 1
                    log.info(
                        "leader: this instance (%s) is the leader; running the background duties", self.token
                    )
                    await self._hold(
                        duties, renew=lambda: renew(keys=[self.key], args=[self.token, int(self.ttl * 1000)])
                    )
                    self.is_leader = False
                    if not self._stopping.is_set():
                        log.warning("leader: lease lost; background duties stopped")
                await self._sleep(self.ttl / 3)
            try:
                await client.register_script(_RELEASE)(keys=[self.key], args=[self.token])
            except Exception:
                log.warning("leader: could not release the lease; it expires in %s s", self.ttl)
        finally:
            await client.aclose()

    async def _hold(self, duties: Duties, renew: Callable[[], Awaitable[int]] | None) -> None:
        task = asyncio.create_task(duties(), name="leader-duties")
        last_ok = time.monotonic()
        try:
            while not self._stopping.is_set() and not task.done():
                await self._sleep(self.ttl / 3 if renew else 3600, task)
                if renew is None or self._stopping.is_set() or task.done():
                    continue
                try:
                    if await renew():
                        last_ok = time.monotonic()
                    else:
                        log.warning("leader: the lease is held by another instance")
                        return
                except Exception as exc:
                    log.warning("leader: renewal failed (%s)", exc)
                if time.monotonic() - last_ok > self.ttl * 2 / 3:
                    return  # our lease may expire soon: step down before another instance can take it
        finally:
            if not task.done():
                task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _sleep(self, seconds: float, task: asyncio.Task | None = None) -> None:
        waiters = [asyncio.ensure_future(self._stopping.wait())]
        if task is not None:
            waiters.append(task)
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        for w in waiters[:1]:
            if not w.done():
                w.cancel()
