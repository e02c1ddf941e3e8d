"""Hardening units: retention periods never exceed what the notice promises; the flood gate's window."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta

import pytest
import redis

from bot.config import ROOT, load_settings
from bot.services.moderation import FloodDoor, FloodGate, SharedFloodGate
from bot.services.privacy_notice import load_privacy
from bot.services.retention import periods

TOKEN = "123456:TEST-token-for-units"


def test_retention_defaults_to_the_notice_and_settings_only_shorten():
    notice = load_privacy(ROOT / "data").retention
    p = periods(load_settings(bot_token=TOKEN), notice)
    assert p.case_messages == timedelta(days=notice.closed_case_messages_days)
    assert p.audit == timedelta(days=notice.audit_log_days)
    assert p.inactive_family == timedelta(days=notice.profile_inactivity_days)
    longer = load_settings(bot_token=TOKEN, retention_audit_days=notice.audit_log_days * 10)
    assert periods(longer, notice).audit == timedelta(days=notice.audit_log_days), (
        "never longer than promised"
    )
    shorter = load_settings(bot_token=TOKEN, retention_case_messages_days=0.5)
    assert periods(shorter, notice).case_messages == timedelta(hours=12)


def test_flood_gate_limits_per_user_tells_once_and_forgets_after_the_window():
    gate = FloodGate(window=60)
    assert [gate.hit(1, "message", 3, now=t) for t in (0, 1, 2)] == [(False, False)] * 3
    assert gate.hit(1, "message", 3, now=3) == (True, True)  # the first one over: told
    assert gate.hit(1, "message", 3, now=4) == (True, False)  # then silence
    assert gate.hit(2, "message", 3, now=4) == (False, False)  # another person is not affected
    assert gate.hit(1, "button", 3, now=4) == (False, False)  # buttons count apart
    assert gate.hit(1, "message", 3, now=61) == (False, False)  # the window moved on


def test_flood_door_drops_only_what_the_gate_would_drop_after_telling():
    """The door lets the limit and one more through (the gate tells that one), then drops the rest before their
    claim; a message the gate did not count is given back; staff pass; the window moves on."""
    gate, door = FloodGate(window=60), FloodDoor(window=60)
    verdicts = []
    for t in range(8):
        if door.admits(1, 3, now=t):
            verdicts.append(gate.hit(1, "message", 3, now=t))
        else:
            verdicts.append("door")
    assert (
        verdicts == [(False, False)] * 3 + [(True, True)] + ["door"] * 4
    )  # told once, before the door closes
    assert door.admits(2, 3, now=8)  # another person is not affected
    assert door.admits(1, 3, now=61)  # the window moved on
    paused = FloodDoor(window=60)
    for t in range(10):  # a paused family's messages are not counted by the gate, so not by the door either
        assert paused.admits(3, 3, now=t)
        paused.give_back(3)
    staff = FloodDoor(window=60)
    staff.exempt(4)
    assert all(staff.admits(4, 3, now=t) for t in range(10))


def test_flood_door_reads_a_few_dropped_messages_whole_a_minute_per_person():
    door = FloodDoor(window=60)
    assert [door.may_read_whole(1, 3, now=t) for t in range(5)] == [True, True, True, False, False]
    assert door.may_read_whole(2, 3, now=5)  # another person has their own
    assert door.may_read_whole(1, 3, now=61)  # the window moved on


async def test_a_long_message_the_door_would_drop_is_read_whole_and_danger_in_it_waits_for_nothing():
    """Over the flood limit, a long message is read whole before it is dropped (bot/dispatcher.py): danger past its
    first DOOR_READS characters lets it through, and it then passes by the line of ordinary updates."""
    import asyncio
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from aiogram import Bot
    from aiogram.types import Chat, Message, Update, User

    from bot.dispatcher import DOOR_READS, ClaimingDispatcher
    from bot.services.crisis import load_detector

    def update(n: int, text: str) -> Update:
        chat, user = Chat(id=7, type="private"), User(id=7, is_bot=False, first_name="A")
        when = datetime.now(UTC)
        return Update(
            update_id=n, message=Message(message_id=n, date=when, chat=chat, from_user=user, text=text)
        )

    dp = ClaimingDispatcher()
    dp["flood_door"], dp["settings"] = FloodDoor(window=60), SimpleNamespace(flood_messages_per_minute=1)
    dp["catalog"] = SimpleNamespace(detector=load_detector())
    filler = "просто текст для проверки " * 30
    assert len(filler) > DOOR_READS
    danger = update(4, filler + "помогите, муж бьёт меня и детей")
    admitted = await dp._through_the_door([update(1, "раз"), update(2, "два"), update(3, filler), danger])
    assert [u.update_id for u in admitted] == [1, 2, 4]  # the limit, the one told, and the danger read whole
    dp._admission, dp._chat_turns = asyncio.Semaphore(0), {}  # the line is full
    bot = Bot(TOKEN)
    try:
        await asyncio.wait_for(dp.feed_update(bot, danger), 5)  # passes by it
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(dp.feed_update(bot, update(5, filler)), 0.3)  # an ordinary one waits
    finally:
        await bot.session.close()


async def test_shared_flood_gate_counts_one_family_across_instances_and_lets_through_when_redis_is_down():
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379") + "/15"
    try:
        with redis.Redis.from_url(url, socket_connect_timeout=2) as client:
            client.ping()
    except redis.RedisError as exc:  # CI starts Redis: there a missing Redis fails the test
        if os.environ.get("CI"):
            raise
        pytest.skip(f"needs the local Redis ({exc})")
    prefix = f"test-flood:{uuid.uuid4().hex}"
    a, b = SharedFloodGate(url, prefix), SharedFloodGate(url, prefix)  # two instances, one Redis
    try:
        got = [await gate.check(1, "message", 4) for gate in (a, b, a, b, a, b)]
        assert got == [(False, False)] * 4 + [(True, True), (True, False)], "4 a minute in all, told once"
        assert await a.check(2, "message", 4) == (False, False)  # another family is not affected
        assert await b.check(1, "button", 4) == (False, False)  # buttons count apart
    finally:
        await a.close()
        await b.close()
    down = SharedFloodGate("redis://127.0.0.1:1/0", prefix)
    try:
        assert await down.check(1, "message", 0) == (False, False), "our outage never holds a family back"
    finally:
        await down.close()
