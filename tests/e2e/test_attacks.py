"""Attacks that once worked, end to end (issue «Trust gaps an attacker found»). Each test plays the attack against
the real bot process and the fake Bot API, and states what must hold instead; SECURITY.md lists them.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import shutil
from datetime import UTC, datetime, timedelta

import pytest
import yaml
from openpyxl import load_workbook

from bot.config import ROOT
from bot.db.models import FamilyCard
from tests.e2e.conftest import OPERATOR_CHAT
from tests.e2e.flows import buttons, db_rows, db_wait, screen, tap
from tests.e2e.harness import TOKEN, BotProcess, run_cli
from tests.e2e.test_desk import ask_lawyer, desk_env, start_desk, text_of
from tests.fake_telegram import FakeTelegram
from tests.fake_telegram.limits import Limits

COORD = 940_001
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


async def stop(proc) -> None:
    if proc.proc and proc.proc.poll() is None:
        await proc.stop()


def no_tracebacks(proc) -> None:
    log = proc.log()
    assert "Traceback" not in log, log[log.index("Traceback") - 2000 :][:6000]


def document_of(fake, user, suffix: str):
    async def wait() -> bytes:
        msg = await user.wait_for_message(
            lambda m: m.get("document", {}).get("file_name", "").endswith(suffix), timeout=20
        )
        return fake.world.files[msg["document"]["file_id"]].content

    return wait()


# --- 6. formulas in staff-written report cells --------------------------------------------------------------------


async def test_an_operators_formula_stays_text_in_every_export(fake, tmp_path):
    """Attack: an operator tags an unmet need `=HYPERLINK(…)` (and +, -, @ variants); the coordinators' XLSX and
    CSV reports, and the content export, must hold it as text (a leading apostrophe), never as a formula."""
    desk = await start_desk(fake, tmp_path, COORDINATOR_IDS=str(COORD))
    try:
        maria = desk.family()
        case_id = await ask_lawyer(desk, maria)
        thread = await desk.topic_of(case_id)
        needs = [
            '=HYPERLINK("http://evil.example/x","жильё")',
            "+1+cmd|' /C calc'!A0",
            "-2+3",
            "@SUM(1+1)*cmd",
        ]
        for need in needs:
            desk.olga.send_text_in(desk.ops, f"/unmet {need}", thread_id=thread)
        await db_wait(
            fake,
            desk.bot,
            "SELECT count(*) FROM audit_log WHERE action = 'case.unmet_need'",
            until=lambda r: r == [(len(needs),)],
        )
        coord = fake.user(COORD, "Марина")
        coord.send_text("/stats 2020-01-01 2099-12-31")
        xlsx = load_workbook(io.BytesIO(await document_of(fake, coord, ".xlsx")))
        cells = [
            c for ws in xlsx for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str)
        ]
        rows = list(csv.reader(io.StringIO((await document_of(fake, coord, ".csv")).decode("utf-8-sig"))))
        csv_cells = [c for row in rows for c in row]
        for got in (cells, csv_cells):
            live = [c for c in got if c.startswith(FORMULA_START)]
            assert not live, f"cells that a spreadsheet reads as formulas: {live}"
            for need in needs:
                assert "'" + need.lower()[:60] in got, (need, [c for c in got if "'" in c])
        # the content export escapes too (an organisation's note starting with «-»), and reads back unchanged
        data = tmp_path / "data"
        shutil.copytree(ROOT / "data", data)
        orgs_file = data / "organisations.yaml"
        orgs = yaml.safe_load(orgs_file.read_text(encoding="utf-8"))
        orgs["organisations"][0]["note"] = {"ru": "-без выходных", "en": "=1+1"}
        orgs_file.write_text(yaml.safe_dump(orgs, allow_unicode=True, sort_keys=False), encoding="utf-8")
        env = {**desk.bot.env, "DATA_DIR": str(data)}
        out = tmp_path / "orgs.csv"
        done = run_cli(env, "export", "organisations", "--format", "csv", "--out", str(out))
        assert done.returncode == 0, done.stderr
        exported = [c for row in csv.reader(io.StringIO(out.read_text(encoding="utf-8"))) for c in row]
        assert "'-без выходных" in exported and "'=1+1" in exported
        assert not [c for c in exported if c.startswith(FORMULA_START)]
        back = run_cli(env, "import", "organisations", str(out), "--dry-run")
        assert back.returncode == 0, back.stdout + back.stderr
        assert "0 changed" in back.stdout, back.stdout
        no_tracebacks(desk.bot)
    finally:
        await stop(desk.bot)


# --- 8. a shared contact undoes the pseudonym ---------------------------------------------------------------------


async def test_a_shared_contact_reaches_staff_as_a_phone_without_the_account(fake, tmp_path):
    """Attack: a family shares its own contact card inside its request; operators must get the phone number,
    never the family's Telegram id or first name (the pseudonym holds). Someone else's card keeps its name."""
    desk = await start_desk(fake, tmp_path)
    try:
        # a rare name and an id found nowhere else
        maria = fake.user(987_650_077, "Мариэтта", language_code="ru")
        case_id = await ask_lawyer(desk, maria)
        thread = await desk.topic_of(case_id)
        maria.send_contact("+79991234567")
        shared = await desk.in_topic(thread, lambda m: "contact" in m)
        assert shared["contact"]["phone_number"] == "+79991234567"
        assert "user_id" not in shared["contact"]
        assert "Мариэтта" not in json.dumps(shared, ensure_ascii=False)
        assert f"№ {case_id}" in shared["contact"]["first_name"] or "Семья" in shared["contact"]["first_name"]
        maria.send_contact("+79997654321", "Бабушка Зоя", own=False)
        other = await desk.in_topic(
            thread, lambda m: m.get("contact", {}).get("phone_number") == "+79997654321"
        )
        assert other["contact"]["first_name"] == "Бабушка Зоя" and "user_id" not in other["contact"]
        for m in desk.ops.messages(from_bot=True):
            dumped = json.dumps(m, ensure_ascii=False)
            assert str(maria.id) not in dumped and "Мариэтта" not in dumped, dumped
        # staff can answer the contact in the topic: the reply threading still works
        desk.olga.send_text_in(desk.ops, "Перезвоню", thread_id=thread, reply_to=shared)
        answer = await maria.wait_for_message("Перезвоню", 10)
        assert answer.get("reply_to_message", {}).get("contact", {}).get("phone_number") == "+79991234567"
        no_tracebacks(desk.bot)
    finally:
        await stop(desk.bot)


# --- 2. a one-time partner invitation redeemed by several people at once ------------------------------------------


async def test_a_one_time_invitation_admits_exactly_one_of_many_racing(fake, tmp_path):
    """Attack: five people open the same one-time partner link in the same moment (with two instances on
    PostgreSQL, spread over both). Exactly one becomes partner staff; the others are told the link is used."""
    desk = await start_desk(fake, tmp_path, COORDINATOR_IDS=str(COORD))
    try:
        coord = fake.user(COORD, "Марина")
        coord.send_text("/partner_new Книжный дом")
        invite = await coord.wait_for_message("Приглашение для сотрудника", 10)
        token = re.search(r"start=(partner_[A-Za-z0-9_-]+)", text_of(invite)).group(1)
        racers = [fake.user(960_000 + i, f"Гость {i}") for i in range(5)]
        for racer in racers:  # queued together: delivered in one batch (or at once to both instances)
            racer.send_text(f"/start {token}")
        answers = await asyncio.gather(
            *(
                r.wait_for_message(lambda m: "сотрудник" in text_of(m) or "не работает" in text_of(m), 15)
                for r in racers
            )
        )
        admitted = [r for r, a in zip(racers, answers, strict=True) if "Теперь вы сотрудник" in text_of(a)]
        assert len(admitted) == 1, [text_of(a)[:60] for a in answers]
        rows = await db_wait(fake, desk.bot, "SELECT tg_user_id FROM partner_members WHERE active = ?", True)
        assert rows == [(admitted[0].id,)]
        assert db_rows(desk.bot, "SELECT used_by FROM partner_invites") == [(admitted[0].id,)]
        # the ones turned away cannot check cards
        for loser in racers:
            if loser is not admitted[0]:
                loser.send_text("/partner")
                await loser.wait_for_message("для организаций-партнёров", 10)
        no_tracebacks(desk.bot)
    finally:
        await stop(desk.bot)


# --- 1. rights given by the settings outlive their removal -------------------------------------------------------

BOSS = 940_010


async def test_rights_from_the_settings_go_with_the_settings(fake, tmp_path):
    """Attack: an administrator from ADMIN_IDS acts once in the operators' group (a note, «Взять»), is then removed
    from the settings and the bot restarted. Every coordinator command and the desk must refuse them: acting in the
    group leaves a record that grants nothing, and /status says where each person's rights come from."""
    desk = await start_desk(fake, tmp_path, ADMIN_IDS=str(BOSS), COORDINATOR_IDS=str(COORD))
    boss = fake.user(BOSS, "Начальник")
    desk.ops.add_member(boss)
    maria = desk.family()
    case_id = await ask_lawyer(desk, maria)
    thread = await desk.topic_of(case_id)
    card = await desk.in_topic(thread, lambda m: "Обращение №" in text_of(m))
    boss.send_text_in(desk.ops, "! заметка начальника", thread_id=thread)
    boss.press(card, next(b["callback_data"] for b in buttons(card) if b["text"] == "Взять"))
    await db_wait(fake, desk.bot, "SELECT owner_id FROM cases WHERE id = ?", case_id, until=lambda r: r[0][0])
    boss.send_text("/status")
    status = await boss.wait_for_message("Кто и откуда", 10)
    assert f"ADMIN_IDS: {BOSS}" in text_of(status) and f"COORDINATOR_IDS: {COORD}" in text_of(status)
    await desk.bot.stop()

    # removed from ADMIN_IDS, restarted
    desk.bot = BotProcess(fake, tmp_path, **desk_env(COORDINATOR_IDS=str(COORD)))
    await desk.bot.start()
    try:
        for command in (
            "/stats",
            "/staff",
            "/audit case 1",
            "/broadcasts",
            "/broadcast",
            "/status",
            "/cards",
        ):
            boss.send_text(command)
            answer = await boss.wait_for_message(lambda m: True, 10)
            assert "только координатор" in text_of(answer) or "для координаторов" in text_of(answer), (
                command,
                text_of(answer)[:200],
            )
        boss.send_text_in(desk.ops, "я ещё здесь?", thread_id=thread)
        await desk.in_topic(thread, lambda m: "работают только сотрудники" in text_of(m))
        assert not [m for m in maria.messages() if "я ещё здесь" in text_of(m)]
        coord = fake.user(COORD, "Марина")
        coord.send_text("/status")
        status = await coord.wait_for_message("Кто и откуда", 10)
        assert str(BOSS) not in text_of(status) and "ADMIN_IDS: —" in text_of(status)
        # a record that grants nothing, and every way it came about audited
        assert db_rows(desk.bot, "SELECT role, active FROM staff WHERE tg_user_id = ?", BOSS) in (
            [("admin", False)],
            [("admin", 0)],
        )
        assert db_rows(desk.bot, "SELECT count(*) FROM audit_log WHERE action = 'staff.settings_record'") == [
            (1,)
        ]
        no_tracebacks(desk.bot)
    finally:
        await stop(desk.bot)


# --- 7. one malformed update stops polling for everyone ----------------------------------------------------------


async def test_an_unreadable_update_is_skipped_and_never_blocks_the_others(fake, tmp_path):
    """Attack: an update the Bot API types cannot read (a poll without the fields the specification marks
    required). Polling used to fail on the whole batch and ask for it again forever; now the update is logged,
    counted in /status and confirmed, and everyone, its sender included, is answered (webhook mode: 200)."""
    fake.forum_group(OPERATOR_CHAT, "Операторы")
    proc = BotProcess(fake, tmp_path, OPERATOR_CHAT_ID=str(OPERATOR_CHAT), COORDINATOR_IDS=str(COORD))
    await proc.start()
    try:
        anna, boris = fake.user(941_001, "Анна"), fake.user(941_002, "Борис")
        chat = fake.world.private_chat(anna.rec)
        broken = fake.world.add_message(chat, anna.rec, {"poll": {"id": "5001"}})  # no question, no options…
        fake.queue_malformed_update("message", fake.world.message_dict(broken))
        anna.send_text("/start")
        boris.send_text("/start")
        await anna.wait_for_message("Семейное окно", 15)
        await boris.wait_for_message("Семейное окно", 15)
        await fake.wait_for(lambda: "skipped an unreadable update" in proc.log(), 5)
        assert not [u for u in fake.world.updates if "poll" in u.get("message", {})], "confirmed to Telegram"
        coord = fake.user(COORD, "Марина")
        counts = []
        for _ in range(2):  # with two instances behind the balancer, one /status goes to each
            coord.send_text("/status")
            status = await coord.wait_for_message("Состояние сервиса", 10)
            counts.append(
                int(re.search(r"Нечитаемых обновлений пропущено[^:]*: (\d+)", text_of(status)).group(1))
            )
        assert (sum(counts) if len(proc.ports) > 1 else counts[0]) == 1, counts
        no_tracebacks(proc)
    finally:
        await stop(proc)


# --- 3. /forget leaves the family's words in the operators' topic ------------------------------------------------


async def test_forget_deletes_the_familys_words_from_the_topics_and_says_what_stayed(fake, tmp_path):
    """Attack: after /forget the topic still showed the family's question, its phone number, its contact card and
    its photo, while the note said the bot no longer keeps its messages; the revoked card number and the family's
    Telegram id inside a coordinator's «/audit person» record stayed in the database. Now the relayed messages are
    deleted from the topic, the note says how many were deleted and how many Telegram refused, and nothing in the
    database holds the family's id, texts or card number."""
    desk = await start_desk(fake, tmp_path, COORDINATOR_IDS=str(COORD))
    try:
        maria = fake.user(987_650_099, "Мария", language_code="ru")
        case_id = await ask_lawyer(desk, maria)
        thread = await desk.topic_of(case_id)
        [(family_id,)] = db_rows(desk.bot, "SELECT id FROM families WHERE tg_user_id = ?", maria.id)
        number = "4000123412341234"

        def add_card(s) -> None:
            now = datetime.now(UTC)
            s.add(
                FamilyCard(
                    number=number, family_id=family_id, region="RU-PNZ", valid_until=now + timedelta(days=9)
                )
            )

        desk.bot.orm(add_card)
        maria.send_text("Вопрос про алименты 5551212")
        maria.send_text("Мой телефон 89991112233")
        maria.send_photo(content=b"\x89PNG a photo of the family")
        maria.send_contact("+79991112233")
        maria.send_photo(content=b"\x89PNG a long story", caption="Длинная история " * 80)  # the rest follows
        words = ("5551212", "89991112233", "Длинная история")

        def family_words() -> list[dict]:
            return [
                m
                for m in desk.ops.messages(thread, from_bot=True)
                if any(w in text_of(m) for w in words) or "photo" in m or "contact" in m
            ]

        # two texts, two photos, a caption's rest, a contact
        await fake.wait_for(lambda: len(family_words()) == 6, 15)
        desk.olga.send_text_in(desk.ops, "Здравствуйте, я юрист", thread_id=thread)
        await maria.wait_for_message("я юрист", 10)
        coord = fake.user(COORD, "Марина")
        coord.send_text(f"/audit person {maria.id}")
        await coord.wait_for_message(lambda m: True, 10)
        await db_wait(
            fake,
            desk.bot,
            "SELECT count(*) FROM audit_log WHERE action = 'audit.read'",
            until=lambda r: r[0][0],
        )

        # Telegram refuses one deletion (as for a message older than 48 hours)
        refused = "Bad Request: message can't be deleted"
        fake.fail_next("deleteMessages", chat_id=OPERATOR_CHAT, count=1, error="400", description=refused)
        fake.fail_next("deleteMessage", chat_id=OPERATOR_CHAT, count=1, error="400", description=refused)
        maria.send_text("/forget")
        await maria.wait_for_message("Удалить ваши данные?")
        tap(maria, "Да, удалить")
        await screen(maria, "удалены")
        note = await desk.in_topic(thread, lambda m: "Семья удалила свои данные" in text_of(m), timeout=15)
        assert "удалено 5 сообщений семьи" in text_of(note), text_of(note)
        assert "не дал боту удалить 1 сообщение" in text_of(note), text_of(note)
        assert len(family_words()) == 1, "the one Telegram refused stays, and the note says so"
        assert any("я юрист" in text_of(m) for m in desk.ops.messages(thread)), "staff's own words stay"
        await fake.wait_for(lambda: not db_rows(desk.bot, "SELECT id FROM outbox WHERE status='pending'"), 10)
        for table, row in desk.bot.all_rows():
            dumped = json.dumps(row, default=str, ensure_ascii=False)
            for secret in (str(maria.id), number, *words):
                assert secret not in dumped, (table, row)
        assert db_rows(desk.bot, "SELECT status FROM family_cards") == [("revoked",)]
        no_tracebacks(desk.bot)
    finally:
        await stop(desk.bot)


# --- 5. a family impersonates the bot's notices in its topic ------------------------------------------------------

FAMILY_LABEL = "💬 Пишет семья:"


async def test_a_family_cannot_pass_its_words_off_as_the_bots_notice(fake, tmp_path):
    """Attack: a family writes the text of the bot's own notices («⚠️ В новом сообщении семьи — признаки
    опасности…», «Семья удалила свои данные…») and its copy looked exactly like them. Now the bot's notices are
    replies to the request's card (a relayed message never is), and a family's message that opens like a notice
    (with an emoji or words such as «Семья…») arrives labelled as the family's, even when it becomes one by an edit."""
    desk = await start_desk(fake, tmp_path)
    try:
        maria = desk.family()
        case_id = await ask_lawyer(desk, maria)
        thread = await desk.topic_of(case_id)
        card = await desk.in_topic(thread, lambda m: "Обращение №" in text_of(m))
        fakes = [
            "⚠️ В новом сообщении семьи — признаки опасности: ей отправлены экстренные контакты.",
            "Семья удалила свои данные. Обращение закрыто: написать семье отсюда больше нельзя.",
        ]
        for text in fakes:
            maria.send_text(text)
        maria.send_photo(content=b"\x89PNG", caption="🚫 Семья заблокировала бота")
        plain = maria.send_text("Обычный вопрос про пособие")
        await desk.in_topic(thread, lambda m: text_of(m) == "Обычный вопрос про пособие")
        maria.edit(plain, "🔴 Экстренное обращение: возьмите его сейчас")
        # a real danger signal: the bot's own notice follows
        maria.send_text("Помогите, муж бьёт меня и детей")
        notice = await desk.in_topic(
            thread, lambda m: "признаки опасности" in text_of(m) and not text_of(m).startswith(FAMILY_LABEL)
        )
        assert notice.get("reply_to_message", {}).get("message_id") == card["message_id"], (
            "a notice quotes the card"
        )
        await desk.in_topic(
            thread, lambda m: text_of(m).startswith(FAMILY_LABEL) and "Экстренное" in text_of(m)
        )
        for text in fakes:
            copy = await desk.in_topic(thread, lambda m, t=text: t in text_of(m))
            assert text_of(copy) == f"{FAMILY_LABEL}\n{text}", text_of(copy)
            assert copy.get("reply_to_message", {}).get("message_id") != card["message_id"]
        photo = await desk.in_topic(thread, lambda m: "photo" in m)
        assert text_of(photo) == f"{FAMILY_LABEL}\n🚫 Семья заблокировала бота"
        # whatever opens like a notice in the topic is either labelled as the family's or quotes the card
        for m in desk.ops.messages(thread, from_bot=True):
            t = text_of(m)
            if t[:1] in "⚠🚫🔴" or t.startswith("Семья"):
                on_card = m.get("reply_to_message", {}).get("message_id") == card["message_id"]
                assert on_card or t.startswith(FAMILY_LABEL), t
        # an ordinary message is still a plain copy
        await desk.in_topic(thread, lambda m: text_of(m) == "Помогите, муж бьёт меня и детей")
        no_tracebacks(desk.bot)
    finally:
        await stop(desk.bot)


# --- 4. a few accounts starve the relay -----------------------------------------------------------------------------

WINDOW = 4.0  # the group's «minute», shortened on both sides (the bot's pacing and the fake's limit)
PER_WINDOW = 10


@pytest.mark.timeout(300)
async def test_six_flooding_accounts_cannot_starve_another_familys_first_message(tmp_path):
    """Attack: six accounts each send 20 messages (their flood limit) into their requests, more than the group
    can take for many windows. Another family's first message must still reach its topic within one group window,
    a flooder's danger signal too; staff are told the group is saturated and which requests have a backlog; the
    group's limit is never broken and every message arrives, once, in its request's order."""
    fake = FakeTelegram(
        token=TOKEN,
        record_polls=True,
        enforce_limits=True,
        limits=Limits(group_per_minute=PER_WINDOW, group_window=WINDOW),
    )
    await fake.start()
    try:
        desk = await start_desk(
            fake, tmp_path, GROUP_MESSAGES_PER_WINDOW=str(PER_WINDOW), GROUP_WINDOW_SECONDS=str(WINDOW)
        )
        flooders = [desk.family() for _ in range(6)]
        cases = await asyncio.gather(*(ask_lawyer(desk, f) for f in flooders))
        threads = [await desk.topic_of(c, timeout=40) for c in cases]
        for thread in threads:
            await desk.in_topic(thread, lambda m: "Обращение №" in text_of(m), timeout=40)
        for k in range(20):
            for i, f in enumerate(flooders):
                f.send_text(f"поток {i}-{k:02d}")
        await db_wait(
            fake,
            desk.bot,
            "SELECT count(*) FROM outbox WHERE status = 'pending' AND target = 'staff'",
            until=lambda r: r[0][0] >= 60,
            timeout=30,  # 120 messages taken in on a loaded machine: 60 were pending just after 5 s in one CI run
        )
        anna = desk.family()
        anna_case = await ask_lawyer(desk, anna)  # her private chat is not held up by the group
        started = asyncio.get_running_loop().time()
        anna.send_text("Здравствуйте, нужна консультация юриста")
        anna_thread = await desk.topic_of(anna_case, timeout=30)
        await desk.in_topic(anna_thread, lambda m: "консультация юриста" in text_of(m), timeout=30)
        took = asyncio.get_running_loop().time() - started
        assert took <= WINDOW + 1.5, (
            f"the first message of a new request waited {took:.1f} s",
            db_rows(
                desk.bot, "SELECT id, kind, created_at, sent_at FROM outbox WHERE case_id = ?", anna_case
            ),
            db_rows(desk.bot, "SELECT max(id), max(sent_at), count(*) FROM outbox WHERE status = 'sent'"),
        )

        started = asyncio.get_running_loop().time()
        flooders[0].send_text("Помогите, муж бьёт меня и детей")
        await desk.in_topic(threads[0], lambda m: "муж бьёт" in text_of(m), timeout=30)
        took = asyncio.get_running_loop().time() - started
        assert took <= WINDOW + 1.5, f"a danger signal waited {took:.1f} s"
        assert db_rows(desk.bot, "SELECT count(*) FROM outbox WHERE status = 'pending'")[0][0] > PER_WINDOW

        general = [text_of(m) for m in desk.ops.messages(from_bot=True) if "Группа перегружена" in text_of(m)]
        assert len(general) == 1 and "operator_chat_id" in general[0], general
        collapsed = await desk.in_topic(threads[1], lambda m: "ждут ещё" in text_of(m), timeout=30)
        [show] = [b["callback_data"] for b in buttons(collapsed) if b["text"] == "Показать сейчас"]
        q = desk.petr.press(collapsed, show)  # a stranger in the group cannot spend its budget
        await fake.wait_for(lambda: desk.petr.callback_answer(q), 10)
        assert "только сотрудники" in desk.petr.callback_answer(q)["text"]

        def flood_of(i: int) -> list[str]:
            return [
                t for t in (text_of(m) for m in desk.ops.messages(threads[i])) if t.startswith(f"поток {i}-")
            ]

        # staff choose to read one family's backlog now: it comes ahead of the round robin
        q = desk.olga.press(collapsed, show)
        await fake.wait_for(lambda: desk.olga.callback_answer(q), 10)
        assert "следующим" in desk.olga.callback_answer(q)["text"]
        others = {i: len(flood_of(i)) for i in range(2, 6)}
        pending = "SELECT count(*) FROM outbox WHERE status = 'pending' AND case_id = ?"
        await fake.wait_for(lambda: db_rows(desk.bot, pending, cases[1]) == [(0,)], 60, interval=0.3)
        assert all(len(flood_of(i)) <= others[i] + 2 for i in others), (
            others,
            [len(flood_of(i)) for i in others],
        )

        await fake.wait_for(lambda: all(len(flood_of(i)) >= 3 for i in range(6)), 60, interval=0.5)
        for i in range(6):  # every family's turn comes; what arrived keeps its order, each once
            got = flood_of(i)
            assert got == sorted(got) and len(got) == len(set(got)), got
        assert fake.max_group_sends(OPERATOR_CHAT, window=WINDOW) <= PER_WINDOW
        assert fake.limiter.hits["group"] == 0, "the bot kept the group limit itself"
        no_tracebacks(desk.bot)
        await stop(desk.bot)
    finally:
        await fake.stop()
    assert fake.violations == []
