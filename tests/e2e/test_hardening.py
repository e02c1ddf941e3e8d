"""Trust and hardening, end to end: the family's data rights, retention, access control, abuse control, and
the bot under faults. Each test states the promise it proves. The bot is the real process (`python -m bot run`)
against the fake Bot API, with a real SQLite file; faults come from the fake, from kill -9 and from a lock taken
on the database file by the test itself.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import yaml

from bot.config import ROOT
from tests.e2e.conftest import OPERATOR_CHAT
from tests.e2e.flows import as_utc, buttons, db_rows, db_wait, onboard, screen, tap
from tests.e2e.harness import BotProcess
from tests.e2e.test_desk import ask_lawyer, start_desk, text_of
from tests.e2e.test_family import _walks

DANGER = "Помогите, муж бьёт меня и детей"


async def stop(proc) -> None:
    if proc.proc and proc.proc.poll() is None:
        await proc.stop()


def group_texts(group) -> list[str]:
    return [json.dumps(m, ensure_ascii=False) for m in group.messages(from_bot=True)]


def greetings(fake, user) -> int:
    """How many times the greeting was sent to ``user`` (the screen itself is later edited in place)."""
    return sum(
        1
        for c in fake.calls_of("sendMessage")
        if c.ok
        and str(c.params.get("chat_id")) == str(user.id)
        and "Семейное окно" in str(c.params.get("text"))
    )


def no_tracebacks(proc) -> None:
    log = proc.log()
    assert "Traceback" not in log, log[log.index("Traceback") - 2000 :][:6000]


# --- data rights ------------------------------------------------------------------------------------------------


async def test_forget_tells_staff_closes_the_topic_and_leaves_nothing_identifying(fake, tmp_path):
    """Promise: operators never see the family's Telegram id; after /forget the request's topic says the data
    was erased, the request is closed, and no table holds the family's id or the texts it wrote."""
    desk = await start_desk(fake, tmp_path)
    try:
        maria = fake.user(987_650_001, "Мария", language_code="ru")  # an id no counter or timestamp contains
        case_id = await ask_lawyer(desk, maria)
        thread = await desk.topic_of(case_id)
        maria.send_text("Секретная подробность 4815162342")
        await desk.in_topic(thread, lambda m: "4815162342" in text_of(m))
        desk.olga.send_text_in(desk.ops, "Здравствуйте, я юрист", thread_id=thread)
        await maria.wait_for_message("я юрист", 10)
        # the operators' group: nothing the bot posted there carries the family's Telegram id
        for text in group_texts(desk.ops) + group_texts(desk.crisis):
            assert str(maria.id) not in text, text

        maria.send_text("/forget")
        await maria.wait_for_message("Удалить ваши данные?")
        tap(maria, "Да, удалить")
        await screen(maria, "удалены")
        await desk.in_topic(thread, lambda m: "Семья удалила свои данные" in text_of(m))
        await fake.wait_for(lambda: desk.ops.topic(thread).closed, 10)
        await fake.wait_for(lambda: "данные семьи удалены" in text_of(desk.card(thread)), 10)
        await fake.wait_for(lambda: not db_rows(desk.bot, "SELECT id FROM outbox WHERE status='pending'"), 10)
        for table, row in desk.bot.all_rows():
            dumped = json.dumps(row, default=str, ensure_ascii=False)
            assert str(maria.id) not in dumped, (table, row)
            assert "4815162342" not in dumped, (table, row)
        assert db_rows(desk.bot, "SELECT status, family_id FROM cases") == [("closed", None)]
        # staff writing into the topic now are told plainly
        desk.olga.send_text_in(desk.ops, "Вы здесь?", thread_id=thread)
        await desk.in_topic(thread, lambda m: "удалила свои данные" in text_of(m) and "нельзя" in text_of(m))
        no_tracebacks(desk.bot)
    finally:
        await stop(desk.bot)


async def test_changed_notice_asks_again_and_consent_can_be_withdrawn(fake, tmp_path, new_user):
    """Promise: a new version of the privacy notice asks for consent again before anything else (danger signals
    are still answered first); consent can be withdrawn, which erases the data and is recorded as a withdrawal."""
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    proc = await BotProcess(fake, tmp_path, DATA_DIR=str(data)).start()
    anna = new_user()
    await onboard(anna)
    await proc.stop()
    notice_path = data / "privacy.yaml"
    text = notice_path.read_text()
    old_version = yaml.safe_load(text)["version"]
    notice_path.write_text(re.sub(r"(?m)^version: .*$", 'version: "9.9"', text, count=1))
    proc = await BotProcess(fake, tmp_path, DATA_DIR=str(data)).start()
    try:
        anna.send_text("Здравствуйте, у меня вопрос")
        gate = await anna.wait_for_message("обновили правила", 10)
        assert "9.9" in gate["text"]
        assert [b["text"] for b in buttons(gate)] == [
            "Согласен(на)",
            "Подробнее о данных",
            "Отозвать согласие",
        ]
        anna.send_text(DANGER)  # safety first: emergency contacts, not the consent screen
        contacts = await anna.wait_for_message("112", 10)
        assert "обновили правила" not in contacts["text"]
        [(version,)] = db_rows(proc, "SELECT consent_version FROM families")
        assert version == old_version, "nothing is processed under the new notice before consent"
        tap(anna, "Согласен(на)")
        await db_wait(fake, proc, "SELECT consent_version FROM families", until=lambda r: r == [("9.9",)])
        anna.send_text("/menu")
        await screen(anna, "Чем мы можем помочь")
        tap(anna, "Настройки")
        await screen(anna, "Скрытый режим")
        tap(anna, "Отозвать согласие")
        await screen(anna, "Отозвать согласие?")
        tap(anna, "Да, отозвать")
        await screen(anna, "Согласие отозвано")
        await db_wait(fake, proc, "SELECT count(*) FROM families", until=lambda r: r == [(0,)])
        actions = [a for (a,) in db_rows(proc, "SELECT action FROM audit_log ORDER BY id")]
        assert actions.count("consent.given") == 2 and actions[-1] == "consent.withdrawn"
        # information still works without consent
        anna.send_text("/menu")
        await screen(anna, "Чем мы можем помочь")
        no_tracebacks(proc)
    finally:
        await stop(proc)


async def test_retention_removes_each_class_of_data_on_time(fake, tmp_path):
    """Promise: message links and relay rows of a closed request, its answers, old processed-update ids, the
    audit log and silent families are removed after their periods (tiny here), and not before: an open
    request keeps its messages."""
    short = {
        "RETENTION_CASE_MESSAGES_DAYS": str(3 / 86400),
        "RETENTION_ANSWERS_DAYS": str(3 / 86400),
        "RETENTION_PROCESSED_UPDATES_DAYS": str(3 / 86400),
        "RETENTION_SCAN_SECONDS": "0.5",
    }
    desk = await start_desk(fake, tmp_path, **short)
    try:
        maria = desk.family()
        await onboard(maria)
        tap(maria, "Что случилось")
        await screen(maria, "Несколько коротких вопросов")
        answers = next(a for a, o in _walks() if o.route.type == "consultant")
        for label in answers:
            before = maria.last_message()["text"]
            tap(maria, label)
            await fake.wait_for(lambda b=before: maria.last_message()["text"] != b, 10)
        tap(maria, "Передать мой запрос")
        await screen(maria, "передано")
        [(case_id,)] = await db_wait(fake, desk.bot, "SELECT id FROM cases")
        thread = await desk.topic_of(case_id)
        maria.send_text("Подробности")
        await desk.in_topic(thread, lambda m: text_of(m) == "Подробности")
        await asyncio.sleep(4)  # longer than the periods: an open request keeps everything
        assert db_rows(desk.bot, "SELECT count(*) FROM case_message_links WHERE case_id = ?", case_id) != [
            (0,)
        ]
        [(summary,)] = db_rows(desk.bot, "SELECT summary FROM cases WHERE id = ?", case_id)
        assert json.loads(summary), "answers of an open request are kept"
        stamps = [as_utc(at) for (at,) in db_rows(desk.bot, "SELECT at FROM processed_updates")]
        old = [at for at in stamps if at < datetime.now(UTC) - timedelta(seconds=5)]
        assert not old, "old update ids are dropped"

        card = desk.card(thread)
        desk.olga.press(card, next(b["callback_data"] for b in buttons(card) if b["text"] == "Закрыть"))
        await db_wait(fake, desk.bot, "SELECT status FROM cases", until=lambda r: r == [("closed",)])
        await db_wait(
            fake,
            desk.bot,
            "SELECT (SELECT count(*) FROM case_message_links), (SELECT count(*) FROM outbox WHERE case_id = ?),"
            " (SELECT summary FROM cases WHERE id = ?), (SELECT count(*) FROM triage_results WHERE CAST(path AS TEXT) != '[]')",
            case_id,
            case_id,
            until=lambda r: r == [(0, 0, "{}", 0)],
        )
        assert db_rows(desk.bot, "SELECT count(*) FROM families") == [(1,)], "the profile has its own period"
        await desk.bot.stop()

        # the audit log and a silent family: periods shortened too (as if the years had passed)
        desk.bot = BotProcess(
            fake,
            tmp_path,
            **{
                **desk.bot.env,
                "RETENTION_AUDIT_DAYS": str(2 / 86400),
                "RETENTION_INACTIVE_FAMILY_DAYS": str(2 / 86400),
            },
        )
        await desk.bot.start()
        await db_wait(fake, desk.bot, "SELECT count(*) FROM families", until=lambda r: r == [(0,)])
        await desk.in_topic(thread, lambda m: "не пользовалась ботом" in text_of(m))
        actions = {a for (a,) in db_rows(desk.bot, "SELECT action FROM audit_log")}
        assert "case.opened" not in actions and "consent.given" not in actions, actions
        assert db_rows(desk.bot, "SELECT count(*) FROM cases") == [(1,)], "statistics stay"
        no_tracebacks(desk.bot)
    finally:
        await stop(desk.bot)


# --- access control and abuse -------------------------------------------------------------------------------------


async def test_a_floods_excess_is_dropped_at_the_door_before_its_claim(fake, tmp_path):
    """Promise (issue 16): beyond the per-minute limit and the one message the family is told on, a flood is
    dropped at the door — never claimed (no database write), never handled — so it costs the other families
    little; a danger message inside the flood is still answered, also where the danger is past the start of a long
    message, and another family is served as usual."""
    from tests.e2e.harness import INSTANCES, POSTGRES

    desk = await start_desk(fake, tmp_path, FLOOD_MESSAGES_PER_MINUTE="5")
    instances = INSTANCES if POSTGRES else 1
    try:
        maria = desk.family()
        await onboard(maria)
        [(before,)] = db_rows(desk.bot, "SELECT count(*) FROM processed_updates")
        for i in range(40):
            # (a filler the second opinion reads as harmless: «сообщение 12 очень длинный текст…» read whole is
            # p 0.55–0.64 to it, and a message read whole before it is dropped would pass as possible danger)
            maria.send_text(f"сообщение {i:02d} " + "просто текст для проверки " * 40)
        await maria.wait_for_message("быстрее, чем мы успеваем", 15)
        await asyncio.sleep(1.0)
        [(after,)] = db_rows(desk.bot, "SELECT count(*) FROM processed_updates")
        # /start and four more pass the gate, the fifth is told; each instance's door counts its own share
        assert after - before <= 6 * instances, (before, after)
        assert "dropped at the door" in desk.bot.log()
        maria.send_text(DANGER)
        await maria.wait_for_message(lambda m: "112" in text_of(m) and "быстрее" not in text_of(m), 10)
        # danger past the start of a long message is not dropped with the flood's excess: the door reads it whole
        maria.send_text("просто текст для проверки " * 30 + DANGER)
        await maria.wait_for_message(lambda m: "112" in text_of(m) and "быстрее" not in text_of(m), 10)
        anna = desk.family()
        await onboard(anna)
        assert sum("быстрее, чем мы успеваем" in text_of(m) for m in maria.messages()) == 1, "told once"
    finally:
        await stop(desk.bot)


async def test_flood_control_and_staff_mute_with_expiry_never_silence_danger(fake, tmp_path):
    """Promise: a family over the per-minute limit is told once and the rest is held back; staff can pause a
    family (audited, with an expiry); a danger signal always gets emergency contacts, muted or flooding."""
    desk = await start_desk(fake, tmp_path, FLOOD_MESSAGES_PER_MINUTE="6", FLOOD_BUTTONS_PER_MINUTE="12")
    try:
        maria = desk.family()
        case_id = await ask_lawyer(desk, maria)  # 1 message, 6 buttons
        thread = await desk.topic_of(case_id)

        def relayed(text: str) -> int:
            return sum(1 for m in desk.ops.messages(thread, from_bot=True) if text_of(m) == text)

        async def committed(action: str, n: int) -> None:
            """The staff command is committed (its answer in the topic comes just before the commit; with two
            instances the family's next message may be handled in between)."""
            sql = "SELECT count(*) FROM audit_log WHERE action = ?"
            await db_wait(fake, desk.bot, sql, action, until=lambda rows: rows == [(n,)])

        desk.olga.send_text_in(desk.ops, "/mute 0.05", thread_id=thread)  # three seconds
        await desk.in_topic(thread, lambda m: "приостановлены до" in text_of(m))
        await committed("family.muted", 1)
        maria.send_text("во время короткой паузы")
        await maria.wait_for_message("приостановлены", 10)
        await asyncio.sleep(3.5)
        maria.send_text("после паузы")  # message 2
        await desk.in_topic(thread, lambda m: text_of(m) == "после паузы")
        assert relayed("во время короткой паузы") == 0

        desk.olga.send_text_in(desk.ops, "/mute 30", thread_id=thread)
        await fake.wait_for(
            lambda: (
                sum("приостановлены до" in text_of(m) for m in desk.ops.messages(thread, from_bot=True)) == 2
            ),
            10,
        )
        await committed("family.muted", 2)
        maria.send_text("раз")
        notice = await maria.wait_for_message("приостановлены", 10)
        assert "112" in notice["text"]
        maria.send_text("два")
        maria.send_text(DANGER)
        await maria.wait_for_message("112", 10)
        desk.olga.send_text_in(desk.ops, "/unmute", thread_id=thread)
        await desk.in_topic(thread, lambda m: "снова может писать" in text_of(m))
        await committed("family.unmuted", 1)
        maria.send_text("снова можно")  # message 3
        await desk.in_topic(thread, lambda m: text_of(m) == "снова можно")
        assert relayed("раз") == relayed("два") == 0
        assert sum("приостановлены до" in text_of(m) for m in maria.messages()) == 2, "told once per pause"

        flood = [f"поток {i}" for i in range(6)]
        for text in flood:
            maria.send_text(text)
        await maria.wait_for_message("быстрее, чем мы успеваем", 10)
        maria.send_text(DANGER)
        await maria.wait_for_message(lambda m: "112" in text_of(m) and "быстрее" not in text_of(m), 10)
        await asyncio.sleep(1.5)
        assert [relayed(t) for t in flood] == [1, 1, 1, 0, 0, 0], "six messages a minute, no more"
        assert sum("быстрее, чем мы успеваем" in text_of(m) for m in maria.messages()) == 1, "told once"
        actions = [
            a for (a,) in db_rows(desk.bot, "SELECT action FROM audit_log WHERE action LIKE 'family.%'")
        ]
        assert actions == ["family.muted", "family.muted", "family.unmuted"]

        # buttons have their own limit, answered with an alert once
        answers = []
        last = next(m for m in reversed(maria.messages()) if buttons(m))
        for _ in range(8):
            answers.append(maria.press(last, buttons(last)[0]["callback_data"]))
        await fake.wait_for(lambda: all(maria.callback_answer(q) for q in answers), 10)
        alerts = [maria.callback_answer(q) for q in answers if maria.callback_answer(q).get("show_alert")]
        assert len(alerts) == 1 and "быстрее" in alerts[0]["text"]
        no_tracebacks(desk.bot)
    finally:
        await stop(desk.bot)


async def test_messages_from_non_members_in_staff_groups_are_ignored(fake, tmp_path):
    """Promise: an anonymous administrator or a channel writing in the operators' group (even /queue, even in a
    request's topic) gets nothing relayed to a family, changes nothing and breaks nothing."""
    desk = await start_desk(fake, tmp_path)
    try:
        maria = desk.family()
        case_id = await ask_lawyer(desk, maria)
        thread = await desk.topic_of(case_id)
        await fake.wait_for(lambda: not db_rows(desk.bot, "SELECT id FROM outbox WHERE status='pending'"), 10)
        outbox_before = db_rows(desk.bot, "SELECT count(*) FROM outbox")
        audit_before = db_rows(desk.bot, "SELECT count(*) FROM audit_log")
        bot_msgs_before = len(desk.ops.messages(from_bot=True))
        family_msgs_before = len(maria.messages())
        desk.ops.send_as_chat("Анонимный админ пишет семье", thread_id=thread)
        desk.ops.send_as_chat("/queue", thread_id=thread)
        desk.ops.send_as_chat("/mute 60", thread_id=thread)
        desk.ops.send_as_chat("Пост канала", channel={"id": -1009999999999, "title": "Канал"})
        desk.crisis.send_as_chat("/queue")
        marker = desk.olga.send_text_in(
            desk.ops, "!заметка после", thread_id=thread
        )  # handled after the others
        marker_update = update_of_message(fake, desk.ops, marker)
        await fake.wait_for(lambda: f'"update_id": {marker_update},' in desk.bot.log(), 10)
        await asyncio.sleep(1)
        assert len(desk.ops.messages(from_bot=True)) == bot_msgs_before
        assert not desk.crisis.messages(from_bot=True)
        assert len(maria.messages()) == family_msgs_before
        assert db_rows(desk.bot, "SELECT count(*) FROM outbox") == outbox_before
        assert db_rows(desk.bot, "SELECT count(*) FROM mutes") == [(0,)]
        assert db_rows(desk.bot, "SELECT count(*) FROM audit_log") == [(audit_before[0][0] + 1,)]  # the note
        no_tracebacks(desk.bot)
    finally:
        await stop(desk.bot)


# --- faults --------------------------------------------------------------------------------------------------------


def update_of_message(fake, chat, message) -> int:
    return fake.find_update(
        lambda u: (
            u.get("message", {}).get("message_id") == message["message_id"]
            and u["message"]["chat"]["id"] == chat.id
        )
    )["update_id"]


def update_of_query(fake, query_id: str) -> int:
    return fake.find_update(lambda u: u.get("callback_query", {}).get("id") == query_id)["update_id"]


async def test_the_same_update_delivered_twice_is_handled_once(fake, tmp_path):
    """Promise: Telegram delivers at least once; a second delivery of a message, a button or a relayed text
    (later, or in the same batch) changes nothing and sends nothing again."""
    desk = await start_desk(fake, tmp_path)
    try:
        maria = desk.family()
        sent = maria.send_text("/start")
        await maria.wait_for_message("Семейное окно", 10)
        tap(maria, "Продолжить")
        await screen(maria, "согласны")
        query = tap(maria, "Согласен(на)")
        await screen(maria, "В каком регионе")
        fake.deliver_again(update_of_message(fake, maria, sent))
        fake.deliver_again(update_of_query(fake, query))
        tap(maria, "Пензенская область")
        await screen(maria, "Расскажите немного о семье")
        tap(maria, "Позже, в меню")
        await screen(maria, "Чем мы можем помочь")
        tap(maria, "Поговорить со специалистом")
        await screen(maria, "С кем вы хотели бы поговорить")
        tap(maria, "Юрист")
        await screen(maria, "передано юристу")
        [(case_id,)] = await db_wait(fake, desk.bot, "SELECT id FROM cases")
        thread = await desk.topic_of(case_id)
        words = maria.send_text("Один раз")
        update_id = update_of_message(fake, maria, words)
        fake.deliver_again(update_id)  # very likely in the same batch as the first delivery
        await desk.in_topic(thread, lambda m: text_of(m) == "Один раз")
        fake.deliver_again(update_id)  # and once more, later
        await fake.wait_for(lambda: desk.bot.log().count(f"update {update_id} was already handled") >= 2, 10)
        await asyncio.sleep(1.5)
        assert sum(text_of(m) == "Один раз" for m in desk.ops.messages(thread)) == 1
        assert greetings(fake, maria) == 1
        actions = [a for (a,) in db_rows(desk.bot, "SELECT action FROM audit_log")]
        assert actions.count("consent.given") == 1 and actions.count("case.opened") == 1
        no_tracebacks(desk.bot)
    finally:
        await stop(desk.bot)


@pytest.mark.timeout(400)
async def test_kill_9_at_random_points_of_a_family_flow(fake, tmp_path):
    """Promise: killed at any moment of a family's way to a specialist, the bot resumes after a restart: every step
    ends on its screen (at worst the family taps once more), there is one family and one request; and a message
    the bot had received when it was killed reaches the topic after the restart, exactly once.

    The one duplicate the Bot API leaves possible is counted, not excused: a kill in the few milliseconds between
    Telegram's answer to a relay send and the commit that records it (Telegram has no idempotency key, so the next
    process cannot know the copy arrived and sends it again; SECURITY.md). After each kill the test reads which
    copies in the topic the dead process had not recorded; a message may appear once more for each of those, and
    any other repeat fails the test."""
    seed = int(os.environ.get("KILL_SEED", time.time()))
    print(f"kill points seed {seed} (KILL_SEED={seed} repeats them)")  # shown by pytest when the test fails
    rng = random.Random(seed)
    desk = await start_desk(fake, tmp_path)
    restarts = 0

    async def maybe_kill() -> None:
        nonlocal restarts
        if restarts < 3 and rng.random() < 0.45:
            await asyncio.sleep(rng.uniform(0, 0.25))
            await desk.bot.kill()
            await desk.bot.start()
            restarts += 1

    async def step(label: str, expect: str) -> None:
        query = tap(maria, label)
        await maybe_kill()
        try:
            await screen(maria, expect, timeout=10)
        except (
            TimeoutError
        ):  # killed after the step was committed but before the answer: the family taps again
            assert maria.callback_answer(query) is None or expect not in text_of(maria.last_message())
            tap(maria, label)
            await screen(maria, expect, timeout=10)

    try:
        maria = desk.family()
        maria.send_text("/start")
        await maybe_kill()
        try:
            await maria.wait_for_message("Семейное окно", 10)
        except TimeoutError:
            maria.send_text("/start")
            await maria.wait_for_message("Семейное окно", 10)
        await step("Продолжить", "согласны")
        await step("Согласен(на)", "В каком регионе")
        await step("Пензенская область", "Расскажите немного о семье")
        await step("Позже, в меню", "Чем мы можем помочь")
        await step("Поговорить со специалистом", "С кем вы хотели бы поговорить")
        await step("Юрист", "передано юристу")
        [(case_id,)] = await db_wait(fake, desk.bot, "SELECT id FROM cases")
        await desk.topic_of(case_id, timeout=20)
        # the case's topic is the one it recorded: a kill between createForumTopic and its commit leaves an orphan
        # topic with the same name, and the next process opens another (SECURITY.md); the orphan stays empty
        [(thread,)] = await db_wait(
            fake,
            desk.bot,
            "SELECT thread_id FROM cases WHERE id = ? AND thread_id IS NOT NULL",
            case_id,
            timeout=20,
        )
        texts = [f"подробность {i}" for i in range(6)]
        origin: dict[str, int] = {}
        unrecorded: Counter[str] = Counter()  # copies killed processes sent but never recorded as sent

        def count_unrecorded() -> None:
            recorded = {
                m
                for (m,) in db_rows(
                    desk.bot, "SELECT from_message_id FROM outbox WHERE target = 'staff' AND status = 'sent'"
                )
            }
            copies = Counter(text_of(m) for m in desk.ops.messages(thread))
            for text, message_id in origin.items():
                # sends of one message before its recorded one: 1, 2, … at the kills that end them, then the same
                # number (copies − the recorded one) at every later kill, so the largest is the count
                unrecorded[text] = max(unrecorded[text], copies[text] - (message_id in recorded))

        for text in texts:
            sent = maria.send_text(text)
            origin[text] = sent["message_id"]
            if restarts < 5 and rng.random() < 0.4:
                # killed once the bot has the message (its claim is in the database), at a random moment of
                # handling it: the next process replays it (see SECURITY.md for the moment before the claim)
                update_id = update_of_message(fake, maria, sent)
                await fake.wait_for(
                    lambda u=update_id: db_rows(
                        desk.bot, "SELECT 1 FROM processed_updates WHERE update_id = ?", u
                    ),
                    20,
                )
                await asyncio.sleep(rng.uniform(0, 0.05))
                await desk.bot.kill()
                count_unrecorded()
                await desk.bot.start()
                restarts += 1
        await fake.wait_for(
            lambda: all(any(text_of(m) == t for m in desk.ops.messages(thread)) for t in texts), 60
        )
        await asyncio.sleep(1)
        got = Counter(text_of(m) for m in desk.ops.messages(thread) if text_of(m).startswith("подробность"))
        lost = [t for t in texts if got[t] == 0]
        repeated = {t: n for t, n in got.items() if n > 1 + unrecorded[t]}
        assert not lost and not repeated, (
            f"after {restarts} kill(s): lost {lost}, repeated {repeated} "
            f"(sends a kill left unrecorded: {dict(unrecorded)})"
        )
        if +unrecorded:
            print(
                f"kills between a send and its record: {dict(unrecorded)} (each may repeat that message once)"
            )
        assert db_rows(desk.bot, "SELECT count(*) FROM families") == [(1,)]
        assert db_rows(desk.bot, "SELECT count(*) FROM cases") == [(1,)]
        orphans = [t["message_thread_id"] for t in desk.ops.topics() if t["message_thread_id"] != thread]
        assert len(orphans) <= 1 and not any(text_of(m) for o in orphans for m in desk.ops.messages(o)), (
            orphans
        )
    finally:
        await stop(desk.bot)


@pytest.mark.sqlite
async def test_a_kill_at_the_moment_a_batch_is_confirmed_loses_none_of_it(fake, tmp_path, new_user):
    """Promise: with long polling Telegram forgets a batch as soon as the bot asks for the next one. The bot asks
    only once every update of the batch is claimed in the database (with a copy), so a kill -9 at exactly that
    moment loses nothing: the next process answers every family of the batch before it polls again."""
    proc = BotProcess(fake, tmp_path)
    await proc.start()
    db_path = proc.env["DATABASE_URL"].split(":///", 1)[1]
    families = [new_user("ru") for _ in range(12)]
    moment: dict = {}

    def at_confirmation(method: str, params: dict) -> None:
        if method != "getUpdates" or "batch" not in moment or "claimed" in moment:
            return
        if (params.get("offset") or 0) > max(moment["batch"]):  # this request confirms the whole batch
            with sqlite3.connect(db_path, timeout=10) as conn:
                rows = conn.execute("SELECT update_id FROM processed_updates").fetchall()
            moment["claimed"] = {u for (u,) in rows} & set(moment["batch"])
            os.kill(proc.proc.pid, signal.SIGKILL)

    fake.before_call = at_confirmation
    sent = [family.send_text("/start") for family in families]  # no await in between: one batch
    moment["batch"] = [update_of_message(fake, f, m) for f, m in zip(families, sent, strict=True)]
    try:
        await fake.wait_for(lambda: "claimed" in moment, 15)
        await proc.kill()
        assert moment["claimed"] == set(moment["batch"]), "confirmed to Telegram before it was claimed"
        proc = await BotProcess(fake, tmp_path).start()
        for family in families:
            await family.wait_for_message("Семейное окно", 15)
        counts = [greetings(fake, family) for family in families]
        # a family answered in the instant before the kill may get its greeting twice (SECURITY.md)
        assert all(1 <= n <= 2 for n in counts), counts
        no_tracebacks(proc)
    finally:
        fake.before_call = None
        await stop(proc)


async def test_slow_telegram_and_outages_are_retried_with_backoff_not_a_busy_loop(fake, tmp_path, new_user):
    """Promise: slow answers and timeouts from Telegram delay replies but lose none; a relay outage of several
    seconds is retried with growing pauses (a handful of calls, not a busy loop) and then delivered once."""
    desk = await start_desk(fake, tmp_path, TELEGRAM_TIMEOUT="2")
    try:
        anna = new_user()
        fake.fail_next("sendMessage", chat_id=anna.id, error="slow", delay=1.5)
        anna.send_text("/start")
        await anna.wait_for_message("Семейное окно", 10)
        fake.fail_next("editMessageText", chat_id=anna.id, error="timeout", delay=3)
        tap(anna, "Продолжить")
        await screen(anna, "согласны", timeout=15)

        maria = desk.family()
        case_id = await ask_lawyer(desk, maria)
        thread = await desk.topic_of(case_id)
        await fake.wait_for(lambda: not db_rows(desk.bot, "SELECT id FROM outbox WHERE status='pending'"), 10)
        outage = fake.fail_next("copyMessage", chat_id=OPERATOR_CHAT, count=10_000, error="500")
        maria.send_text("во время сбоя")
        await asyncio.sleep(8)
        tries = outage.fired
        fake.clear_faults()
        assert 2 <= tries <= 20, f"{tries} calls in 8 s of outage"
        await desk.in_topic(thread, lambda m: text_of(m) == "во время сбоя", timeout=40)
        await asyncio.sleep(1)
        assert sum(text_of(m) == "во время сбоя" for m in desk.ops.messages(thread)) == 1
        assert greetings(fake, anna) == 1
        no_tracebacks(desk.bot)
    finally:
        await stop(desk.bot)


@pytest.mark.sqlite
@pytest.mark.timeout(300)
async def test_database_locked_the_update_waits_or_the_family_is_told(fake, tmp_path, new_user):
    """Promise: while another process holds the database's write lock for a moment, updates wait and then go
    through; held longer than the bot waits, the family is told to try again and nothing is half-written; the
    same tap afterwards works."""
    proc = BotProcess(fake, tmp_path)
    await proc.start()
    path = proc.env["DATABASE_URL"].split(":///", 1)[1]
    try:
        anna = new_user()
        anna.send_text("/start")
        await anna.wait_for_message("Семейное окно", 10)
        tap(anna, "Продолжить")
        await screen(anna, "согласны")

        async def hold_lock(seconds: float) -> None:
            conn = sqlite3.connect(path, timeout=30, isolation_level=None)
            conn.execute("BEGIN EXCLUSIVE")
            try:
                await asyncio.sleep(seconds)
            finally:
                conn.execute("ROLLBACK")
                conn.close()

        # a brief lock: the tap waits and then goes through, once
        lock = asyncio.create_task(hold_lock(1.5))
        await asyncio.sleep(0.1)
        tap(anna, "Согласен(на)")
        await lock
        await screen(anna, "В каком регионе", timeout=15)
        await db_wait(fake, proc, "SELECT count(*) FROM families", until=lambda r: r == [(1,)])

        # a lock held longer than the bot's wait (15 s): the family is told, nothing is half-written
        lock = asyncio.create_task(hold_lock(17))
        await asyncio.sleep(0.1)
        query = tap(anna, "Пензенская область")
        await fake.wait_for(lambda: anna.callback_answer(query), 25)
        assert "Попробуйте ещё раз" in anna.callback_answer(query)["text"]
        await lock
        assert db_rows(proc, "SELECT region FROM families") == [(None,)]
        claim = db_rows(
            proc, "SELECT count(*) FROM processed_updates WHERE update_id = ?", update_of_query(fake, query)
        )
        assert claim == [(0,)]
        tap(anna, "Пензенская область")
        await screen(anna, "Расскажите немного о семье", timeout=15)
        await db_wait(fake, proc, "SELECT region FROM families", until=lambda r: r == [("RU-PNZ",)])
        assert "failed: OperationalError" in proc.log()
    finally:
        await stop(proc)


# --- property-based fuzzing -----------------------------------------------------------------------------------------

ODD = [
    "\u200b",  # zero-width space
    "\u200d",  # zero-width joiner
    "\u202e",  # right-to-left override
    "\u2066",  # left-to-right isolate
    "\ufeff",  # byte-order mark
    "\u0301",  # a lone combining accent
    "👨\u200d👩\u200d👧\u200d👦",
    "🏳️\u200d🌈",
    "مرحبا",
    "שלום",
    "<b>",
    "</i>",
    "&amp;",
    "<a href='x'>",
    "@",
    "#",
    "/",
    "\n",
    "😀",
    "Ёё",
]
COMMANDS = [
    "/start",
    "/menu",
    "/help",
    "/mydata",
    "/forget",
    "/withdraw",
    "/privacy",
    "/language",
    "/card",
    "/x",
]
MEDIA = [
    "photo",
    "video",
    "voice",
    "audio",
    "document",
    "sticker",
    "animation",
    "video_note",
    "location",
    "contact",
]


def _strategies():
    from hypothesis import strategies as st

    text = st.one_of(
        st.text(min_size=1, max_size=300),
        st.lists(st.one_of(st.sampled_from(ODD), st.text(max_size=4)), min_size=1, max_size=40).map("".join),
        st.integers(4000, 10_000).map(lambda n: ("Ж😀\u200b\u202eא" * n)[:n]),
        st.tuples(st.sampled_from(COMMANDS), st.text(max_size=20)).map(lambda t: f"{t[0]} {t[1]}".rstrip()),
    ).map(lambda s: s if s.strip() else s + ".")
    callback = st.one_of(
        st.text(min_size=1, max_size=20),
        st.tuples(
            st.sampled_from(
                [
                    "case:",
                    "req:",
                    "set:",
                    "nav:",
                    "consent:",
                    "card:",
                    "bc:",
                    "fu:",
                    "crisis:",
                    "tri:",
                    "near:",
                ]
            ),
            st.text(max_size=12),
        ).map("".join),
    ).filter(lambda s: 1 <= len(s.encode()) <= 64)
    action = st.one_of(
        st.tuples(st.just("text"), text),
        st.tuples(st.just("text"), text),
        st.tuples(
            st.just("media"), st.sampled_from(MEDIA), st.one_of(st.none(), text.map(lambda s: s[:1024]))
        ),
        st.tuples(st.just("album"), st.integers(2, 4)),
        st.tuples(st.just("press"), st.integers(0, 40)),
        st.tuples(st.just("press"), st.integers(0, 40)),
        st.tuples(st.just("press"), st.integers(0, 40)),
        st.tuples(st.just("forge"), callback),
        st.tuples(st.just("edit"), text),
    )
    return st.booleans(), st.lists(action, min_size=1, max_size=8)


@pytest.mark.timeout(600)
async def test_fuzzed_text_media_and_buttons_never_break_the_bot(fake, tmp_path):
    """Promise (property-based, hypothesis): whatever a family sends — arbitrary Unicode (emoji, zero-width and
    right-to-left characters, 10,000 characters), any kind of message, edits, random and forged button presses,
    before or after consent — no exception escapes (no traceback, the error handler never fires), every call the
    bot makes is valid for the Bot API, and no message goes to anyone else's private chat."""
    from hypothesis import HealthCheck, given, settings

    desk = await start_desk(fake, tmp_path, FLOOD_MESSAGES_PER_MINUTE="1000", FLOOD_BUTTONS_PER_MINUTE="1000")
    loop = asyncio.get_running_loop()
    staff_chats = {OPERATOR_CHAT, desk.crisis.id}
    users = iter(range(70_000, 80_000))

    async def run(consented: bool, actions: list[tuple]) -> None:
        user = fake.user(next(users), "Фаззи", language_code=random.choice(["ru", "en", "uk", None]))
        if consented:
            await onboard(user)
        log_from, calls_from, violations_from = len(desk.bot.log()), fake.mark(), len(fake.violations)
        first_update = fake.world.next_update_id
        last_text = None
        for kind, *args in actions:
            if kind == "text":
                last_text = user.send_text(args[0])
            elif kind == "media":
                media, caption = args
                if media in ("photo", "video", "voice", "audio", "document"):
                    getattr(user, f"send_{media}")(caption=caption)
                else:
                    getattr(user, f"send_{media}")()
            elif kind == "album":
                user.send_album(args[0])
            elif kind == "press":
                with_buttons = [m for m in user.messages() if buttons(m)]
                if with_buttons:
                    msg = with_buttons[-1]
                    options = [b for b in buttons(msg) if "callback_data" in b]
                    if options:
                        user.press(msg, options[args[0] % len(options)]["callback_data"])
            elif kind == "forge":
                target = user.last_message() or user.send_text("/start")
                user.press(target, args[0], forge=True)
            elif kind == "edit" and last_text is not None:
                user.edit(last_text, args[0])
            await asyncio.sleep(0.02)
        sent = range(first_update, fake.world.next_update_id)
        try:
            await fake.wait_for(lambda: all(f'"update_id": {u},' in desk.bot.log() for u in sent), 40)
        except TimeoutError:
            missing = [u for u in sent if f'"update_id": {u},' not in desk.bot.log()]
            raise AssertionError(f"updates never handled: {missing}") from None
        await asyncio.sleep(0.3)  # replies sent after the log line (none expected, but let them land)
        log = desk.bot.log()[log_from:]
        assert "Traceback" not in log, log[log.index("Traceback") :][:4000]
        assert " failed: " not in log, log
        assert fake.violations[violations_from:] == []
        for call in fake.calls[calls_from:]:
            chat = call.params.get("chat_id")
            if chat is None or call.method == "getUpdates":
                continue
            assert int(chat) in staff_chats or int(chat) == user.id, (call.method, chat, user.id)

    consented_st, actions_st = _strategies()

    @settings(max_examples=30, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(consented=consented_st, actions=actions_st)
    def prop(consented: bool, actions: list[tuple]) -> None:
        asyncio.run_coroutine_threadsafe(run(consented, actions), loop).result(timeout=180)

    try:
        await asyncio.to_thread(prop)
    finally:
        await stop(desk.bot)
