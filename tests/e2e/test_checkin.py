"""«Как дела у семьи?» (the wellbeing check-in), end to end: the real bot process and the fake Bot API.

A family answers one-tap questions and sees its own picture with help that fits; a danger answer goes the crisis
way at once; a repeat shows what changed; the opt-in reminder arrives when its date has passed (the test moves
the date into the past, as other tests move a broadcast's) and stops when switched off; the card of the family's
request shows the answers only with the family's agreement; /mydata has them and /forget removes them. The
coordinators' monitoring report counts families by region and period with no cell under 5 families.
"""

from __future__ import annotations

import asyncio
import io
import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from bot.config import ROOT
from bot.db.models import Case, Family, WellbeingCheckin
from bot.services import checkin as ck
from tests.e2e.conftest import OPERATOR_CHAT
from tests.e2e.flows import as_utc, db_rows, db_wait, labels, onboard, screen, tap
from tests.e2e.harness import BotProcess, run_cli

INSTRUMENT = ck.load(ROOT / "data")
QUESTIONS = [q.text.get("ru") for q in INSTRUMENT.questions]
SKIP = "Не хочу отвечать"
COORD = 720_001


def checkin_bot(fake, tmp_path, **env: str) -> BotProcess:
    fake.forum_group(OPERATOR_CHAT, "Операторы")
    return BotProcess(
        fake,
        tmp_path,
        OPERATOR_CHAT_ID=str(OPERATOR_CHAT),
        WELLBEING_SCAN_SECONDS="0.5",
        COORDINATOR_IDS=str(COORD),
        **env,
    )


def option_label(question_id: str, option_id: str) -> str:
    option = INSTRUMENT.question(question_id).option(option_id)
    assert option is not None, (question_id, option_id)
    return option.text.get("ru")


async def answer_all(user, choices: dict[str, str]) -> dict:
    """Answer every question in order: the chosen option's label, or «не хочу отвечать» for the others."""
    for i, q in enumerate(INSTRUMENT.questions):
        await screen(user, f"Вопрос {i + 1} из {len(INSTRUMENT.questions)}")
        assert q.text.get("ru") in user.last_message()["text"]
        assert SKIP in labels(user.last_message()) and "« Меню" in labels(user.last_message())
        tap(user, option_label(q.id, choices[q.id]) if q.id in choices else SKIP)
    return await screen(user, "Картина вашей семьи")


async def open_checkin(user) -> None:
    tap(user, "Как дела у семьи?")
    await screen(user, "Это не проверка")
    tap(user, "Начать")


RUNS = (
    "SELECT w.id, w.status, w.answers, w.hard, w.shared FROM wellbeing_checkins w "
    "JOIN families f ON f.id = w.family_id WHERE f.tg_user_id = ? ORDER BY w.id"
)


def runs(bot, user) -> list[tuple]:
    return db_rows(bot, RUNS, user.id)


async def runs_when(fake, bot, user, until) -> list[tuple]:
    """The family's check-ins once they satisfy ``until`` (the bot commits after it answers)."""
    return await db_wait(fake, bot, RUNS, user.id, until=until)


async def new_menu(fake, user) -> None:
    """/menu, and wait for the new menu message (an older screen may show the menu too)."""
    before = len(user.messages())
    user.send_text("/menu")
    await fake.wait_for(lambda: len(user.messages()) > before, 5)
    await screen(user, "Чем мы можем помочь")


def domain(domain_id: str) -> str:
    return INSTRUMENT.domain(domain_id).title.get("ru")


async def test_a_family_sees_its_picture_with_matched_help_and_a_repeat_shows_the_change(
    fake, tmp_path, new_user
):
    bot = await checkin_bot(fake, tmp_path).start()
    anna = new_user()
    await onboard(anna)
    await open_checkin(anna)
    results = await answer_all(
        anna,
        {
            "money_enough": "no",
            "housing": "risk",
            "health": "fine",
            "mood": "fine",
            "children": "fine",
            "home": "calm",
            "safety": "no",
            "support": "yes",
            "work": "fine",
            "services": "yes",
        },
    )  # «food» skipped
    text = results["text"]
    assert f"Сейчас непросто: {domain('money')}, {domain('housing')}." in text
    for calm in ("health", "children", "home", "support", "services"):
        assert domain(calm) not in text
    assert "балл" not in text.lower() and "%" not in text  # no score that judges the family
    help_labels = labels(results)
    assert "Подобрать меры" in help_labels  # the support-measure screener
    assert "Поговорить: Социальный консультант" in help_labels and "Поговорить: Юрист" in help_labels
    assert "Пособия и выплаты" in help_labels  # a place in the directory (Пенза has a social navigator)
    [(run_id, status, answers, hard, shared)] = await runs_when(fake, bot, anna, lambda r: r[0][1] != "open")
    assert status == "done" and json.loads(hard) == ["money", "housing"] and shared == 0
    assert json.loads(answers)["food"] == "skip" and json.loads(answers)["money_enough"] == "no"

    # the directory button shows places of that kind for her region
    tap(anna, "Пособия и выплаты")
    places = await screen(anna, "Пособия и выплаты")
    assert "Пенз" in places["text"] or "СФР" in places["text"] or "Социальн" in places["text"]

    # old and forged buttons: a polite answer, nothing recorded
    msg = anna.last_message()
    for data in (
        f"wb:ans:{run_id}:0:0",
        f"wb:ans:{run_id + 50}:0:0",
        "wb:ans:x:0:0",
        f"wb:share:{run_id + 50}:0:0",
    ):
        qid = anna.press(msg, data, forge=True)
        call = await fake.wait_for_call(
            "answerCallbackQuery", lambda c, qid=qid: c.params["callback_query_id"] == qid
        )
        assert call.params.get("text") in ("Эта кнопка уже не работает.", "Этот вопрос с прошлого экрана."), (
            data
        )
    boris = new_user(first_name="Борис")
    await onboard(boris)
    qid = boris.press(boris.last_message(), f"wb:share:{run_id}:0:0", forge=True)
    call = await fake.wait_for_call("answerCallbackQuery", lambda c: c.params["callback_query_id"] == qid)
    assert call.params.get("text") == "Эта кнопка уже не работает."
    assert runs(bot, anna)[0][4] == 0

    # a repeat: housing got better, health got worse, money as before
    await new_menu(fake, anna)
    await open_checkin(anna)
    again = await answer_all(
        anna,
        {
            "money_enough": "tight",
            "housing": "fine",
            "health": "access",
            "mood": "fine",
            "children": "fine",
            "home": "calm",
            "safety": "no",
            "support": "yes",
            "work": "fine",
            "services": "yes",
        },
    )
    assert "С прошлого раза" in again["text"]
    assert f"• стало легче: {domain('housing')}" in again["text"]
    assert f"• стало труднее: {domain('health')}" in again["text"]
    assert domain("money") in again["text"].split("С прошлого раза")[0]  # still hard, said once above
    await runs_when(fake, bot, anna, lambda r: [x[1] for x in r] == ["done", "done"])
    assert "Traceback" not in bot.log()
    await bot.stop()


CALM = {
    "money_enough": "yes",
    "food": "never",
    "work": "fine",
    "housing": "fine",
    "health": "fine",
    "mood": "fine",
    "children": "fine",
    "home": "calm",
    "safety": "no",
    "support": "yes",
    "services": "yes",
}


async def answer_until(user, question_id: str, option_id: str) -> None:
    """Calm answers up to ``question_id``, then ``option_id`` there."""
    for i, q in enumerate(INSTRUMENT.questions):
        await screen(user, f"Вопрос {i + 1} из")
        if q.id == question_id:
            tap(user, option_label(q.id, option_id))
            return
        tap(user, option_label(q.id, CALM[q.id]))
    raise AssertionError(question_id)


async def test_a_danger_answer_goes_the_crisis_way_at_once(fake, tmp_path, new_user):
    bot = await checkin_bot(fake, tmp_path).start()
    anna = new_user()
    await onboard(anna)
    await open_checkin(anna)
    await answer_until(anna, "home", "scared")
    reply = await anna.wait_for_message("112")
    assert "Вы сейчас в безопасности?" in reply["text"]
    assert labels(reply) == ["Да, я в безопасности", "Нет", "Связаться с кризисным центром"]
    stopped = next(m for m in anna.messages() if "остановили вопросы" in (m.get("text") or ""))
    assert "Вопрос" not in stopped["text"] and SKIP not in labels(stopped)  # no further question is asked
    await db_wait(
        fake,
        bot,
        "SELECT categories, source FROM crisis_events",
        until=lambda r: r == [('["violence"]', "checkin")],
    )
    [(_id, status, answers, _hard, _shared)] = await runs_when(fake, bot, anna, lambda r: r[0][1] != "open")
    assert (
        status == "crisis" and json.loads(answers)["home"] == "scared" and "safety" not in json.loads(answers)
    )
    # the crisis reply's own buttons lead to the crisis centre, as after a danger word
    tap(anna, "Связаться с кризисным центром")
    await anna.wait_for_message("кризисный центр")
    await db_wait(fake, bot, "SELECT tier, urgency FROM cases", until=lambda r: r == [(3, "emergency")])

    # «no food right now» is a danger too; «it happened» is not (the control)
    boris = new_user(first_name="Борис")
    await onboard(boris)
    await open_checkin(boris)
    await answer_until(boris, "food", "sometimes")
    await screen(boris, "Вопрос 3 из")
    vera = new_user(first_name="Вера")  # she has an open request: its specialist learns of it at once
    await onboard(vera)
    tap(vera, "Поговорить со специалистом")
    await screen(vera, "С кем вы хотели бы поговорить")
    tap(vera, "Юрист")
    await screen(vera, "передано")
    [(vera_case, urgency)] = await db_wait(fake, bot, "SELECT id, urgency FROM cases WHERE tier = 2")
    assert urgency == "routine"
    tap(vera, "« Меню")
    await screen(vera, "Чем мы можем помочь")
    await open_checkin(vera)
    await answer_until(vera, "food", "now")
    await vera.wait_for_message("112")
    await db_wait(
        fake, bot, "SELECT urgency FROM cases WHERE id = ?", vera_case, until=lambda r: r == [("emergency",)]
    )
    ops = fake.group(OPERATOR_CHAT)
    await fake.wait_for(
        lambda: any(
            "Как дела у семьи" in (m.get("text") or "") and "⚠️" in (m.get("text") or "")
            for m in ops.messages(from_bot=True)
        ),
        10,
    )
    await db_wait(
        fake,
        bot,
        "SELECT categories FROM crisis_events ORDER BY id",
        until=lambda r: r == [('["violence"]',), ('["no_food"]',)],
    )
    assert not any("112" in (m.get("text") or "") for m in boris.messages())
    assert "Traceback" not in bot.log()
    await bot.stop()


REMINDER = "С прошлого раза прошло три месяца"
MOVE_CLOCK = "UPDATE wellbeing_reminders SET due_at = '2000-01-01 00:00:00.000000' WHERE family_id = ?"


def family_id(bot, user) -> int:
    return db_rows(bot, "SELECT id FROM families WHERE tg_user_id = ?", user.id)[0][0]


def reminders(user) -> list[dict]:
    return [
        m for m in user.messages() if any(REMINDER in (v.get("text") or "") for v in [*user.history(m), m])
    ]


async def test_reminders_arrive_when_due_and_stop_when_switched_off(fake, tmp_path, new_user):
    bot = await checkin_bot(fake, tmp_path).start()
    anna, boris = new_user(), new_user(first_name="Борис")
    for user in (anna, boris):
        await onboard(user)
        await open_checkin(user)
        results = await answer_all(user, CALM)
        assert "Напоминание раз в три месяца: выключено." in results["text"]
        tap(user, "Напомнить через 3 месяца")
        await screen(user, "Напоминание раз в три месяца: включено.")
    rows = await db_wait(
        fake,
        bot,
        "SELECT active, due_at, sent_at FROM wellbeing_reminders ORDER BY id",
        until=lambda r: len(r) == 2,
    )
    for active, due_at, sent_at in rows:
        assert active == 1 and sent_at is None
        assert timedelta(days=90) < as_utc(due_at) - datetime.now(UTC) < timedelta(days=92)
    await asyncio.sleep(1.5)  # several scans: nothing is due yet
    assert reminders(anna) == [] and reminders(boris) == []

    # three months later (the dates moved into the past): one reminder each, with a way in and a way out
    for user in (anna, boris):
        db_rows(bot, MOVE_CLOCK, family_id(bot, user))
    got = await anna.wait_for_message(REMINDER, timeout=10)
    assert labels(got) == ["Ответить", "Больше не напоминать"]
    await boris.wait_for_message(REMINDER, timeout=10)
    await asyncio.sleep(1.5)
    assert len(reminders(anna)) == 1 and len(reminders(boris)) == 1  # the next one is three months away
    [(due_at,)] = db_rows(
        bot, "SELECT due_at FROM wellbeing_reminders WHERE family_id = ?", family_id(bot, anna)
    )
    assert as_utc(due_at) - datetime.now(UTC) > timedelta(days=90)
    tap(boris, "Ответить")
    intro = await screen(boris, "Это не проверка")
    assert (
        "В прошлый раз вы отвечали" in intro["text"]
        and "Напоминание раз в три месяца: включено." in intro["text"]
    )

    # Anna switches them off from the reminder; Boris keeps them (the control)
    tap(anna, "Больше не напоминать")
    await screen(anna, "больше не будем напоминать")
    await db_wait(
        fake,
        bot,
        "SELECT active FROM wellbeing_reminders WHERE family_id = ?",
        family_id(bot, anna),
        until=lambda r: r == [(0,)],
    )
    for user in (anna, boris):
        db_rows(bot, MOVE_CLOCK, family_id(bot, user))
    await fake.wait_for(lambda: len(reminders(boris)) == 2, 10)
    await asyncio.sleep(1.5)
    assert len(reminders(anna)) == 1
    # a forged «stop» for someone else's reminder changes nothing
    boris_reminder = db_rows(
        bot, "SELECT id FROM wellbeing_reminders WHERE family_id = ?", family_id(bot, boris)
    )
    qid = anna.press(anna.last_message(), f"wb:stop:{boris_reminder[0][0]}:0:0", forge=True)
    call = await fake.wait_for_call("answerCallbackQuery", lambda c: c.params["callback_query_id"] == qid)
    assert call.params.get("text") == "Эта кнопка уже не работает."
    assert db_rows(
        bot, "SELECT active FROM wellbeing_reminders WHERE family_id = ?", family_id(bot, boris)
    ) == [(1,)]

    # a family in discreet mode gets neutral words: nothing on the lock screen says what it is about
    vera = new_user(first_name="Вера")
    await onboard(vera)
    tap(vera, "Настройки")
    await screen(vera, "Скрытый режим: выключен")
    tap(vera, "Скрытый режим")
    await screen(vera, "очистить чат")
    tap(vera, "Включить")
    await screen(vera, "Меню. Выберите раздел.")
    await open_checkin(vera)
    await answer_all(vera, CALM)
    tap(vera, "Напомнить через 3 месяца")
    await screen(vera, "Напоминание раз в три месяца: включено.")
    await db_wait(
        fake,
        bot,
        "SELECT active FROM wellbeing_reminders WHERE family_id = ?",
        family_id(bot, vera),
        until=lambda r: r == [(1,)],
    )
    db_rows(bot, MOVE_CLOCK, family_id(bot, vera))
    neutral = await vera.wait_for_message("Короткий вопрос от нас", timeout=10)
    assert "Как дела" not in neutral["text"] and "семь" not in neutral["text"]
    assert labels(neutral) == ["Открыть", "Больше не напоминать", "Скрыть"]
    assert "Traceback" not in bot.log()
    await bot.stop()


async def test_the_card_shows_the_answers_only_when_shared_and_forget_removes_them(fake, tmp_path, new_user):
    bot = await checkin_bot(fake, tmp_path).start()
    ops = fake.group(OPERATOR_CHAT)
    anna, boris = new_user(), new_user(first_name="Борис")
    hard_housing = {**CALM, "housing": "risk"}
    for user in (anna, boris):
        await onboard(user)
        await open_checkin(user)
        await answer_all(user, hard_housing)
    tap(anna, "Показать специалисту")
    await screen(anna, "Ответы видит специалист вашего обращения: да.")
    await runs_when(fake, bot, anna, lambda r: r[0][4] == 1)
    for user in (anna, boris):
        tap(user, "Поговорить: Юрист")
        await screen(user, "передано")

    def cards() -> list[str]:
        return [
            m.get("text") or "" for m in ops.messages(from_bot=True) if "Обращение №" in (m.get("text") or "")
        ]

    await fake.wait_for(lambda: len(cards()) == 2, 10)
    anna_case, boris_case = (
        db_rows(
            bot, "SELECT c.id FROM cases c JOIN families f ON f.id = c.family_id WHERE f.tg_user_id = ?", u.id
        )[0][0]
        for u in (anna, boris)
    )
    anna_card = next(c for c in cards() if f"Обращение № {anna_case}" in c)
    boris_card = next(c for c in cards() if f"Обращение № {boris_case}" in c)
    housing = INSTRUMENT.question("housing")
    assert "«Как дела у семьи?» от" in anna_card and f"Сейчас трудно: {domain('housing')}" in anna_card
    assert f"{housing.text.get('ru')} — {housing.option('risk').text.get('ru')}" in anna_card
    assert "Как дела у семьи" not in boris_card  # not shared: the specialist does not see it
    # Boris answers again and shares now: the card of his open request is redrawn with the answers
    await new_menu(fake, boris)
    await open_checkin(boris)
    await answer_all(boris, {**CALM, "support": "no"})
    tap(boris, "Показать специалисту")
    await screen(boris, "Ответы видит специалист вашего обращения: да.")
    support = INSTRUMENT.question("support")
    redrawn = await fake.wait_for(
        lambda: next(
            (c for c in cards() if f"Обращение № {boris_case}" in c and "Как дела у семьи" in c), None
        ),
        10,
    )
    assert f"{support.text.get('ru')} — {support.option('no').text.get('ru')}" in redrawn
    assert housing.text.get("ru") not in redrawn  # the latest answers, not the first ones

    # /mydata has the answers; /forget removes them (and the reminder)
    anna.send_text("/mydata")
    doc = await anna.wait_for_message(lambda m: "document" in m)
    data = json.loads(fake.world.files[doc["document"]["file_id"]].content)
    [exported] = data["wellbeing_checkin"]["checkins"]
    assert exported["answers"]["housing"] == "risk" and exported["hard_domains"] == ["housing"]
    assert exported["shown_to_specialist"] is True
    assert db_rows(bot, "SELECT count(*) FROM wellbeing_checkins") == [(3,)]
    anna.send_text("/forget")
    await anna.wait_for_message("Удалить ваши данные?")
    tap(anna, "Да, удалить")
    await screen(anna, "удалены")
    await db_wait(
        fake,
        bot,
        "SELECT count(*) FROM wellbeing_checkins",
        until=lambda r: r == [(2,)],  # Boris's stay
    )
    assert runs(bot, anna) == [] and len(runs(bot, boris)) == 2
    assert "Traceback" not in bot.log()
    await bot.stop()


# --- monitoring --------------------------------------------------------------------------------------------------

_seed_ids = iter(range(730_000, 740_000))


def seed_families(bot, region: str, answers: list[dict[str, str]], finished_at: datetime) -> None:
    """Families (as onboarding stores them) with one finished check-in each, as the bot stores it."""

    def add(s) -> None:
        for given in answers:
            family = Family(
                tg_user_id=next(_seed_ids),
                language="ru",
                region=region,
                consent_at=finished_at,
                consent_version="1.1",
                profile={},
                last_seen_at=datetime.now(UTC),
                created_at=finished_at,
            )
            s.add(family)
            s.flush()
            s.add(
                WellbeingCheckin(
                    family_id=family.id,
                    region=region,
                    version=INSTRUMENT.version,
                    status="done",
                    answers=given,
                    hard=ck.hard_domains(given, INSTRUMENT),
                    started_at=finished_at,
                    finished_at=finished_at,
                )
            )

    bot.orm(add)


def seed_unmet(bot, region: str, need: str, families: int, opened_at: datetime) -> None:
    def add(s) -> None:
        for _ in range(families):
            family = Family(tg_user_id=next(_seed_ids), language="ru", region=region, profile={})
            s.add(family)
            s.flush()
            s.add(
                Case(
                    family_id=family.id,
                    region=region,
                    tier=2,
                    category="housing",
                    urgency="routine",
                    status="closed",
                    opened_at=opened_at,
                    closed_at=opened_at,
                    unmet_needs=[need],
                )
            )

    bot.orm(add)


def sheet_rows(wb, title: str) -> list[tuple]:
    return [r for r in wb[title[:31]].iter_rows(min_row=4, values_only=True)]


async def test_monitoring_shows_shares_by_period_and_no_breakdown_under_5_families(fake, tmp_path):
    bot = checkin_bot(fake, tmp_path)
    run_cli(bot.env, "migrate").check_returncode()
    now = datetime.now(UTC) - timedelta(hours=2)
    before = now - timedelta(days=30)
    money_hard = {"money_enough": "no", "housing": "fine"}
    # Пенза: 6 families this period (5 find money hard), 5 the period before (all find money and housing hard)
    seed_families(bot, "RU-PNZ", [money_hard] * 5 + [{"money_enough": "yes", "housing": "fine"}], now)
    seed_families(bot, "RU-PNZ", [{"money_enough": "no", "housing": "risk"}] * 5, before)
    # Москва: 3 families, all with a danger-free but hard answer about home
    seed_families(bot, "RU-MOW", [{"home": "tense", "money_enough": "no"}] * 3, now)
    seed_unmet(bot, "RU-PNZ", "Нет юриста по жилью", 5, now)
    seed_unmet(bot, "RU-PNZ", "Нет няни", 2, now)  # fewer than 5 families: not shown
    await bot.start()
    coord = fake.user(COORD, "Марина", language_code="ru")
    today = datetime.now(ZoneInfo("Europe/Moscow")).date()
    first = today - timedelta(days=29)

    coord.send_text(f"/stats monitoring {first} {today} RU-PNZ")
    summary = (await coord.wait_for_message("Мониторинг «Как дела у семьи?»", timeout=15))["text"]
    assert "Ответили семей: 6" in summary and ": 5)" in summary  # this period and the previous one
    assert f"{domain('money')}: 83.3% (-16.7 п. п.)" in summary
    assert f"{domain('housing')}: 0% (-100 п. п.)" in summary
    assert f"{domain('home')}: скрыто" in summary  # nobody in Пенза answered about home: under 5
    assert "нет юриста по жилью: 5 · Неудовлетворённые" in summary and "няни" not in summary
    photo = await coord.wait_for_message(lambda m: "photo" in m, timeout=15)
    assert fake.world.files[photo["photo"][-1]["file_id"]].content.startswith(b"\x89PNG")
    doc = await coord.wait_for_message(lambda m: m.get("document", {}).get("file_name", "").endswith(".xlsx"))
    wb = load_workbook(io.BytesIO(fake.world.files[doc["document"]["file_id"]].content))
    domains = {r[0]: r[1:] for r in sheet_rows(wb, "Трудности по сферам")}
    assert domains[domain("money")] == (6, 83.3, 100, -16.7)
    assert domains[domain("home")] == ("<5", "<5", "<5", "<5")
    every_cell = " ".join(
        str(c) for ws in wb for row in ws.iter_rows(values_only=True) for c in row if c is not None
    )
    for (fid,) in db_rows(bot, "SELECT tg_user_id FROM families"):
        assert str(fid) not in every_cell

    # Москва: 3 families — no breakdown at all
    coord.send_text(f"/stats monitoring {first} {today} RU-MOW")
    mow = (await coord.wait_for_message(lambda m: "Москва" in (m.get("text") or ""), timeout=15))["text"]
    assert "Ответили семей: <5" in mow and "меньше 5 семей" in mow
    assert domain("home") not in mow and "%" not in mow
    doc = await coord.wait_for_message(
        lambda m: m.get("document", {}).get("file_name", "").endswith("_RU-MOW.xlsx"), timeout=15
    )
    wb = load_workbook(io.BytesIO(fake.world.files[doc["document"]["file_id"]].content))
    assert sheet_rows(wb, "Трудности по сферам") == []

    # all regions: Москва is merged into «other regions», itself under 5 and hidden
    coord.send_text(f"/stats monitoring {first} {today}")
    every = (await coord.wait_for_message(lambda m: "все регионы" in (m.get("text") or ""), timeout=15))[
        "text"
    ]
    assert "Пензенская область: 6" in every and "Остальные регионы вместе: <5" in every
    assert "Ответили семей: 9" in every

    # the CLI writes the same workbook
    out = tmp_path / "monitoring.xlsx"
    done = run_cli(
        bot.env,
        "report",
        "--monitoring",
        "--from",
        str(first),
        "--to",
        str(today),
        "--region",
        "RU-PNZ",
        "--out",
        str(out),
        "--chart",
    )
    assert done.returncode == 0, done.stderr
    cli = {r[0]: r[1:] for r in sheet_rows(load_workbook(out), "Трудности по сферам")}
    assert cli == domains
    assert out.with_suffix(".png").read_bytes().startswith(b"\x89PNG")
    assert "Traceback" not in bot.log()
    await bot.stop()


async def test_a_broadcast_invites_families_to_the_check_in(fake, tmp_path, new_user):
    bot = await checkin_bot(fake, tmp_path, BROADCAST_SCAN_SECONDS="0.2").start()
    anna = new_user()
    await onboard(anna)
    coord = fake.user(COORD, "Марина", language_code="ru")
    coord.send_text("/broadcast")
    await screen(coord, "Новая рассылка")
    coord.send_text("Расскажите, как у вас дела")
    draft = await screen(coord, "черновик")
    assert "Кнопка «Как дела у семьи?»: нет" in draft["text"]
    tap(coord, "Кнопка «Как дела у семьи?»")
    await screen(coord, "Кнопка «Как дела у семьи?»: да")
    tap(coord, "Отправить сейчас")
    await screen(coord, "сейчас — 1 семье")
    tap(coord, "Да, отправить")
    got = await anna.wait_for_message("Расскажите, как у вас дела", timeout=15)
    assert labels(got)[0] == "Как дела у семьи?"
    tap(anna, "Как дела у семьи?")
    await screen(anna, "Это не проверка")
    tap(anna, "Начать")
    await screen(anna, "Вопрос 1 из")
    assert "Traceback" not in bot.log()
    await bot.stop()


async def test_answers_are_kept_no_longer_than_their_retention_period(fake, tmp_path):
    bot = checkin_bot(fake, tmp_path, RETENTION_CHECKIN_DAYS="1", RETENTION_SCAN_SECONDS="0.5")
    run_cli(bot.env, "migrate").check_returncode()
    now = datetime.now(UTC)
    seed_families(bot, "RU-PNZ", [{"money_enough": "no"}], now - timedelta(days=2))  # past the period
    seed_families(bot, "RU-PNZ", [{"money_enough": "yes"}], now - timedelta(hours=12))  # within it
    assert len(db_rows(bot, "SELECT id FROM wellbeing_checkins")) == 2
    await bot.start()
    rows = await db_wait(fake, bot, "SELECT answers FROM wellbeing_checkins", until=lambda r: len(r) == 1)
    assert json.loads(rows[0][0]) == {"money_enough": "yes"}
    assert db_rows(bot, "SELECT count(*) FROM families") == [(2,)]  # the families themselves stay
    await bot.stop()
