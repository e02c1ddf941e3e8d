"""Which bot processes are alive, so that an update one of them claimed is taken over only once it is gone.

Every process names its claims of updates with :func:`process_token`. A claim that is not done belongs either to
a process still working on it or to one that stopped (kill -9, a lost host) — and only the second may be taken
over: a second instance handling an update another instance has in hand would answer the family twice.

With ``REDIS_URL`` every process keeps a key ``<prefix>:<token>`` that expires after ``ttl`` seconds and is
renewed every third of it (deleted on a clean stop): a process is alive while its key exists. Without Redis there
is one process by construction, so every other owner has stopped. If Redis cannot be asked, other owners count
as alive: their claims wait (they are swept again a few seconds later) rather than risk a double answer.
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from typing import Any

log = logging.getLogger(__name__)

_token: tuple[int, str] | None = None


def process_token() -> str:
    """This process's name on its claims. Made per process id, so that a process forked from one that already
    had it gets a name of its own."""
    global _token
    if _token is None or _token[0] != os.getpid():
        _token = (os.getpid(), uuid.uuid4().hex)
    return _token[1]


class Liveness:
    def __init__(self, redis_url: str | None, prefix: str, ttl: float = 6.0) -> None:
        self.redis_url = redis_url
        self.prefix = prefix
        self.ttl = ttl
        self._client: Any = None
        self._stopping = asyncio.Event()

    @property
    def shared(self) -> bool:
        """True when other processes may be alive (several instances share the database)."""
        return bool(self.redis_url)

    def _key(self, token: str) -> str:
        return f"{self.prefix}:{token}"

    async def start(self) -> None:
        """The first heartbeat, before this process claims anything."""
        if not self.redis_url:
            return
        from redis.asyncio import Redis

        self._client = Redis.from_url(self.redis_url, socket_timeout=max(1.0, self.ttl / 3))
        await self._beat()

    async def _beat(self) -> None:
        try:
            await self._client.set(self._key(process_token()), "1", px=int(self.ttl * 1000))
        except Exception as exc:
            log.warning("liveness: cannot reach Redis (%s)", exc)

    async def run(self) -> None:
        """Renew the heartbeat until :meth:`stop`; then remove it, so that others need not wait for it to expire."""
        if self._client is None:
            return
        try:
            while not self._stopping.is_set():
                try:
                    await asyncio.wait_for(self._stopping.wait(), self.ttl / 3)
                except TimeoutError:
                    await self._beat()
            await self._client.delete(self._key(process_token()))
        except Exception as exc:
            log.warning("liveness: could not remove the heartbeat (%s); it expires in %s s", exc, self.ttl)
        finally:
            await self._client.aclose()
            self._client = None

    def stop(self) -> None:
        self._stopping.set()

    async def alive(self, owner: str | None) -> bool:
        if owner is None:
            return False
        if owner == process_token():
            return True
        if not self.redis_url:
            return False
        if self._client is None:
            return True
        try:
            return bool(await self._client.exists(self._key(owner)))
        except Exception as exc:
            log.warning("liveness: cannot reach Redis (%s); leaving the claim of %s alone", exc, owner)
            return True
