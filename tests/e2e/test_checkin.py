"""«Как дела у семьи?» (the wellbeing check-in), end to end: the real bot process and the fake Bot API.

A family answers one-tap questions and sees its own picture with help that fits; a danger answer goes the crisis
way at once; a repeat shows what changed; the opt-in reminder arrives when its date has passed (the test moves
the date into the past, as other tests move a broadcast's) and stops when switched off; the card of the family's
request shows the answers only with the family's agreement; /mydata has them and /forget removes them. The
coordinators' monitoring report counts families by region and period with no cell under 5 families.
"""

from __future__ import annotations

import json

from bot.config import ROOT
from bot.services import checkin as ck
from tests.e2e.conftest import OPERATOR_CHAT
from tests.e2e.flows import db_rows, db_wait, labels, onboard, screen, tap
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
