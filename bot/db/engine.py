from __future__ import annotations

import asyncio
import sqlite3
import weakref
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.util import await_only

from bot.db import sqlite_inline

SQLITE_BUSY_TIMEOUT_MS = 15000  # a burst of updates waits for the write lock rather than failing
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")  # what makes the sqlite3 module open a write transaction


def make_engine(url: str, *, sqlite_threads: bool = False, **kwargs: Any) -> AsyncEngine:
    """The engine. On SQLite its statements run on the event loop's thread (`sqlite_inline`) unless
    ``sqlite_threads`` asks for aiosqlite's thread per connection (long reports on a large file then leave the
    loop free, at a thread hand-off per call)."""
    if url.startswith("sqlite"):
        connect_args: dict[str, Any] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        if not sqlite_threads:
            connect_args["async_creator_fn"] = sqlite_inline.connect
        busy_ms = SQLITE_BUSY_TIMEOUT_MS if sqlite_threads else sqlite_inline.BUSY_STEP_MS
        engine = create_async_engine(url, connect_args=connect_args, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={busy_ms}")
            cur.execute("PRAGMA synchronous=NORMAL")
            # 512 KiB of page cache per connection, not 2 MiB: a burst opens up to 15 connections, and the pages are in
            # the OS cache anyway (memory_bench: 187 -> 165 MB after 20 families at once; no change in throughput)
            cur.execute("PRAGMA cache_size=-512")
            cur.close()

        SqliteWriter(SQLITE_BUSY_TIMEOUT_MS / 1000).install(engine)
        return engine
    return create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True, **kwargs)


_WRITERS: weakref.WeakKeyDictionary[Any, SqliteWriter] = weakref.WeakKeyDictionary()


def writer_of(engine: AsyncEngine) -> SqliteWriter | None:
    """The SQLite engine's writer queue (None on PostgreSQL)."""
    return _WRITERS.get(engine.sync_engine)


class SqliteWriter:
    """One write transaction at a time inside the process, handed on in arrival order.

    SQLite has one writer. Without this, the connections of a busy process meet at SQLite's busy handler, which
    sleeps in growing steps (up to 100 ms) and retries: the lock often sits free while everybody sleeps, and under
    a burst updates waited seconds for a write of a millisecond. Here the first write of a connection's
    transaction waits on an asyncio lock instead, which passes at once to the next writer when the connection is
    given back after its commit or rollback. Other processes (the CLI) still meet us at SQLite's own lock.
    """

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._lock = asyncio.Lock()
        self._holder: dict | None = None  # the pool record's info of the connection that writes

    def install(self, engine: AsyncEngine) -> None:
        _WRITERS[engine.sync_engine] = self
        event.listen(engine.sync_engine, "before_cursor_execute", self._before_execute)
        event.listen(engine.sync_engine.pool, "checkin", self._checkin)

    def _before_execute(self, conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if self._holder is conn.info or not statement.lstrip()[:7].upper().startswith(_WRITES):
            return
        try:
            await_only(self._acquire())
        except TimeoutError:
            raise sqlite3.OperationalError(
                f"database is locked (waited {self.timeout:.0f} s for this process's other writer)"
            ) from None
        self._holder = conn.info

    async def _acquire(self) -> None:
        """The lock, within the timeout. Not ``asyncio.wait_for``: on Python 3.11 it swallows a cancellation that
        comes just as the lock is handed over, and the task goes on holding it. A bot then did not stop at SIGTERM
        (twice in CI): aiogram cancelled the polling loop in a claim's write, the loop went on polling, and aiogram
        waited for it for ever."""
        async with asyncio.timeout(self.timeout):
            await self._lock.acquire()

    @property
    def waiting(self) -> int:
        """Writers queued behind the one that writes now."""
        return len(getattr(self._lock, "_waiters", None) or ())

    def _checkin(self, _dbapi_conn: Any, record: Any) -> None:
        if self._holder is not None and self._holder is record.info:
            self._holder = None
            self._lock.release()


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)
