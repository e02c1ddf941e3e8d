"""Danger in any wording and in every state, end to end: the bot process against the fake Telegram API."""

from __future__ import annotations

import asyncio
import json

from tests.e2e.flows import db_rows, db_wait, labels, onboard, screen, tap
from tests.e2e.test_desk import ask_lawyer, desk, text_of  # noqa: F401  (desk is a fixture)

SAFE_QUESTION = "Вы сейчас в безопасности?"
GENTLE = "Похоже, вам сейчас очень непросто"


async def test_one_word_of_violence_before_consent_gets_the_emergency_contacts(bot, fake, new_user):
    teen = new_user()
    teen.send_text("бьёт")
    reply = await teen.wait_for_message("112")
    assert "8-800-2000-122" in reply["text"] and SAFE_QUESTION in reply["text"]
    assert GENTLE not in reply["text"]  # a clear signal: the emergency reply, not the gentle check
    assert labels(reply) == ["Да, я в безопасности", "Нет", "Связаться с кризисным центром"]
    [(family_id, level, categories)] = await db_wait(
        fake, bot, "SELECT family_id, level, categories FROM crisis_events"
    )
    assert family_id is None and level == "clear" and json.loads(categories) == ["violence"]
    assert db_rows(bot, "SELECT count(*) FROM families") == [(0,)]


async def test_a_possible_signal_gets_a_gentle_safety_check_and_the_message_goes_on(bot, fake, new_user):
    anna = new_user()
    anna.send_text("Устала от всего, сил больше нет")
    check = await anna.wait_for_message(GENTLE)
    assert SAFE_QUESTION in check["text"] and "112" in check["text"] and "8-800-2000-122" in check["text"]
    assert "Да, я в безопасности" in labels(check)
    # the message is not swallowed: it is understood afterwards like any typed text (here: a clarifying question)
    await anna.wait_for_message("Не уверены, что правильно вас поняли")
    [(level, categories)] = await db_wait(fake, bot, "SELECT level, categories FROM crisis_events")
    assert level == "possible" and json.loads(categories) == ["suicide"]
    tap(anna, "Да, я в безопасности")  # the check itself turns into the answer (an edit)
    await fake.wait_for(lambda: any((m.get("text") or "").startswith("Хорошо") for m in anna.messages()), 5)


async def test_an_english_danger_message_gets_the_english_emergency_reply(bot, fake, new_user):
    john = new_user(language_code="en", first_name="John")
    john.send_text("my husband is hitting me again")
    reply = await john.wait_for_message("112")
    assert "Are you safe right now?" in reply["text"]
    [(level,)] = await db_wait(fake, bot, "SELECT level FROM crisis_events")
    assert level == "clear"


async def test_russian_typed_in_latin_letters_is_understood(bot, fake, new_user):
    anna = new_user()
    anna.send_text("muzh p'yanyy s nozhom")
    await anna.wait_for_message("112")
    assert (await db_wait(fake, bot, "SELECT level FROM crisis_events")) == [("clear",)]


async def test_a_hard_negative_raises_no_alarm(bot, fake, new_user):
    anna = new_user()
    await onboard(anna)
    anna.send_text("смотрели вчера фильм про маньяка, сын теперь боится засыпать, посоветуйте психолога")
    reply = await anna.wait_for_message()
    assert SAFE_QUESTION not in reply["text"] and GENTLE not in reply["text"]
    boris = new_user(first_name="Борис")  # before consent
    boris.send_text("умираю со смеху от вашего бота, а пособие по потере кормильца как оформить?")
    reply = await boris.wait_for_message()
    assert SAFE_QUESTION not in reply["text"] and GENTLE not in reply["text"]
    assert db_rows(bot, "SELECT count(*) FROM crisis_events") == [(0,)]


async def test_danger_inside_an_open_conversation_is_relayed_and_answered(desk):  # noqa: F811
    maria = desk.family()
    case_id = await ask_lawyer(desk, maria)
    thread = await desk.topic_of(case_id)
    maria.send_text("он опять пришёл пьяный с ножом")
    reply = await maria.wait_for_message("112")
    assert SAFE_QUESTION in reply["text"]
    # the specialist gets the family's words, the notice, and the card shows the signal with its evidence
    await desk.in_topic(thread, lambda m: "с ножом" in text_of(m) and "сигнал опасности" not in text_of(m))
    await desk.in_topic(thread, lambda m: "сигнал опасности" in text_of(m).lower())
    await desk.fake.wait_for(lambda: "Сигнал опасности (явный)" in desk.card(thread)["text"], 10)
    assert "ножом" in desk.card(thread)["text"]
    assert db_rows(desk.bot, "SELECT urgency FROM cases WHERE id = ?", case_id) == [("emergency",)]
    assert db_rows(desk.bot, "SELECT level FROM crisis_events") == [("clear",)]


async def test_a_possible_signal_inside_an_open_conversation_reaches_the_specialist(desk):  # noqa: F811
    maria = desk.family()
    case_id = await ask_lawyer(desk, maria)
    thread = await desk.topic_of(case_id)
    maria.send_text("мне страшно дома, он опять кричит")
    await maria.wait_for_message(GENTLE)
    await desk.in_topic(thread, lambda m: "страшно дома" in text_of(m) and "сигнал" not in text_of(m))
    await desk.in_topic(thread, lambda m: "возможный сигнал опасности" in text_of(m))
    await desk.fake.wait_for(lambda: "Сигнал опасности (возможный)" in desk.card(thread)["text"], 10)
    assert db_rows(desk.bot, "SELECT level FROM crisis_events") == [("possible",)]


async def test_danger_inside_a_flow_waiting_for_free_text(bot, fake, new_user):
    """In the measures section free text is a search: danger is answered first, and the section still works."""
    olga = new_user(first_name="Ольга")
    await onboard(olga)
    tap(olga, "Меры поддержки")
    await screen(olga, "Меры поддержки")
    olga.send_text("денег осталось на пару дней, продукты заканчиваются")  # possible: check, then the search
    await olga.wait_for_message(GENTLE)
    await olga.wait_for_message(lambda m: "нашлось" in text_of(m) or "ничего не нашли" in text_of(m))
    olga.send_text("муж пьяный с топором")  # clear: the emergency reply, no search
    reply = await olga.wait_for_message("112")
    assert SAFE_QUESTION in reply["text"] and GENTLE not in reply["text"]
    olga.send_text("маткапитал")  # the section still searches
    await olga.wait_for_message("Вот что нашлось")
    levels = [level for (level,) in db_rows(bot, "SELECT level FROM crisis_events ORDER BY id")]
    assert levels == ["possible", "clear"]


async def test_a_danger_message_in_a_crowd_is_answered_ahead_of_the_line(bot, fake, new_user):
    """The danger lane: forty families start the bot in the same instant and one more writes about violence
    last. Ordinary updates are admitted a few at a time in arrival order (bot/dispatcher.py); the danger message
    waits for none of them, so its emergency reply comes before most of the welcomes (an order, not a time)."""
    crowd = [new_user() for _ in range(40)]
    for family in crowd:
        family.send_text("/start")
    teen = new_user()
    teen.send_text("отчим бьёт меня по голове")
    seen: list[str] = []
    welcomed: set[int] = set()
    while len(welcomed) < len(crowd) or "danger" not in seen:
        for i, family in enumerate(crowd):
            if i not in welcomed and any("Семейное окно" in (m.get("text") or "") for m in family.messages()):
                welcomed.add(i)
                seen.append("welcome")
        if "danger" not in seen and any("112" in (m.get("text") or "") for m in teen.messages()):
            seen.append("danger")
        await asyncio.sleep(0.01)
    # without the lane it came after 37-38 of the 40; with the lane before half of them, and at exactly half at
    # times on two PostgreSQL instances once the ordinary path got faster (filters and SQLite on the event loop,
    # 2026-12-06: 1 run in 6): ahead of three quarters still tells the lane from no lane
    assert seen.index("danger") < len(crowd) * 3 // 4, (
        f"the emergency reply came after {seen.index('danger')} welcomes"
    )
