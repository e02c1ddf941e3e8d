"""The desk's domain rules (bot/services/desk.py) on a real, migrated SQLite file, and the client-side pacer."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest

from bot.db.base import utcnow
from bot.db.engine import make_engine, make_sessionmaker
from bot.db.migrate import upgrade_to_head
from bot.db.models import Case, Family, Staff
from bot.services import cases, desk
from bot.telegram import Pacer


@pytest.fixture
async def maker(tmp_path):
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'd.sqlite3'}")
    await upgrade_to_head(engine)
    yield make_sessionmaker(engine)
    await engine.dispose()


async def seed(maker, urgencies: list[str]) -> tuple[list[int], list[int]]:
    async with maker() as s:
        staff = [Staff(tg_user_id=100 + i, role="operator", name=f"op{i}") for i in range(2)]
        s.add_all(staff)
        now = utcnow()
        ids = []
        for i, urgency in enumerate(urgencies):
            family = Family(tg_user_id=1000 + i, profile={}, consent_at=now)
            s.add(family)
            await s.flush()
            case = Case(
                family_id=family.id, urgency=urgency, status="new", opened_at=now - timedelta(minutes=10 - i)
            )
            s.add(case)
            await s.flush()
            ids.append(case.id)
        await s.commit()
        return ids, [st.id for st in staff]


async def test_take_is_atomic_between_two_sessions(maker):
    [case_id], staff_ids = await seed(maker, ["routine"])

    async def take(staff_id: int):
        async with maker() as s:
            staff = await s.get(Staff, staff_id)
            result = await desk.take(s, case_id, staff, actor_tg_id=staff.tg_user_id)
            await s.commit()
            return result.ok, result.owner.id if result.owner else None

    results = await asyncio.gather(*(take(i) for i in staff_ids))
    assert sorted(ok for ok, _ in results) == [False, True]
    winner = next(owner for ok, owner in results if ok)
    loser_sees = next(owner for ok, owner in results if not ok)
    assert loser_sees == winner  # the other one is told who took it
    async with maker() as s:
        case = await s.get(Case, case_id)
        assert (case.owner_id, case.status) == (winner, "in_progress")


async def test_queue_is_urgency_first_then_waiting_time(maker):
    ids, _ = await seed(maker, ["routine", "urgent", "routine", "emergency"])
    async with maker() as s:
        queue = [c.id for c in await desk.waiting_queue(s)]
        assert queue == [ids[3], ids[1], ids[0], ids[2]]
        assert await desk.queue_position(s, await s.get(Case, ids[2])) == 4


async def test_estimated_wait_needs_real_data(maker):
    ids, _ = await seed(maker, ["routine"] * 5)
    async with maker() as s:
        assert await desk.estimated_wait(s, 1) is None  # no answered cases: no invented number
        for i, case_id in enumerate(ids[:3]):
            case = await s.get(Case, case_id)
            case.first_response_at = case.opened_at + timedelta(minutes=4 + 2 * i)
        await s.flush()
        assert await desk.typical_first_response(s) == timedelta(minutes=6)


async def test_transitions_are_enforced_and_audited(maker):
    [case_id], _ = await seed(maker, ["routine"])
    async with maker() as s:
        case = await s.get(Case, case_id)
        with pytest.raises(cases.TransitionError):
            await cases.transition(s, case, "waiting_family", actor_tg_id=1, role="operator")
        await desk.close(s, case, actor_tg_id=1, role="operator", checkin_after=timedelta(hours=24))
        assert case.status == "closed" and case.checkin_due_at is None  # tier 2: no crisis check-in
        await desk.reopen(s, case, actor_tg_id=1, role="family")
        assert case.status == "queued"


def test_pacer_keeps_a_group_under_its_window():
    async def run() -> list[float]:
        pacer = Pacer(group_limit=3, group_window=0.5, private_rate=1.0)
        stamps = []
        for _ in range(7):
            await pacer.acquire(-100, 1)
            stamps.append(time.monotonic())
            pacer.release(-100, 1, sent=True)
        return stamps

    stamps = asyncio.run(run())
    for i in range(len(stamps) - 3):
        assert stamps[i + 3] - stamps[i] >= 0.5  # never 4 sends within one window


def test_pacer_lets_urgent_sends_pass_ordinary_ones_waiting_for_the_shared_bucket():
    """The danger lane: with the bucket for all chats empty and ordinary sends to many families already waiting,
    a danger answer that arrives later still goes before them. Without the lane the waiting sends take free tokens
    in no set order, so the danger answer lands anywhere in the line (the control below)."""

    async def run(urgent: bool) -> int:
        pacer = Pacer(group_limit=20, group_window=60, private_rate=100.0, global_rate=200.0, global_burst=1)
        order: list[str] = []

        async def send(chat: int, name: str, lane: bool) -> None:
            await pacer.acquire(chat, 1, urgent=lane)
            order.append(name)
            pacer.release(chat, 1, sent=True)

        await send(1, "first", False)  # empties the bucket
        ordinary = [asyncio.create_task(send(10 + i, "ordinary", False)) for i in range(30)]
        await asyncio.sleep(0.002)  # they are waiting now
        sent_before = len(
            order
        )  # a loaded machine may wake late: sends that went before the danger one existed
        danger = asyncio.create_task(send(99, "danger", urgent))
        await asyncio.gather(*ordinary, danger)
        return order.index("danger") - sent_before

    lane = [asyncio.run(run(urgent=True)) for _ in range(3)]
    assert max(lane) <= 1, lane  # at most one ordinary send got its token after the danger send began to wait
    without = [asyncio.run(run(urgent=False)) for _ in range(5)]
    assert sum(without) / len(without) > 5, without  # the same line without the lane
