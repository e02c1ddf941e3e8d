"""FSM storage in our own database, so a family mid-flow continues after a restart.

Inside an update the state is written through the update's own session (set by the database middleware),
so the flow state and the update's other writes commit together — and SQLite never sees two writers from
one update. The row is read once per update and written at its commit, which keeps SQLite's write lock short
(it is not held across the update's Telegram calls). Outside an update the storage opens a short session of
its own.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import AsyncIterator, Hashable, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import (
    BaseEventIsolation,
    BaseStorage,
    DefaultKeyBuilder,
    KeyBuilder,
    StateType,
    StorageKey,
)
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import FsmRecord

log = logging.getLogger(__name__)

current_session: ContextVar[AsyncSession | None] = ContextVar("current_session", default=None)


class SqlStorage(BaseStorage):
    def __init__(self, sessionmaker: async_sessionmaker) -> None:
        self._sessionmaker = sessionmaker
        self._keys = DefaultKeyBuilder(with_destiny=True)

    @asynccontextmanager
    async def _session(self) -> AsyncIterator[AsyncSession]:
        shared = current_session.get()
        if shared is not None:
            yield shared  # written at the update's commit, with the rest of its work
            return
        async with self._sessionmaker() as session:
            yield session
            await session.commit()

    async def _row(self, session: AsyncSession, key: str) -> FsmRecord | None:
        """The chat's row, read once per session: a flow reads and writes its state and data many times in one
        update (a screener answer did a dozen statements), and a write waits for the commit."""
        rows: dict[str, FsmRecord | None] = session.info.setdefault("fsm_rows", {})
        if key not in rows:
            rows[key] = await session.get(FsmRecord, key)
        return rows[key]

    def key_of(self, key: StorageKey) -> str:
        return self._keys.build(key)

    @staticmethod
    def read_with(session: AsyncSession, key: str, row: FsmRecord | None) -> None:
        """The chat's row (or its absence) as read by another statement of the update's session (bot/services/
        people.py reads it with the person behind the update): the storage then reads nothing more."""
        session.info.setdefault("fsm_rows", {})[key] = row

    async def _upsert(self, key: StorageKey, **values: Any) -> None:
        k = self.key_of(key)
        async with self._session() as session:
            row = await self._row(session, k)
            if row is None:
                row = FsmRecord(key=k, state=None, data={})
                session.add(row)
            for name, value in values.items():
                setattr(row, name, value)
            if row.state is None and not row.data:
                if row in session.new:
                    session.expunge(row)
                else:
                    await session.delete(row)
                row = None
            session.info["fsm_rows"][k] = row

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self._upsert(key, state=value)

    async def get_state(self, key: StorageKey) -> str | None:
        async with self._session() as session:
            row = await self._row(session, self.key_of(key))
            return row.state if row is not None else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._upsert(key, data=copy.deepcopy(dict(data)))  # the caller's later edits stay theirs

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        async with self._session() as session:
            row = await self._row(session, self.key_of(key))
            # a copy: an edit in place by the caller would else go unseen by the change tracking
            return copy.deepcopy(dict(row.data or {})) if row is not None else {}

    async def forget_user(self, user_id: int) -> None:
        """Erase every state kept for a user (used by /forget)."""
        async with self._session() as session:
            await session.execute(delete(FsmRecord).where(FsmRecord.key.like(f"%:{user_id}:%")))
            session.info.pop("fsm_rows", None)

    async def close(self) -> None:
        return None


class _KeyedLocks:
    """FIFO asyncio locks by key, dropped as soon as nobody holds or waits for them (no growth per chat)."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: Hashable) -> AsyncIterator[None]:
        lock, users = self._locks.get(key) or (asyncio.Lock(), 0)
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield None
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)


class ChatLock(BaseEventIsolation):
    """One update of a chat at a time, in the order they arrived (one process)."""

    def __init__(self) -> None:
        self._local = _KeyedLocks()

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncIterator[None]:
        async with self._local.hold(key):
            yield None

    async def close(self) -> None:
        pass


class ShortRedisLock(BaseEventIsolation):
    """One update of a chat at a time across instances, like aiogram's Redis isolation, but the lock lives only
    ``ttl`` seconds unless its holder renews it (every third of that while the update runs): a killed process
    keeps a family's chat waiting for seconds, not aiogram's minute, and a slow update keeps its lock. Within a
    process, updates of a chat queue for the Redis lock in arrival order (a Redis lock is taken by polling, so
    otherwise a family's messages could overtake each other)."""

    def __init__(self, redis: Any, key_builder: KeyBuilder, ttl: float = 3.0) -> None:
        self.redis = redis
        self.key_builder = key_builder
        self.ttl = ttl
        self._local = _KeyedLocks()

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncIterator[None]:
        from redis.exceptions import ConnectionError, LockError, TimeoutError

        name = self.key_builder.build(key, "lock")
        async with self._local.hold(name):
            lock = self.redis.lock(name=name, timeout=self.ttl, sleep=0.05)
            await lock.acquire()

            async def renew() -> None:
                while True:
                    await asyncio.sleep(self.ttl / 3)
                    try:
                        await lock.reacquire()
                    except Exception as exc:  # lost it (Redis away, or expired): the update carries on
                        log.warning("a chat lock could not be renewed (%s)", exc)
                        return

            renewal = asyncio.create_task(renew())
            try:
                yield None
            finally:
                renewal.cancel()
                try:
                    await lock.release()
                except LockError:
                    log.warning("a chat lock expired before its update was done")
                # Redis away: the update is done all the same, and the lock expires by itself
                except (ConnectionError, TimeoutError) as exc:
                    log.warning("a chat lock could not be released (%s); it expires in %s s", exc, self.ttl)

    async def close(self) -> None:
        pass
