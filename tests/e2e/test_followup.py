"""Support-measure follow-up, end to end: some time after the results, one question «did you apply?»."""

from __future__ import annotations

import asyncio
import json

import pytest

from bot.config import ROOT
from bot.services import measures as ms
from tests.e2e.conftest import OPERATOR_CHAT
from tests.e2e.flows import buttons, db_rows, labels, onboard, screen, tap
from tests.e2e.harness import BotProcess

CATALOGUE = ms.load_catalogue(ROOT / "data")
AFTER_DAYS = 0.00003  # about 2.6 seconds
ASK_TIMEOUT = 15
QUESTION = "Как дела с мерами поддержки?"
DISCREET_QUESTION = "Короткий вопрос"
REFUSED = "Эта кнопка уже не работает."
ALREADY = "Ваш ответ у нас уже есть. Спасибо."


def followup_bot(fake, tmp_path) -> BotProcess:
    return BotProcess(
        fake,
        tmp_path,
        OPERATOR_CHAT_ID=str(OPERATOR_CHAT),
        FOLLOWUP_AFTER_DAYS=str(AFTER_DAYS),
        FOLLOWUP_SCAN_SECONDS="0.5",
    )


@pytest.fixture
async def fbot(fake, tmp_path):
    proc = await followup_bot(fake, tmp_path).start()
    yield proc
    if proc.proc and proc.proc.poll() is None:
        await proc.stop()


def datas(message) -> list[str]:
    return [b.get("callback_data", "") for b in buttons(message or {})]


async def see_results(user) -> None:
    """Open the screener and go straight to the results (the region alone gives «maybe» results)."""
    tap(user, "Меры поддержки")
    await screen(user, "маткапитал")
    tap(user, "Подобрать меры")
    await screen(user, "одно нажатие")
    tap(user, "Сразу к итогам")
    await screen(user, "Что мы нашли для вашей семьи")


def followups(bot, user) -> list[tuple]:
    return db_rows(
        bot,
        "SELECT f.id, f.status, f.measure_ids, f.sent_at, f.answer, f.reason FROM followups f "
        "JOIN families fam ON fam.id = f.family_id WHERE fam.tg_user_id = ? ORDER BY f.id",
        user.id,
    )


async def wait_rows(fake, bot, user, until, timeout: float = ASK_TIMEOUT) -> list[tuple]:
    try:
        return await fake.wait_for(lambda: (rows := followups(bot, user)) and until(rows) and rows, timeout)
    except TimeoutError:
        raise AssertionError(f"follow-ups never satisfied the check: {followups(bot, user)}") from None


def questions(user, text: str = QUESTION) -> list[dict]:
    """Every question message the family got (the question is edited into the answers, so look at history)."""
    return [m for m in user.messages() if any(text in (v.get("text") or "") for v in [*user.history(m), m])]


async def answer_of(fake, qid: str) -> str | None:
    call = await fake.wait_for_call("answerCallbackQuery", lambda c: c.params["callback_query_id"] == qid)
    return call.params.get("text")


async def test_asked_once_after_the_delay_even_across_restarts_and_the_answer_is_stored(
    fake, tmp_path, new_user
):
    bot = await followup_bot(fake, tmp_path).start()
    anna = new_user()
    await onboard(anna)
    await see_results(anna)
    [(fid, status, ids, sent_at, _a, _r)] = await wait_rows(fake, bot, anna, lambda rows: True)
    measure_ids = json.loads(ids)
    assert status == "pending" and sent_at is None and "matkapital" in measure_ids
    # the bot is down when the question falls due: it is asked after the start, from the database
    await bot.stop()
    await asyncio.sleep(AFTER_DAYS * 86400 + 0.5)
    assert questions(anna) == []
    await bot.start()
    question = await anna.wait_for_message(QUESTION, timeout=ASK_TIMEOUT)
    first_title = CATALOGUE.measures[measure_ids[0]].title.get("ru")
    assert first_title in question["text"]
    assert labels(question) == [
        "Да, получаем",
        "Подали, ждём ответа",
        "Нам отказали",
        "Не подавали",
        "Больше не напоминать",
    ]
    [(_, status, _, sent_at, _, _)] = followups(bot, anna)
    assert status == "sent" and sent_at is not None
    # another restart and several scans later: still exactly one question
    await bot.stop()
    await bot.start()
    await asyncio.sleep(2)
    assert len(questions(anna)) == 1
    assert len([c for c in fake.calls_of("sendMessage") if QUESTION in c.params.get("text", "")]) == 1

    tap(anna, "Не подавали")
    why = await screen(anna, "Что помешало?")
    assert labels(why)[:4] == ["Не знали, как оформить", "Сложно с документами", "Не было времени", "Другое"]
    tap(anna, "Не знали, как оформить")
    thanks = await screen(anna, "Вот как оформить")
    assert "Спасибо" in thanks["text"] and first_title in labels(thanks)
    await wait_rows(fake, bot, anna, lambda rows: rows[0][4:] == ("not_applied", "didnt_know_how"))
    [(_, status, _, _, _, _)] = followups(bot, anna)
    assert status == "answered"
    tap(anna, first_title)  # the measure's own «how to apply» screen
    await screen(anna, f"Как оформить: {first_title}")

    # old and forged buttons get a polite answer and change nothing
    msg = anna.last_message()
    for data, expected in [
        (f"fu:{fid}:got", ALREADY),
        (f"fur:{fid}:time", ALREADY),
        (f"fu:{fid}:maybe", REFUSED),
        (f"fur:{fid}:lazy", REFUSED),
        (f"fu:{fid + 1000}:got", REFUSED),
        (f"fu:{fid + 1000}:stop", REFUSED),
    ]:
        assert await answer_of(fake, anna.press(msg, data, forge=True)) == expected, data
    assert await answer_of(fake, anna.press(msg, "fu:x:got", forge=True)) == REFUSED
    # someone else cannot answer or stop for her
    boris = new_user(first_name="Борис")
    await onboard(boris)
    for data in (f"fu:{fid}:refused", f"fur:{fid}:other", f"fu:{fid}:stop"):
        assert await answer_of(fake, boris.press(boris.last_message(), data, forge=True)) == REFUSED, data
    assert followups(bot, anna)[0][4:] == ("not_applied", "didnt_know_how")
    assert db_rows(bot, "SELECT reminders_off FROM families WHERE tg_user_id = ?", anna.id) == [(0,)]
    assert "Traceback" not in bot.log()
    await bot.stop()


async def test_no_question_with_reminders_off_or_without_consent(fbot, fake, new_user):
    bot = fbot
    # reminders switched off in the settings before the results: nothing is even scheduled
    vera = new_user(first_name="Вера")
    await onboard(vera)
    tap(vera, "Настройки")
    await screen(vera, "Напоминания: включены")
    tap(vera, "Выключить напоминания")
    await screen(vera, "Напоминания: выключены")
    tap(vera, "« Меню")
    await screen(vera, "Чем мы можем помочь")
    await see_results(vera)
    # switched off after the results: the pending question is cancelled
    katya = new_user(first_name="Катя")
    await onboard(katya)
    await see_results(katya)
    await wait_rows(fake, bot, katya, lambda rows: rows[0][1] == "pending")
    tap(katya, "« Меню")
    await screen(katya, "Чем мы можем помочь")
    tap(katya, "Настройки")
    await screen(katya, "Напоминания: включены")
    tap(katya, "Выключить напоминания")
    await screen(katya, "Напоминания: выключены")
    await wait_rows(fake, bot, katya, lambda rows: rows[0][1] == "cancelled")
    # no consent: nothing stored at all
    olga = new_user(first_name="Ольга")
    olga.send_text("/start")
    await screen(olga, "Семейное окно")
    tap(olga, "Продолжить")
    await screen(olga, "согласны")
    tap(olga, "Не сейчас")
    await screen(olga, "Чем мы можем помочь")
    await see_results(olga)
    # the control: a family in discreet mode who saw results at the same time is asked, in neutral words
    anna = new_user()
    await onboard(anna)
    tap(anna, "Настройки")
    await screen(anna, "Скрытый режим: выключен")
    tap(anna, "Скрытый режим")
    await screen(anna, "очистить чат")
    tap(anna, "Включить")
    await screen(anna, "Меню. Выберите раздел.")
    await see_results(anna)
    question = await anna.wait_for_message(DISCREET_QUESTION, timeout=ASK_TIMEOUT)
    [(_, _, ids, _, _, _)] = followups(bot, anna)
    for measure_id in json.loads(ids):
        assert CATALOGUE.measures[measure_id].title.get("ru") not in question["text"]
    assert "мер" not in question["text"].lower() and "Скрыть" in labels(question)
    # one tap stops such reminders
    tap(anna, "Больше не напоминать")
    await screen(anna, "больше не будем присылать")
    await fake.wait_for(
        lambda: db_rows(bot, "SELECT reminders_off FROM families WHERE tg_user_id = ?", anna.id) == [(1,)], 5
    )

    await asyncio.sleep(AFTER_DAYS * 86400 + 1.5)  # everyone else's question would have been due by now
    for user in (vera, katya, olga):
        assert questions(user) == [] and questions(user, DISCREET_QUESTION) == [], user
    assert followups(bot, vera) == [] and followups(bot, olga) == []
    assert db_rows(bot, "SELECT count(*) FROM families WHERE tg_user_id = ?", olga.id) == [(0,)]
    assert [r[1] for r in followups(bot, katya)] == ["cancelled"]


async def test_a_blocked_family_closes_the_follow_up_and_nothing_breaks(fbot, fake, new_user):
    bot = fbot
    # Telegram answers 403 to the question itself
    petr = new_user(first_name="Пётр")
    await onboard(petr)
    await see_results(petr)
    fake.fail_next("sendMessage", chat_id=petr.id, error="403")
    # the family blocks the bot while the question waits
    ivan = new_user(first_name="Иван")
    await onboard(ivan)
    await see_results(ivan)
    ivan.block_bot()

    await wait_rows(fake, bot, petr, lambda rows: rows[0][1] == "closed")
    await wait_rows(fake, bot, ivan, lambda rows: rows[0][1] == "closed")
    for user in (petr, ivan):
        assert db_rows(bot, "SELECT is_active FROM families WHERE tg_user_id = ?", user.id) == [(0,)]
        assert questions(user) == []
        [(_, _, _, sent_at, answer, _)] = followups(bot, user)
        assert sent_at is None and answer is None
    # the bot goes on: the family comes back and is served; the closed question is never sent later
    ivan.unblock_bot()
    ivan.send_text("/menu")
    await ivan.wait_for_message("Чем мы можем помочь")
    await asyncio.sleep(1.5)
    assert questions(ivan) == [] and questions(petr) == []
    assert "Traceback" not in bot.log()
