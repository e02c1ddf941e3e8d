"""SQLite: one write transaction at a time inside the process, passed on when the writer gives its connection back."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError

from bot.db.engine import make_engine, make_sessionmaker, writer_of


def run(tmp_path, scenario):
    async def go():
        engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'w.sqlite3'}")
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (x INTEGER PRIMARY KEY)"))
        log: list[str] = []
        event.listen(  # registered after the writer's own hook: it sees a write once the writer let it through
            engine.sync_engine,
            "before_cursor_execute",
            lambda _c, _cur, sql, params, *_: log.append(f"{sql.split()[0]} {params[0] if params else ''}"),
        )
        scenario.engine = engine
        try:
            return await scenario(make_sessionmaker(engine), log)
        finally:
            await engine.dispose()

    return asyncio.run(go())


async def write(sessionmaker, log, name, x, hold=0.0, fail=False, wrote=None):
    async with sessionmaker() as session:
        await session.execute(text("INSERT INTO t (x) VALUES (:x)"), {"x": x})
        log.append(f"{name} wrote")
        if wrote is not None:
            wrote.set()
        await asyncio.sleep(hold)  # e.g. a Telegram call between the first write and the commit
        if fail:
            await session.execute(text("INSERT INTO t (x) VALUES (:x)"), {"x": x})  # a duplicate key
        await session.commit()
        log.append(f"{name} committed")


def test_a_second_writer_waits_for_the_first_to_commit_and_readers_do_not_wait(tmp_path):
    async def scenario(sessionmaker, log):
        wrote = asyncio.Event()
        first = asyncio.create_task(write(sessionmaker, log, "A", 1, hold=0.3, wrote=wrote))
        await wrote.wait()
        second = asyncio.create_task(write(sessionmaker, log, "B", 2))
        async with sessionmaker() as session:  # a reader meanwhile
            assert (await session.execute(text("SELECT count(*) FROM t"))).scalar() == 0
        log.append("read")
        await asyncio.gather(first, second)
        return [x for x in log if not x.startswith("SELECT")]

    order = run(tmp_path, scenario)
    # B's statement reaches SQLite only after A's commit: it did not sit in SQLite's sleeping busy handler
    assert order == ["INSERT 1", "A wrote", "read", "A committed", "INSERT 2", "B wrote", "B committed"]


def test_the_lock_passes_on_after_a_failed_write_too(tmp_path):
    async def scenario(sessionmaker, log):
        with pytest.raises(IntegrityError):
            await write(sessionmaker, log, "A", 1, fail=True)
        await asyncio.wait_for(write(sessionmaker, log, "B", 1), 5)
        await asyncio.wait_for(write(sessionmaker, log, "C", 2), 5)
        async with sessionmaker() as session:
            return (await session.execute(text("SELECT x FROM t ORDER BY x"))).scalars().all()

    assert run(tmp_path, scenario) == [1, 2]


def test_writers_are_served_in_the_order_they_came(tmp_path):
    async def scenario(sessionmaker, log):
        wrote = asyncio.Event()
        first = asyncio.create_task(write(sessionmaker, log, "A", 1, hold=0.2, wrote=wrote))
        await wrote.wait()
        others = []
        writer = writer_of(scenario.engine)
        for i, name in enumerate("BCDEF", start=2):
            others.append(asyncio.create_task(write(sessionmaker, log, name, i)))
            # B, C, … each queued on the lock before the next one comes (not a race of sleeps)
            while writer.waiting < i - 1:  # noqa: ASYNC110 (the lock has no event to wait on)
                await asyncio.sleep(0.001)
        await asyncio.gather(first, *others)
        return [x.split()[0] for x in log if x.endswith("committed")]

    assert run(tmp_path, scenario) == list("ABCDEF")


def test_a_writer_cancelled_as_the_lock_reaches_it_is_cancelled_and_does_not_keep_the_lock(tmp_path):
    """A task cancelled just as the first writer hands the lock on (aiogram cancelling the polling loop at SIGTERM
    while a claim waits to write) ends cancelled, without its write, and the next writer gets the lock. With
    ``asyncio.wait_for`` on Python 3.11 the cancellation was swallowed: the task wrote and went on."""

    async def scenario(sessionmaker, log):
        wrote = asyncio.Event()
        first = asyncio.create_task(write(sessionmaker, log, "A", 1, hold=0.1, wrote=wrote))
        await wrote.wait()
        second = asyncio.create_task(write(sessionmaker, log, "B", 2))
        writer = writer_of(scenario.engine)
        while writer.waiting < 1:  # noqa: ASYNC110 (the lock has no event to wait on)
            await asyncio.sleep(0.001)
        cancelled = []
        # registered after the writer's own hook: runs the moment A's connection is given back and the lock passes
        event.listen(
            scenario.engine.sync_engine.pool,
            "checkin",
            lambda *_: cancelled.append(second.cancel()),
            once=True,
        )
        await first
        with pytest.raises(asyncio.CancelledError):
            await second
        assert cancelled == [True]  # B was still waiting when cancelled
        await asyncio.wait_for(write(sessionmaker, log, "C", 3), 5)  # the lock was not kept
        async with sessionmaker() as session:
            return (await session.execute(text("SELECT x FROM t ORDER BY x"))).scalars().all()

    assert run(tmp_path, scenario) == [1, 3]
