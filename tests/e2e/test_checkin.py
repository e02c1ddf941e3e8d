"""«Как дела у семьи?» (the wellbeing check-in), end to end: the real bot process and the fake Bot API.

A family answers one-tap questions and sees its own picture with help that fits; a danger answer goes the crisis
way at once; a repeat shows what changed; the opt-in reminder arrives when its date has passed (the test moves
the date into the past, as other tests move a broadcast's) and stops when switched off; the card of the family's
request shows the answers only with the family's agreement; /mydata has them and /forget removes them. The
coordinators' monitoring report counts families by region and period with no cell under 5 families.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

from bot.config import ROOT
from bot.services import checkin as ck
from tests.e2e.conftest import OPERATOR_CHAT
from tests.e2e.flows import as_utc, db_rows, db_wait, labels, onboard, screen, tap
from tests.e2e.harness import BotProcess

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
    vera = new_user(first_name="Вера")
    await onboard(vera)
    await open_checkin(vera)
    await answer_until(vera, "food", "now")
    await vera.wait_for_message("112")
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

    # /mydata has the answers; /forget removes them (and the reminder)
    anna.send_text("/mydata")
    doc = await anna.wait_for_message(lambda m: "document" in m)
    data = json.loads(fake.world.files[doc["document"]["file_id"]].content)
    [exported] = data["wellbeing_checkin"]["checkins"]
    assert exported["answers"]["housing"] == "risk" and exported["hard_domains"] == ["housing"]
    assert exported["shown_to_specialist"] is True
    anna.send_text("/forget")
    await anna.wait_for_message("Удалить ваши данные?")
    tap(anna, "Да, удалить")
    await screen(anna, "удалены")
    await db_wait(
        fake,
        bot,
        "SELECT count(*) FROM wellbeing_checkins",
        until=lambda r: r == [(1,)],  # Boris's stays
    )
    assert runs(bot, anna) == [] and len(runs(bot, boris)) == 1
    assert "Traceback" not in bot.log()
    await bot.stop()
