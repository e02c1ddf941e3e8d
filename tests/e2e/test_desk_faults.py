"""The desk under faults, load and time: nothing lost, nothing duplicated, limits kept, reminders on time.

Each test states the promise it proves. Telegram's faults are injected by the fake Bot API; the bot is the
real process; the minute of the group limit and the reminder thresholds are shortened through settings.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import yaml

from bot.config import ROOT
from tests.e2e.conftest import OPERATOR_CHAT
from tests.e2e.flows import buttons, db_wait, onboard, screen, tap
from tests.e2e.harness import TOKEN
from tests.e2e.test_desk import CRISIS_CHAT, OLGA, ask_lawyer, start_desk, text_of
from tests.fake_telegram import FakeTelegram
from tests.fake_telegram.limits import Limits


def topic_texts(desk, thread: int) -> list[str]:
    return [text_of(m) for m in desk.ops.messages(thread, from_bot=True)]


async def stop(desk) -> None:
    if desk.bot.proc and desk.bot.proc.poll() is None:
        await desk.bot.stop()


async def test_429_storm_5xx_and_timeouts_lose_and_duplicate_nothing(fake, tmp_path):
    """Promise: every message arrives exactly once and in order, whatever Telegram answers in between."""
    desk = await start_desk(fake, tmp_path, TELEGRAM_TIMEOUT="2")
    try:
        maria = desk.family()
        case_id = await ask_lawyer(desk, maria)
        thread = await desk.topic_of(case_id)
        fake.fail_next("copyMessage", chat_id=OPERATOR_CHAT, count=6, error="429", retry_after=1)
        fake.fail_next("copyMessage", chat_id=OPERATOR_CHAT, count=3, error="500")
        fake.fail_next("copyMessage", chat_id=OPERATOR_CHAT, count=1, error="timeout", delay=3)
        sent = [f"сообщение {i}" for i in range(8)]
        for text in sent:
            maria.send_text(text)
        await fake.wait_for(lambda: all(t in topic_texts(desk, thread) for t in sent), 40)
        got = [t for t in topic_texts(desk, thread) if t.startswith("сообщение")]
        assert sorted(got) == sorted(sent), "nothing lost"
        assert len(got) == len(set(got)), f"a duplicate: {got}"
        assert got == sent, "the order is kept"
        # the other way round: the family side fails too
        fake.fail_next("copyMessage", chat_id=maria.id, count=3, error="429", retry_after=1)
        fake.fail_next("copyMessage", chat_id=maria.id, count=2, error="502")
        answers = [f"ответ {i}" for i in range(4)]
        for text in answers:
            desk.olga.send_text_in(desk.ops, text, thread_id=thread)
        await fake.wait_for(lambda: all(any(text_of(m) == a for m in maria.messages()) for a in answers), 40)
        got = [text_of(m) for m in maria.messages() if text_of(m).startswith("ответ")]
        assert got == answers
    finally:
        await stop(desk)


async def test_kill_9_mid_relay_loses_and_duplicates_nothing(tmp_path):
    """Promise: a backlog waiting for the group limit survives kill -9; after a restart each message arrives once."""
    fake = FakeTelegram(
        token=TOKEN,
        record_polls=True,
        enforce_limits=True,
        limits=Limits(group_per_minute=5, group_window=3.0),
    )
    await fake.start()
    try:
        desk = await start_desk(fake, tmp_path, GROUP_MESSAGES_PER_WINDOW="5", GROUP_WINDOW_SECONDS="3")
        maria = desk.family()
        case_id = await ask_lawyer(desk, maria)
        thread = await desk.topic_of(case_id)
        sent = [f"письмо {i:02d}" for i in range(14)]
        for text in sent:
            maria.send_text(text)
        await fake.wait_for(lambda: sum(t.startswith("письмо") for t in topic_texts(desk, thread)) >= 4, 20)
        await asyncio.sleep(0.5)  # the worker now waits for the group's window to free up
        await desk.bot.kill()
        delivered_before = sum(t.startswith("письмо") for t in topic_texts(desk, thread))
        assert delivered_before < len(sent), "the kill must come while a backlog is waiting"
        await desk.bot.start()
        await fake.wait_for(
            lambda: sum(t.startswith("письмо") for t in topic_texts(desk, thread)) >= len(sent), 60
        )
        await asyncio.sleep(1.5)
        got = [t for t in topic_texts(desk, thread) if t.startswith("письмо")]
        assert got == sent, f"lost or duplicated: {got}"
        assert fake.max_group_sends(OPERATOR_CHAT, window=3.0) <= 5
        assert fake.limiter.hits["group"] == 0
        await stop(desk)
    finally:
        await fake.stop()
    assert fake.violations == []


@pytest.mark.timeout(300)
async def test_hundred_families_at_once_never_break_the_group_limit(tmp_path):
    """Promise: 100 families writing at once all reach their own topics; the group's 20-a-"minute" is never
    exceeded (the minute is shortened to 1.5 s on both sides to keep the test short)."""
    fake = FakeTelegram(
        token=TOKEN,
        record_polls=True,
        enforce_limits=True,
        limits=Limits(group_per_minute=20, group_window=1.5),
    )
    await fake.start()
    try:
        desk = await start_desk(fake, tmp_path, GROUP_MESSAGES_PER_WINDOW="20", GROUP_WINDOW_SECONDS="1.5")
        families = [desk.family() for _ in range(100)]
        for start in range(0, len(families), 10):  # ten at a time, as a busy morning would bring them
            await asyncio.gather(*(onboard(f) for f in families[start : start + 10]))
        for i, family in enumerate(families):
            family.send_text(f"Здравствуйте, это семья {i:03d}, нужна консультация")
        expected = {f"Здравствуйте, это семья {i:03d}, нужна консультация" for i in range(100)}

        def relayed() -> list[str]:
            return [text_of(m) for m in desk.ops.messages(from_bot=True) if "это семья" in text_of(m)]

        await fake.wait_for(lambda: set(relayed()) >= expected, 120, interval=0.5)
        got = relayed()
        assert len(got) == 100 and set(got) == expected, "each message exactly once"
        assert len(desk.ops.topics()) == 100, "one topic per case"
        assert fake.max_group_sends(OPERATOR_CHAT, window=1.5) <= 20
        assert fake.limiter.hits["group"] == 0, "the bot kept the group limit itself"
        for family in families[:5]:
            assert any("передано" in text_of(m) for m in family.messages())
        await stop(desk)
    finally:
        await fake.stop()
    assert fake.violations == []


async def test_reminders_escalation_still_waiting_and_restart(fake, tmp_path):
    """Promise: an untaken case reminds staff, then alerts a coordinator; the waiting family hears from us;
    the schedule lives in the database, so a restart neither loses nor repeats a reminder."""
    coordinator = fake.user(700_001, "Координатор")
    desk = await start_desk(
        fake,
        tmp_path,
        COORDINATOR_IDS=str(coordinator.id),
        DESK_TAKE_REMINDER_MINUTES="emergency=0.02,urgent=0.02,soon=0.02,routine=0.04",
        DESK_ESCALATE_MINUTES="emergency=0.05,urgent=0.05,soon=0.05,routine=0.08",
        DESK_ANSWER_REMINDER_MINUTES="emergency=0.02,urgent=0.02,soon=0.02,routine=0.03",
        DESK_STILL_WAITING_MINUTES="0.06",
    )
    try:
        coordinator.send_text("/start")  # a bot can write only to people who have started it
        await coordinator.wait_for_message(timeout=10)
        maria = desk.family()
        case_id = await ask_lawyer(desk, maria)
        thread = await desk.topic_of(case_id)
        await desk.in_topic(thread, lambda m: "Обращение №" in text_of(m))
        await desk.bot.kill()  # the reminder is due while the bot is down
        await asyncio.sleep(2.5)
        await desk.bot.start()
        await desk.in_topic(thread, lambda m: "его никто не взял" in text_of(m), timeout=10)
        alert = await coordinator.wait_for_message(f"Обращение № {case_id}", 15)
        assert "никто не взял" in alert["text"]
        await maria.wait_for_message("Мы о вас помним", 15)
        await desk.bot.stop()
        await desk.bot.start()
        await asyncio.sleep(2)
        reminders = [t for t in topic_texts(desk, thread) if "его никто не взял" in t]
        assert len(reminders) == 1, "a restart does not repeat a reminder"
        assert len([m for m in coordinator.messages() if f"№ {case_id}" in text_of(m)]) == 1

        card = desk.card(thread)
        desk.olga.press(card, next(b["callback_data"] for b in buttons(card) if b["text"] == "Взять"))
        await maria.wait_for_message("Специалист взял", 10)
        maria.send_text("Когда вы ответите?")
        note = await desk.in_topic(thread, lambda m: "ждёт ответа уже" in text_of(m), timeout=15)
        assert [e["user"]["id"] for e in note.get("entities", []) if e["type"] == "text_mention"] == [OLGA]
    finally:
        await stop(desk)


async def test_crisis_case_gets_a_check_in_after_close(fake, tmp_path):
    """Promise: a day (here: seconds) after a crisis request is closed, the family is asked if it is safe;
    «I need help» brings the request back to the crisis centre."""
    desk = await start_desk(fake, tmp_path, CHECKIN_AFTER_HOURS="0.0005")
    try:
        maria = desk.family()
        await onboard(maria)
        tap(maria, "Срочная помощь")
        await screen(maria, "112")
        maria.send_text("мне угрожают, я боюсь")
        await maria.wait_for_message("112")
        tap(maria, "Связаться с кризисным центром")
        await maria.wait_for_message("кризисный центр")
        [(case_id,)] = await db_wait(fake, desk.bot, "SELECT id FROM cases WHERE tier = 3")
        thread = await desk.topic_of(case_id, desk.crisis)
        card = await desk.in_topic(thread, lambda m: "Обращение №" in text_of(m), desk.crisis)
        desk.kate.press(card, next(b["callback_data"] for b in buttons(card) if b["text"] == "Закрыть"))
        await maria.wait_for_message("Насколько мы помогли", 10)
        check = await maria.wait_for_message("в безопасности", 15)
        assert [b["text"] for b in buttons(check)] == ["Всё хорошо", "Мне нужна помощь"]
        tap(maria, "Мне нужна помощь")
        await screen(maria, "передали это в кризисный центр")
        await desk.in_topic(thread, lambda m: "снова нужна помощь" in text_of(m), desk.crisis)
        await db_wait(
            fake,
            desk.bot,
            "SELECT status, urgency FROM cases WHERE id = ?",
            case_id,
            until=lambda r: r[0] == ("queued", "emergency"),
        )
    finally:
        await stop(desk)


async def test_outside_hours_and_a_full_line_are_said_plainly(fake, tmp_path):
    """Promise: outside working hours the family learns when people are back and gets crisis contacts;
    over the capacity cap it is told the line is full and given alternatives."""
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    regions_path = data / "regions.yaml"
    regions = yaml.safe_load(regions_path.read_text(encoding="utf-8"))
    region = next(r for r in regions["regions"] if r["code"] == "RU-PNZ")
    today = datetime.now(ZoneInfo(region["timezone"])).date()
    region["holidays"] = sorted({*region["holidays"], today})
    regions_path.write_text(yaml.safe_dump(regions, allow_unicode=True), encoding="utf-8")
    desk = await start_desk(fake, tmp_path, DATA_DIR=str(data), DESK_CAPACITY="0")
    try:
        maria = desk.family()
        await onboard(maria)
        maria.send_text("Подскажите, пожалуйста, с документами на пособие, нужна консультация специалиста")
        answer = await maria.wait_for_message("передано", 10)
        assert "не на связи" in answer["text"] and "вернутся" in answer["text"]
        assert "очень много" in answer["text"]
        assert "112" in answer["text"]
    finally:
        await stop(desk)


async def test_unmet_need_is_recorded_on_the_case(fake, tmp_path):
    desk = await start_desk(fake, tmp_path)
    try:
        maria = desk.family()
        case_id = await ask_lawyer(desk, maria)
        thread = await desk.topic_of(case_id)
        await desk.in_topic(thread, lambda m: "Обращение №" in text_of(m))
        desk.olga.send_text_in(desk.ops, "/unmet нет бесплатного юриста в районе", thread_id=thread)
        await fake.wait_for(lambda: "нет бесплатного юриста" in desk.card(thread)["text"], 10)
        await db_wait(
            fake,
            desk.bot,
            "SELECT unmet_needs FROM cases WHERE id = ?",
            case_id,
            until=lambda r: any("нет бесплатного юриста" in n for n in json.loads(r[0][0])),
        )
        assert not [m for m in maria.messages() if "юриста в районе" in text_of(m)]
    finally:
        await stop(desk)


@pytest.mark.parametrize("chat", [OPERATOR_CHAT, CRISIS_CHAT])
async def test_strangers_cannot_use_staff_commands(fake, tmp_path, chat):
    desk = await start_desk(fake, tmp_path)
    try:
        group = desk.ops if chat == OPERATOR_CHAT else desk.crisis
        stranger = fake.user(800_123, "Незнакомец")
        group.add_member(stranger)
        stranger.send_text_in(group, "/queue")
        refusal = await group.wait_for_message("только сотрудники", 10)
        assert "Ждут ответа" not in refusal["text"]
    finally:
        await stop(desk)


async def test_a_canned_answer_with_media_reaches_the_family_in_its_language(fake, tmp_path):
    """Promise: canned answers may carry a picture or a file; the family gets it with the text in its language."""
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    canned = data / "canned" / "general.yaml"
    doc = yaml.safe_load(canned.read_text(encoding="utf-8"))
    doc["answers"].append(
        {
            "code": "sample_form",
            "title": {"ru": "Образец заявления", "en": "Sample application"},
            "text": {
                "ru": "Вот образец заявления к обращению № {case_id}.",
                "en": "Here is a sample for request № {case_id}.",
            },
            "media": {"kind": "document", "file": "https://example.org/test-only/sample.pdf"},
        }
    )
    canned.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    desk = await start_desk(fake, tmp_path, DATA_DIR=str(data))
    try:
        maria = desk.family()
        case_id = await ask_lawyer(desk, maria)
        thread = await desk.topic_of(case_id)
        await desk.in_topic(thread, lambda m: "Обращение №" in text_of(m))
        desk.olga.send_text_in(desk.ops, "/c sample_form", thread_id=thread)
        got = await maria.wait_for_message(lambda m: "document" in m, 10)
        assert got["caption"] == f"Вот образец заявления к обращению № {case_id}."
        await desk.in_topic(thread, lambda m: "Отправлено семье" in text_of(m))
    finally:
        await stop(desk)
