"""SQLite on the event loop's own thread: aiosqlite's interface without its thread.

aiosqlite runs every call of a connection — each execute, each fetch, each commit — on a thread of its own and
hands the result back through the loop's self-pipe: four or more thread hand-offs per statement, each a wake-up of
the loop, for statements that take a few dozen microseconds. Here the same calls run where they are made. SQLAlchemy's
aiosqlite dialect drives this connection through its usual adapter (``async_creator_fn``), so nothing else changes.

What keeps this safe:
- Inside the process, writers never meet at SQLite's lock: the writer queue (`engine.SqliteWriter`) admits one write
  transaction at a time, on an asyncio lock, and readers do not block writers in WAL mode.
- Another process (a CLI command, a bot being stopped) may hold the lock. SQLite's own busy handler would then sleep
  on the loop's thread, so it is given only ``BUSY_STEP_MS``; a statement refused as busy is retried after an
  asyncio sleep — the loop goes on serving everybody else — until the engine's busy timeout has passed. Only
  statements that did not run (execute, executemany, commit) are retried; a fetch is never repeated.
- A statement runs on the loop for as long as it takes: the bot's statements take microseconds to a few
  milliseconds. A long report on a large SQLite file would hold the loop as long; that is the trade.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import aiosqlite

BUSY_STEP_MS = 20  # SQLite's own busy handler, which blocks the loop, waits at most this long per attempt
_RETRIED = frozenset({"execute", "executemany", "commit"})  # calls that did nothing when refused as busy


def _busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc)
    return "locked" in text or "busy" in text


class InlineConnection(aiosqlite.Connection):
    """An aiosqlite connection whose calls run on the calling (event loop's) thread."""

    def __init__(self, connector: Callable[[], sqlite3.Connection], patience: float) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self.patience = patience

    def __await__(self) -> Any:  # no thread to start
        return self._connect().__await__()

    async def _connect(self) -> InlineConnection:
        if self._connection is None:
            self._connection = self._connector()
        return self

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or self._connection is None:
            raise ValueError("Connection closed")
        if getattr(fn, "__name__", "") not in _RETRIED:
            return fn(*args, **kwargs)
        deadline, pause = time.monotonic() + self.patience, 0.005
        while True:
            try:
                return fn(*args, **kwargs)
            except sqlite3.OperationalError as exc:
                if not _busy(exc) or time.monotonic() + pause > deadline:
                    raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.1)

    def stop(self) -> None:  # nothing to stop but the connection itself
        self._running = False
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    async def close(self) -> None:
        self.stop()


def connect(database: str | Path, *, timeout: float = 5.0, **kwargs: Any) -> InlineConnection:
    """What SQLAlchemy calls instead of ``aiosqlite.connect`` (``connect_args={"async_creator_fn": connect}``).

    ``timeout`` is the engine's busy timeout: the patience of the asyncio retries, not SQLite's own wait.
    """
    connector = partial(sqlite3.connect, str(database), timeout=BUSY_STEP_MS / 1000, **kwargs)
    return InlineConnection(connector, patience=timeout)
