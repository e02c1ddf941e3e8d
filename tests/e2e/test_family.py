"""The family journey, end to end, as a family sees it in Telegram."""

from __future__ import annotations

import json

import pytest

from bot.config import ROOT
from bot.services.content import load_content
from tests.e2e.conftest import OPERATOR_CHAT
from tests.e2e.flows import db_rows, db_wait, labels, onboard, screen, tap

# --- first contact and consent -------------------------------------------------------------------


async def test_not_now_keeps_information_and_stores_nothing(bot, fake, new_user):
    anna = new_user()
    anna.send_text("/start")
    greeting = await screen(anna, "Семейное окно")
    assert "бесплатно" in greeting["text"] and "112" in greeting["text"]
    tap(anna, "Продолжить")
    consent = await screen(anna, "согласны")
    assert labels(consent)[:2] == ["Согласен(на)", "Не сейчас"]
    tap(anna, "Подробнее о данных")
    notice = await screen(anna, "/forget")
    assert "/mydata" in notice["text"]
    tap(anna, "Не сейчас")
    menu = await screen(anna, "Чем мы можем помочь")
    assert "Что случилось" in labels(menu) and "Срочная помощь" in labels(menu)
    tap(anna, "Срочная помощь")
    urgent = await screen(anna, "8-800-2000-122")
    assert "112" in urgent["text"]
    tap(anna, "« Меню")
    await screen(anna, "Чем мы можем помочь")
    tap(anna, "Поговорить со специалистом")
    await screen(anna, "нужно согласие")
    assert db_rows(bot, "SELECT count(*) FROM families") == [(0,)]
    assert db_rows(bot, "SELECT count(*) FROM cases") == [(0,)]


async def test_consent_region_and_profile_are_stored_once(bot, fake, new_user):
    anna = new_user()
    await onboard(anna, "Свердловская область", menu=False)
    tap(anna, "Рассказать о семье")
    await screen(anna, "Сколько детей")
    tap(anna, "3")
    await screen(anna, "Ребёнок 1: год рождения")
    tap(anna, "2024")
    await screen(anna, "Ребёнок 2: год рождения")
    tap(anna, "Пропустить")
    await screen(anna, "Ребёнок 3: год рождения")
    tap(anna, "2012")
    await screen(anna, "ждёт ребёнка")
    tap(anna, "Нет")
    await screen(anna, "инвалидностью")
    tap(anna, "Да")
    await screen(anna, "в одиночку")
    tap(anna, "Пропустить")
    await screen(anna, "многодетной")
    tap(anna, "Да")
    await screen(anna, "опекун")
    tap(anna, "Нет")
    await screen(anna, "прожиточного минимума")
    tap(anna, "Пропустить")
    await screen(anna, "служит в армии")
    tap(anna, "Нет")
    summary = await screen(anna, "профиль сохранён")
    assert "Дети: 3" in summary["text"]
    [(region, profile, consent_at, version)] = await db_wait(
        fake,
        bot,
        "SELECT region, profile, consent_at, consent_version FROM families WHERE tg_user_id = ?",
        anna.id,
        until=lambda rows: "military" in rows[0][1],
    )
    assert region == "RU-SVE" and consent_at and version
    assert json.loads(profile) == {
        "children_count": 3,
        "children_birth_years": [2024, None, 2012],
        "pregnant": False,
        "child_disability": True,
        "large_family": True,
        "guardian": False,
        "military": False,
    }
    # editing one answer later changes only that answer
    tap(anna, "Беременность")
    await screen(anna, "ждёт ребёнка")
    tap(anna, "Да")
    await screen(anna, "Беременность: да")
    [(profile,)] = await db_wait(
        fake,
        bot,
        "SELECT profile FROM families WHERE tg_user_id = ?",
        anna.id,
        until=lambda rows: json.loads(rows[0][0])["pregnant"],
    )
    assert json.loads(profile)["pregnant"] is True and json.loads(profile)["children_count"] == 3
    # a returning family is not asked again
    anna.send_text("/start")
    back = await screen(anna, "Рады видеть вас снова")
    assert "Что случилось" in labels(back)


async def test_region_change_is_one_tap_from_settings(bot, fake, new_user):
    anna = new_user()
    await onboard(anna, "Москва")
    tap(anna, "Настройки")
    await screen(anna, "Регион: Москва")
    tap(anna, "Регион")
    await screen(anna, "Выберите ваш регион")
    tap(anna, "Волгоградская область")
    await screen(anna, "Волгоградская область")
    await db_wait(
        fake,
        bot,
        "SELECT region FROM families WHERE tg_user_id = ?",
        anna.id,
        until=lambda rows: rows == [("RU-VGG",)],
    )


async def test_english_family_gets_english(bot, fake, new_user):
    john = new_user("en", "John")
    john.send_text("/start")
    await screen(john, "Family Window")
    tap(john, "Continue")
    consent = await screen(john, "Do you agree?")
    assert "Согласен" not in json.dumps(consent, ensure_ascii=False)
    tap(john, "I agree")
    await screen(john, "Which region")
    tap(john, "Penza Oblast")
    await screen(john, "Region: Penza Oblast")


# --- triage --------------------------------------------------------------------------------------

TREE = load_content(ROOT / "data").triage


def _walks():
    for steps, outcome in TREE.paths():
        yield [option.label.ru for _node, option in steps], outcome


async def test_every_triage_path_ends_in_its_outcome(bot, fake, new_user):
    walks = list(_walks())
    assert len(walks) >= 10
    for answers, outcome in walks:
        fam = new_user()
        await onboard(fam)
        tap(fam, "Что случилось")
        await screen(fam, "Несколько коротких вопросов")
        for label in answers:
            before = fam.last_message()["text"]
            tap(fam, label)
            await fake.wait_for(lambda f=fam, b=before: f.last_message()["text"] != b)
        final = fam.last_message()["text"]
        if outcome.is_emergency:
            assert "112" in final and "в безопасности" in final
        else:
            assert outcome.title.ru in final, (answers, final)
        rows = await db_wait(
            fake,
            bot,
            "SELECT category, urgency, route, path FROM triage_results tr "
            "JOIN families f ON f.id = tr.family_id WHERE f.tg_user_id = ?",
            fam.id,
        )
        assert len(rows) == 1
        category, urgency, route, path = rows[0]
        assert (category, urgency, route) == (outcome.category, outcome.urgency, outcome.route.type)
        assert len(json.loads(path)) == len(answers)


async def test_triage_handoff_records_the_request_with_its_summary(bot, fake, new_user):
    walk = next((a, o) for a, o in _walks() if o.route.type == "consultant")
    anna = new_user()
    await onboard(anna)
    tap(anna, "Что случилось")
    await screen(anna, "Несколько коротких вопросов")
    for label in walk[0]:
        before = anna.last_message()["text"]
        tap(anna, label)
        await fake.wait_for(lambda b=before: anna.last_message()["text"] != b)
    tap(anna, "Передать мой запрос")
    saved = await screen(anna, "передано")
    assert "112" in saved["text"]
    [(tier, specialty, category, status, summary)] = await db_wait(
        fake, bot, "SELECT tier, specialty, category, status, summary FROM cases"
    )
    assert (tier, specialty, category, status) == (2, walk[1].route.specialty, walk[1].category, "new")
    assert len(json.loads(summary)["triage"]) == len(walk[0])


async def test_stale_and_forged_buttons_are_refused_politely(bot, fake, new_user):
    anna = new_user()
    await onboard(anna)
    tap(anna, "Что случилось")
    old = await screen(anna, "опасность")  # this screen keeps its buttons while a new walk starts below
    anna.send_text("/menu")
    await anna.wait_for_message("Чем мы можем помочь")
    tap(anna, "Что случилось")
    await screen(anna, "опасность")
    tap(anna, "Нет")
    await fake.wait_for(lambda: "опасность" not in anna.last_message()["text"])
    q2 = anna.last_message()
    # the first walk's button (a stale press) does not move the current walk
    stale = anna.press(old, "tri:safety:no")
    call = await fake.wait_for_call("answerCallbackQuery", lambda c: c.params["callback_query_id"] == stale)
    assert "прошлого экрана" in call.params["text"]
    assert anna.last_message()["text"] == q2["text"]
    for forged in [
        "tri:nope:nope",
        "nav:../../etc",
        "region:RU-XXX",
        "prof:children_count:99:w:0",
        "garbage",
        "spec:judge",
        "lang:de",
        "set:nope",
        "dir:weapons",
    ]:
        qid = anna.press(q2, forged, forge=True)
        await fake.wait_for_call("answerCallbackQuery", lambda c, q=qid: c.params["callback_query_id"] == q)
    assert db_rows(bot, "SELECT count(*) FROM cases") == [(0,)]


# --- the crisis path -------------------------------------------------------------------------------


async def test_danger_before_consent_gets_emergency_contacts(bot, fake, new_user):
    teen = new_user()
    teen.send_text("мама опять пьяная и отчим бьет меня по голове я боюсь идти домой")
    reply = await teen.wait_for_message("112")
    assert "8-800-2000-122" in reply["text"]
    assert "Вы сейчас в безопасности?" in reply["text"]
    assert labels(reply) == ["Да, я в безопасности", "Нет", "Связаться с кризисным центром"]
    tap(teen, "Нет")
    await teen.wait_for_message("Позвоните 112 прямо сейчас")
    tap(teen, "Связаться с кризисным центром")
    await teen.wait_for_message("Вы согласны?")
    tap(teen, "Да, передать")
    done = await teen.wait_for_message("срочное обращение")
    assert "8-800-2000-122" in done["text"]
    [(tier, urgency, source)] = await db_wait(fake, bot, "SELECT tier, urgency, source FROM cases")
    assert (tier, urgency, source) == (3, "emergency", "crisis")
    [(family_id, categories)] = await db_wait(fake, bot, "SELECT family_id, categories FROM crisis_events")
    assert family_id is None  # recorded before consent: no link to the person
    assert "violence" in json.loads(categories)


async def test_danger_in_the_middle_of_a_flow_interrupts_it(bot, fake, new_user):
    anna = new_user()
    await onboard(anna)
    tap(anna, "Что случилось")
    await screen(anna, "опасность")
    anna.send_text("не хочу больше жить, устала от всего")
    reply = await anna.wait_for_message("112")
    assert "Вы сейчас в безопасности?" in reply["text"]
    [(family_id,)] = await db_wait(fake, bot, "SELECT family_id FROM crisis_events")
    assert family_id is not None


@pytest.mark.parametrize(
    "text",
    [
        "он бьёт все рекорды по прогулам",
        "как убить время в очереди в МФЦ",
        "муж меня не бьёт, просто вопрос про алименты",
    ],
)
async def test_benign_words_do_not_raise_an_alarm(bot, fake, new_user, text):
    anna = new_user()
    anna.send_text(text)
    reply = await anna.wait_for_message()
    assert "Вы сейчас в безопасности?" not in reply["text"]
    assert db_rows(bot, "SELECT count(*) FROM crisis_events") == [(0,)]


# --- discreet mode -----------------------------------------------------------------------------------


async def test_discreet_mode_neutral_texts_and_hide(bot, fake, new_user):
    anna = new_user()
    await onboard(anna)
    tap(anna, "Настройки")
    await screen(anna, "Скрытый режим: выключен")
    tap(anna, "Скрытый режим")
    explained = await screen(anna, "очистить чат")
    assert "Также удалить для бота" in explained["text"]
    tap(anna, "Включить")
    menu = await screen(anna, "Меню. Выберите раздел.")
    assert "Скрыть" in labels(menu)
    anna.send_text("он меня избил вчера")
    reply = await anna.wait_for_message("112")
    assert reply["text"].startswith("Полезные номера")
    assert "волнуемся" not in reply["text"]
    menu_msg = next(m for m in anna.messages() if "Скрыть" in labels(m))
    anna.press(menu_msg, "nav:hide")
    await anna.wait_for_message("Меню закрыто")
    assert all(m["message_id"] != menu_msg["message_id"] for m in anna.messages())


# --- directory ---------------------------------------------------------------------------------------------


async def test_contacts_by_kind_of_help(bot, fake, new_user):
    anna = new_user()
    await onboard(anna, "Москва")
    tap(anna, "Контакты")
    kinds = await screen(anna, "Какая помощь вам нужна")
    assert "Психологическая помощь" in labels(kinds)
    tap(anna, "Психологическая помощь")
    shown = await screen(anna, "Психологическая помощь")
    assert "051" in shown["text"]  # Moscow's own psychological line comes first
    assert shown["text"].index("051") < shown["text"].index("8-800")


# --- bad input -----------------------------------------------------------------------------------------------


async def test_every_kind_of_unexpected_input_gets_a_polite_answer(bot, fake, new_user):
    """Before consent nothing is relayed, so every kind of input gets its own polite answer."""
    anna = new_user()
    anna.send_text("/start")
    await screen(anna, "Семейное окно")
    tap(anna, "Продолжить")
    await screen(anna, "согласны")
    tap(anna, "Не сейчас")
    await screen(anna, "Чем мы можем помочь")
    anna.send_sticker()
    assert "текст" in (await anna.wait_for_message())["text"]
    anna.send_voice()
    assert "Голосовые" in (await anna.wait_for_message())["text"]
    anna.send_photo()
    assert "файл" in (await anna.wait_for_message())["text"]
    anna.send_document()
    assert "файл" in (await anna.wait_for_message())["text"]
    anna.send_location(55.75, 37.61)  # a location: the nearest places, and the location is not kept
    assert "Ближайшие места" in (await anna.wait_for_message("не сохранено"))["text"]
    anna.send_text("а" * 10_000)
    long_reply = await anna.wait_for_message()
    assert len(long_reply["text"]) < 1000
    anna.send_text("/nonsense")
    assert "Такой команды мы не знаем" in (await anna.wait_for_message())["text"]
    # a command in the middle of a flow, and /start mid-flow, restart cleanly
    tap(anna, "Что случилось")
    await screen(anna, "опасность")
    anna.send_text("просто текст вместо кнопки")
    assert "ответьте кнопками" in (await anna.wait_for_message())["text"]
    anna.send_text("/start")
    await anna.wait_for_message("Семейное окно")
    anna.send_text("просто текст")
    assert "Не уверены, что правильно вас поняли" in (await anna.wait_for_message())["text"]
    assert db_rows(bot, "SELECT count(*) FROM cases") == [(0,)]
    assert "Traceback" not in bot.log()


async def test_a_consented_familys_voice_message_opens_a_request(bot, fake, new_user):
    """After consent a voice message (or a file) is a question for a person: it opens a request."""
    anna = new_user()
    await onboard(anna)
    anna.send_sticker()  # a sticker alone is not a request
    assert "текст" in (await anna.wait_for_message())["text"]
    anna.send_voice()
    opened = await anna.wait_for_message("передано")
    assert (
        "передано социальному консультанту" in opened["text"] and "Ваше место в очереди: 1." in opened["text"]
    )
    [(source, status)] = await db_wait(fake, bot, "SELECT source, status FROM cases")
    assert source == "message" and status == "new"
    ops = fake.group(OPERATOR_CHAT)
    await fake.wait_for(lambda: any("voice" in m for m in ops.messages(from_bot=True)), 10)


# --- the family's own data ---------------------------------------------------------------------------------


async def test_mydata_and_forget(bot, fake):
    anna = fake.user(987_654_321, "Анна", language_code="ru")  # an id no counter or timestamp contains
    anna.send_text("/mydata")
    assert "ничего" in (await anna.wait_for_message())["text"]
    await onboard(anna, "Москва")
    tap(anna, "Поговорить со специалистом")
    await screen(anna, "С кем вы хотели бы поговорить")
    tap(anna, "Юрист")
    await screen(anna, "передано юристу")
    tap(anna, "« Меню")
    await screen(anna, "Чем мы можем помочь")
    tap(anna, "Настройки")
    await screen(anna, "Скрытый режим")
    tap(anna, "Язык")
    await screen(anna, "Выберите язык")
    tap(anna, "English")  # a consented family: the language is saved in the database
    await screen(anna, "How can we help")
    anna.send_text("/mydata")
    doc = await anna.wait_for_message(lambda m: "document" in m)
    assert doc["document"]["file_name"] == "my-data.json"
    data = json.loads(fake.world.files[doc["document"]["file_id"]].content)
    assert data["region"] == "RU-MOW" and data["language"] == "en" and len(data["requests"]) == 1
    await anna.wait_for_message("What we keep about you")
    anna.send_text("/forget")
    confirm = await anna.wait_for_message("Erase your data?")
    assert labels(confirm) == ["Yes, erase", "No, keep"]
    tap(anna, "Yes, erase")
    await screen(anna, "Your data is erased")
    await db_wait(fake, bot, "SELECT count(*) FROM families", until=lambda rows: rows == [(0,)])
    # nothing that identifies her is left in any table
    for table, row in bot.all_rows():
        assert str(anna.id) not in json.dumps(row, default=str), (table, row)
    assert db_rows(bot, "SELECT family_id FROM cases") == [(None,)]
    assert [json.loads(s) for (s,) in db_rows(bot, "SELECT summary FROM cases")] == [{}]


async def test_an_album_gets_one_answer_and_an_edit_is_checked_for_danger(bot, fake, new_user):
    anna = new_user()
    await onboard(anna)
    anna.send_album(3)
    await anna.wait_for_message("передано")
    anna.send_text("просто спросить")  # goes into the request: the specialist answers, not the bot
    first = anna.send_text("у нас всё нормально")
    ops = fake.group(OPERATOR_CHAT)
    await fake.wait_for(
        lambda: any("нормально" in (m.get("text") or "") for m in ops.messages(from_bot=True)), 10
    )
    assert len([m for m in ops.messages(from_bot=True) if m.get("media_group_id")]) == 3
    assert sum("передано" in (m.get("text") or "") for m in anna.messages()) == 1
    anna.edit(first, "у нас всё нормально, только муж вчера избил")
    reply = await anna.wait_for_message("112")
    assert "Вы сейчас в безопасности?" in reply["text"]
