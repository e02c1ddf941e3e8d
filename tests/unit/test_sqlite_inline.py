"""SQLite on the event loop's thread (bot/db/sqlite_inline.py): no thread per connection, and a lock held by another
process is waited for with the loop free, up to the engine's patience."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time

import pytest
from sqlalchemy import text

from bot.db import sqlite_inline
from bot.db.engine import make_engine


def _engine(tmp_path, **kwargs):
    return make_engine(f"sqlite+aiosqlite:///{tmp_path / 'i.sqlite3'}", **kwargs)


async def _create(engine) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (x INTEGER PRIMARY KEY)"))


def _hold_the_lock(path, seconds: float, held: threading.Event) -> None:
    """Another connection (as another process would) takes the write lock and keeps it."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO t (x) VALUES (100)")
    held.set()
    time.sleep(seconds)
    other.execute("COMMIT")
    other.close()


async def _locked_elsewhere(tmp_path, seconds: float):  # type: ignore[no-untyped-def]
    """A fresh engine with table t, and a thread holding the file's write lock for `seconds` (join it)."""
    engine = _engine(tmp_path)
    await _create(engine)
    held = threading.Event()
    holder = threading.Thread(target=_hold_the_lock, args=(str(tmp_path / "i.sqlite3"), seconds, held))
    holder.start()
    held.wait()
    return engine, holder


def test_statements_run_on_the_loops_thread_without_a_thread_per_connection(tmp_path):
    async def go():
        engine = _engine(tmp_path)
        threads_before = threading.active_count()
        await _create(engine)
        async with engine.connect() as conn:
            raw = await conn.get_raw_connection()
            assert isinstance(raw.driver_connection, sqlite_inline.InlineConnection)
            assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 0
            assert threading.active_count() == threads_before
        await engine.dispose()

        threaded = _engine(tmp_path, sqlite_threads=True)  # the setting that asks for aiosqlite's threads
        async with threaded.connect() as conn:
            raw = await conn.get_raw_connection()
            assert not isinstance(raw.driver_connection, sqlite_inline.InlineConnection)
            assert threading.active_count() > threads_before
        await threaded.dispose()

    asyncio.run(go())


def test_a_lock_held_elsewhere_is_waited_for_with_the_loop_free(tmp_path):
    async def go():
        engine, holder = await _locked_elsewhere(tmp_path, 0.6)
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        tick = asyncio.create_task(ticker())
        start = time.monotonic()
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO t (x) VALUES (1)"))
        waited = time.monotonic() - start
        tick.cancel()
        holder.join()
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT x FROM t ORDER BY x"))).scalars().all()
        await engine.dispose()
        return waited, ticks, rows

    waited, ticks, rows = asyncio.run(go())
    assert rows == [1, 100]
    assert waited >= 0.4  # it did wait for the other connection's commit
    # the loop went on meanwhile: SQLite's own busy handler (which blocks the thread) would have allowed ~no ticks
    assert ticks >= 20


def test_patience_runs_out_with_sqlites_own_error(tmp_path, monkeypatch):
    monkeypatch.setattr("bot.db.engine.SQLITE_BUSY_TIMEOUT_MS", 300)

    async def go():
        engine, holder = await _locked_elsewhere(tmp_path, 1.5)
        start = time.monotonic()
        try:
            with pytest.raises(Exception, match="database is locked"):
                async with engine.begin() as conn:
                    await conn.execute(text("INSERT INTO t (x) VALUES (1)"))
            return time.monotonic() - start
        finally:
            holder.join()
            await engine.dispose()

    gave_up = asyncio.run(go())
    assert 0.25 <= gave_up < 1.2
