"""Volunteers and material help («окна помощи»), end to end: the real bot, a coordinator, a volunteer and a family
in private chats with the fake Bot API."""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import re

import pytest
from openpyxl import load_workbook

from tests.e2e.flows import answer_of, bot_says, db_rows, db_wait, labels, onboard, screen, tap, text_of
from tests.e2e.harness import BotProcess

COORD = 940_001
_ids = itertools.count(950_000)


@pytest.fixture
async def aidbot(fake, tmp_path):
    proc = BotProcess(fake, tmp_path, COORDINATOR_IDS=str(COORD))
    await proc.start()
    yield proc
    if proc.proc and proc.proc.poll() is None:
        await proc.stop()


def person(fake, name: str, language_code: str = "ru"):
    return fake.user(next(_ids), name, language_code=language_code)


async def has_button(user, label: str) -> None:
    await user.fake.wait_for(lambda: label in labels(user.last_message() or {}), 5)


async def sign_up_volunteer(fake, coord, vol) -> int:
    """/volunteer → the volunteer's consent notice → region → city → skills → when; the coordinator approves."""
    vol.send_text("/volunteer")
    await screen(vol, "как мы храним данные волонтёров")
    tap(vol, "Согласен(на)")
    await screen(vol, "В каком регионе вы можете помогать")
    tap(vol, "Пензенская область")
    await screen(vol, "В каком городе")
    vol.send_text("Пенза")
    await screen(vol, "Чем вы можете помочь")
    tap(vol, "Возить на машине")
    await has_button(vol, "✓ Возить на машине")
    tap(vol, "Собирать и сортировать вещи")
    await has_button(vol, "✓ Собирать и сортировать вещи")
    tap(vol, "Дальше »")
    await screen(vol, "Когда вы можете помогать")
    vol.send_text("по выходным")
    await screen(vol, "Ваше предложение передано координаторам")
    [(vol_id, status, consent)] = await db_wait(
        fake, fake.bot_proc, "SELECT id, status, consent_version FROM volunteers WHERE tg_user_id = ?", vol.id
    )
    assert status == "applied" and consent
    note = await bot_says(coord, "Новый волонтёр предлагает помощь")
    assert "Пенза" in text_of(note) and "Возить на машине" in text_of(note) and "по выходным" in text_of(note)
    coord.press_button(note, "Одобрить")
    await bot_says(vol, "Ваше предложение помощи одобрено")
    await db_wait(
        fake,
        fake.bot_proc,
        "SELECT status FROM volunteers WHERE id = ?",
        vol_id,
        until=lambda rows: rows[0][0] == "approved",
    )
    audited = db_rows(
        fake.bot_proc,
        "SELECT actor_tg_id FROM audit_log WHERE action = 'volunteer.approved' AND object_id = ?",
        str(vol_id),
    )
    assert audited == [(COORD,)]
    return vol_id


async def ask_for_pram(fake, family) -> int:
    tap(family, "Вещи для семьи")
    await screen(family, "Что вам нужно")
    tap(family, "Коляска")
    await has_button(family, "✓ Коляска")
    tap(family, "Дальше »")
    await screen(family, "для кого и какие размеры")
    family.send_text("девочка 4 месяца, нужна прогулочная коляска")
    await screen(family, "В каком вы городе")
    tap(family, "Пенза")
    await screen(family, "Как скоро это нужно")
    tap(family, "В течение недели")
    summary = await screen(family, "Проверьте заявку")
    assert "Коляска" in text_of(summary) and "девочка 4 месяца" in text_of(summary)
    tap(family, "Отправить заявку")
    sent = await screen(family, "Заявка на вещи №")
    number = int(re.search(r"№ (\d+)", text_of(sent)).group(1))
    [(status, items, city, urgency)] = db_rows(
        fake.bot_proc, "SELECT status, items, city, urgency FROM aid_requests WHERE id = ?", number
    )
    assert (status, city, urgency) == ("new", "Пенза", "soon") and "pram" in str(items)
    return number


async def coordinator_opens_a_pram_request(fake, coord, anna) -> int:
    """The coordinator (whose chat exists) learns of a family's new pram request and opens its card from /aid."""
    await onboard(anna, "Пензенская область")
    number = await ask_for_pram(fake, anna)
    await bot_says(coord, f"Новая заявка на вещи № {number}")
    coord.send_text("/aid")
    listing = await bot_says(coord, "Вещевая помощь")
    coord.press_button(listing, f"№ {number}")
    await screen(coord, f"Вещевая помощь № {number}")
    return number


# --- the whole way ----------------------------------------------------------------------------------------------


async def test_volunteer_approved_and_pram_matched_family_sees_each_status_and_confirms(fake, aidbot):
    fake.bot_proc = aidbot
    coord = fake.user(COORD, "Елена")
    coord.send_text("/aid")
    await bot_says(coord, "Открытых заявок нет")

    vera = person(fake, "Вера")
    await sign_up_volunteer(fake, coord, vera)

    anna = person(fake, "Анна")
    await onboard(anna, "Пензенская область")
    number = await ask_for_pram(fake, anna)

    # the coordinators are told at once; the list shows it, by region and urgency
    note = await bot_says(coord, f"Новая заявка на вещи № {number}")
    assert "Коляска" in text_of(note) and "Пенза" in text_of(note)
    coord.send_text("/aid")
    listing = await bot_says(coord, "Вещевая помощь")
    assert f"№ {number} · Коляска · Пенза · получено" in text_of(listing)
    coord.press_button(listing, f"№ {number}")
    card = await screen(coord, f"Вещевая помощь № {number}")
    assert "девочка 4 месяца" in text_of(card) and "В течение недели" in text_of(card)
    tap(coord, "Взять в работу")
    await screen(coord, "координатор работает над заявкой")
    await bot_says(anna, f"Координатор взял вашу заявку на вещи № {number}")

    # matched with the volunteer: she accepts
    tap(coord, "Найти волонтёра")
    await screen(coord, f"Волонтёры для № {number}")
    tap(coord, "Назначить: Вера")
    offer = await bot_says(vera, "Координатор предлагает вам задание")
    assert "Коляска" in text_of(offer) and "девочка 4 месяца" in text_of(offer)
    [(task_id, task_status)] = db_rows(
        aidbot, "SELECT id, status FROM assignments WHERE kind = 'aid' AND target_id = ?", number
    )
    assert task_status == "offered"
    vera.press_button(offer, f"Беру #{task_id}")
    accepted = await bot_says(coord, f"задание #{task_id}")
    assert "принято" in text_of(accepted)

    # «собираем», then «можно забрать» at a collection point of the directory
    coord.press_button(accepted, "«Собираем»")
    await bot_says(anna, f"Собираем вещи по заявке № {number}")
    tap(coord, "Пункт выдачи")
    places = await screen(coord, "Выберите пункт")
    assert len(labels(places)) >= 3  # the region's humanitarian places, writing an address, back
    coord.press_button(places, labels(places)[0])
    ready = await bot_says(anna, f"Вещи по заявке № {number} готовы. Можно забрать:")
    assert "Пенза" in text_of(ready) or "ул." in text_of(ready)

    # nothing is lost across a restart: the family sees its open request in «Мои обращения»
    await aidbot.stop()
    await aidbot.start()
    anna.send_text("/menu")
    await screen(anna, "Чем мы можем помочь")
    tap(anna, "Мои обращения")
    mine = await screen(anna, f"Вещи № {number}")
    assert "Коляска · можно забрать" in text_of(mine) and "Где забрать:" in text_of(mine)

    # the volunteer marks the task done: the things are handed over, the family confirms
    vera.send_text("/tasks")
    tasks = await bot_says(vera, "Мои задания")
    assert f"Вещи № {number}" in text_of(tasks)
    vera.press_button(tasks, f"Готово #{task_id}")
    handed = await bot_says(anna, f"Вещи по заявке № {number} переданы. Вы их получили?")
    anna.press_button(handed, f"Получили № {number}")
    await screen(anna, f"Заявка № {number} выполнена")
    await bot_says(coord, f"Семья подтвердила, что получила вещи по № {number}")
    [(_status, closed_at, handed_at)] = await db_wait(
        fake,
        aidbot,
        "SELECT status, closed_at, handed_at FROM aid_requests WHERE id = ?",
        number,
        until=lambda rows: rows[0][0] == "closed",
    )
    assert closed_at and handed_at
    assert db_rows(aidbot, "SELECT status FROM assignments WHERE id = ?", task_id) == [("done",)]
    moves = [
        r[0]
        for r in db_rows(
            aidbot,
            "SELECT details FROM audit_log WHERE action = 'aid.status' AND object_id = ? ORDER BY id",
            str(number),
        )
    ]
    assert [re.search(r'"to": "(\w+)"', m).group(1) for m in moves] == [
        "collecting",
        "ready",
        "handed",
        "closed",
    ]

    # a closed request leaves «Мои обращения»; /stats counts it
    tap(anna, "« Меню")
    await screen(anna, "Чем мы можем помочь")
    tap(anna, "Мои обращения")
    await screen(anna, "Обращений пока нет")
    coord.send_text("/stats 2020-01-01 2100-01-01")
    report = await bot_says(coord, "Отчёт за", timeout=20)
    assert "Вещевая помощь: заявок 1 · получено 1 · не удалось 0 · открыто 0" in text_of(report)
    assert "Коляска: 1, не удалось 0" in text_of(report)
    doc = await coord.wait_for_message(
        lambda m: m.get("document", {}).get("file_name", "").endswith(".xlsx"), timeout=20
    )
    wb = load_workbook(io.BytesIO(fake.world.files[doc["document"]["file_id"]].content))
    kinds = [list(r) for r in wb["Вещевая помощь по видам вещей"].iter_rows(min_row=4, values_only=True)]
    assert kinds == [["Коляска", 1, 0]]
    regions = [list(r) for r in wb["Вещевая помощь по регионам"].iter_rows(min_row=4, values_only=True)]
    assert regions == [["Пензенская область", 1]]


# --- who may enter; stale and forged buttons --------------------------------------------------------------------


async def test_strangers_cannot_reach_coordinator_or_volunteer_screens(fake, aidbot):
    fake.bot_proc = aidbot
    coord = fake.user(COORD, "Елена")
    coord.send_text("/aid")
    await bot_says(coord, "Открытых заявок нет")
    anna = person(fake, "Анна")
    await onboard(anna, "Пензенская область")
    number = await ask_for_pram(fake, anna)
    await bot_says(coord, f"Новая заявка на вещи № {number}")

    stranger = person(fake, "Пётр")
    await onboard(stranger, "Пензенская область")
    for command in ("/aid", "/volunteers"):
        stranger.send_text(command)
        await bot_says(stranger, "только координаторам центра")
    stranger.send_text("/tasks")
    refusal = await bot_says(stranger, "только для волонтёров центра")
    for forged in (f"aidc:{number}:take:", f"aidc:{number}:handed:", "vd:1:approve:applied::", "vt:1:accept"):
        q = stranger.press(refusal, forged, forge=True)
        assert "только" in await answer_of(fake, stranger, q)
    assert db_rows(aidbot, "SELECT status, taken_by FROM aid_requests WHERE id = ?", number) == [
        ("new", None)
    ]

    # another family's request: its buttons do nothing for anyone else
    q = stranger.press(refusal, f"aid:got::{number}", forge=True)
    assert "не работает" in await answer_of(fake, stranger, q)
    q = stranger.press(refusal, f"aid:cancel::{number}", forge=True)
    assert "не работает" in await answer_of(fake, stranger, q)
    assert db_rows(aidbot, "SELECT status FROM aid_requests WHERE id = ?", number) == [("new",)]

    # someone who offered to help but is not approved yet has no «Мои задания»
    stranger.send_text("/volunteer")
    await screen(stranger, "как мы храним данные волонтёров")
    tap(stranger, "Согласен(на)")
    await screen(stranger, "В каком регионе")
    tap(stranger, "Пензенская область")
    await screen(stranger, "В каком городе")
    stranger.send_text("Заречный")
    await screen(stranger, "Чем вы можете помочь")
    tap(stranger, "Ремонт")
    await has_button(stranger, "✓ Ремонт")
    tap(stranger, "Дальше »")
    await screen(stranger, "Когда вы можете помогать")
    stranger.send_text("вечером")
    await screen(stranger, "передано координаторам")
    stranger.send_text("/tasks")
    await bot_says(stranger, "только для волонтёров центра")
    # the coordinator declines (audited); a forged approval afterwards changes nothing
    note = await bot_says(coord, "Новый волонтёр предлагает помощь")
    coord.press_button(note, "Отклонить")
    await bot_says(stranger, "Сейчас координаторы не могут её принять")
    q = coord.press(note, note["reply_markup"]["inline_keyboard"][0][0]["callback_data"], forge=True)
    assert "Уже решено" in await answer_of(fake, coord, q)
    [(status, decided_by)] = db_rows(
        aidbot, "SELECT status, decided_by FROM volunteers WHERE tg_user_id = ?", stranger.id
    )
    assert (status, decided_by) == ("declined", COORD)
    assert db_rows(aidbot, "SELECT count(*) FROM audit_log WHERE action = 'volunteer.declined'") == [(1,)]

    # the coordinator closes the request as not met: the family is told, /stats counts what could not be met
    coord.send_text("/aid")
    listing = await bot_says(coord, "Вещевая помощь")
    coord.press_button(listing, f"№ {number}")
    await screen(coord, f"Вещевая помощь № {number}")
    tap(coord, "Взять в работу")
    await has_button(coord, "Не удалось помочь")
    tap(coord, "Не удалось помочь")
    await screen(coord, "Почему не удалось помочь")
    tap(coord, "Пока нет подходящих вещей")
    await bot_says(anna, f"не получилось найти вещи по заявке № {number} (пока нет подходящих вещей)")
    coord.send_text("/stats 2020-01-01 2100-01-01")
    report = await bot_says(coord, "Отчёт за", timeout=20)
    assert "Вещевая помощь: заявок 1 · получено 0 · не удалось 1 · открыто 0" in text_of(report)
    assert "Коляска: 1, не удалось 1" in text_of(report)


# --- the crisis way; English -------------------------------------------------------------------------------------


async def test_a_danger_signal_in_the_request_goes_the_crisis_way(fake, aidbot):
    fake.bot_proc = aidbot
    anna = person(fake, "Анна")
    await onboard(anna, "Пензенская область")
    tap(anna, "Вещи для семьи")
    await screen(anna, "Что вам нужно")
    tap(anna, "Детская одежда")
    await has_button(anna, "Дальше »")
    tap(anna, "Дальше »")
    await screen(anna, "для кого и какие размеры")
    anna.send_text("муж бьёт, ушла с детьми, нужна одежда на 5 и 7 лет")
    crisis = await bot_says(anna, "112")
    assert "Вы сейчас в безопасности?" in text_of(crisis)
    await db_wait(
        fake,
        aidbot,
        "SELECT count(*) FROM crisis_events WHERE family_id IS NOT NULL",
        until=lambda rows: rows[0][0] == 1,
    )
    assert db_rows(aidbot, "SELECT count(*) FROM aid_requests") == [(0,)]

    # the crisis centre takes the family; a request for things then goes its way too
    anna.press_button(crisis, "Связаться с кризисным центром")
    await bot_says(anna, "передано в кризисный центр")
    [(case_id,)] = await db_wait(fake, aidbot, "SELECT id FROM cases WHERE tier = 3")
    anna.send_text("/menu")
    await screen(anna, "Чем мы можем помочь")
    tap(anna, "Вещи для семьи")
    await screen(anna, "Что вам нужно")
    tap(anna, "Детская одежда")
    await has_button(anna, "Дальше »")
    tap(anna, "Дальше »")
    await screen(anna, "для кого и какие размеры")
    anna.send_text("мальчик 5 лет и девочка 7 лет, зимняя одежда")
    await screen(anna, "В каком вы городе")
    anna.send_text("Кузнецк")
    await screen(anna, "Как скоро")
    tap(anna, "В ближайшие 1–2 дня")
    await screen(anna, "Проверьте заявку")
    tap(anna, "Отправить заявку")
    await screen(anna, "Заявка на вещи №")
    [(route, city, urgency)] = db_rows(aidbot, "SELECT route, city, urgency FROM aid_requests")
    assert (route, city, urgency) == ("crisis", "Кузнецк", "urgent")
    notes = db_rows(aidbot, "SELECT payload FROM outbox WHERE case_id = ? AND target = 'staff'", case_id)
    texts = [(json.loads(p) if isinstance(p, str) else p).get("text", "") for (p,) in notes]
    assert any("Семья также попросила вещи" in t and "зимняя одежда" in t for t in texts), texts


async def test_a_danger_signal_in_a_volunteers_words_gets_the_emergency_contacts(fake, aidbot):
    """Danger in any message: the volunteer's sign-up takes free text (the city, when), and a signal in it is
    answered as everywhere, before the step."""
    fake.bot_proc = aidbot
    vera = person(fake, "Вера")
    vera.send_text("/volunteer")
    await screen(vera, "как мы храним данные волонтёров")
    tap(vera, "Согласен(на)")
    await screen(vera, "В каком регионе вы можете помогать")
    tap(vera, "Пензенская область")
    await screen(vera, "В каком городе")
    vera.send_text("Пенза, но сейчас муж бьёт меня, я заперлась в ванной")
    crisis = await bot_says(vera, "112")
    assert "Вы сейчас в безопасности?" in text_of(crisis)
    await db_wait(fake, aidbot, "SELECT level FROM crisis_events", until=lambda rows: rows == [("clear",)])


async def test_english_texts_for_the_family_and_the_volunteer(fake, aidbot):
    fake.bot_proc = aidbot
    coord = fake.user(COORD, "Елена")
    coord.send_text("/volunteers")
    await bot_says(coord, "Волонтёры")
    john = person(fake, "John", language_code="en")
    john.send_text("/volunteer")
    await screen(john, "Before you tell us about yourself")
    tap(john, "I agree")
    await screen(john, "In which region can you help?")
    tap(john, "Penza Oblast")
    await screen(john, "Which city or town?")
    john.send_text("Penza")
    await screen(john, "What can you do?")
    tap(john, "IT")
    await has_button(john, "✓ IT")
    tap(john, "Next »")
    await screen(john, "When can you help?")
    john.send_text("weekends")
    await screen(john, "Your offer is passed to the coordinators")
    note = await bot_says(coord, "Новый волонтёр предлагает помощь")
    coord.press_button(note, "Одобрить")
    await bot_says(john, "Your offer to volunteer is approved")
    john.send_text("/tasks")
    tasks = await bot_says(john, "My tasks")
    assert "No tasks yet" in text_of(tasks)
    john.press_button(tasks, "Pause")
    await screen(john, "You are on a pause: coordinators do not offer you new tasks.")
    assert db_rows(aidbot, "SELECT status FROM volunteers WHERE tg_user_id = ?", john.id) == [("paused",)]

    mary = person(fake, "Mary", language_code="en")
    mary.send_text("/start")
    await screen(mary, "Family Window")
    tap(mary, "Continue")
    await screen(mary, "agree")
    tap(mary, "I agree")
    await screen(mary, "Which region")
    tap(mary, "Penza Oblast")
    await screen(mary, "tell us a little about your family")
    tap(mary, "Later, to the menu")
    await screen(mary, "How can we help?")
    tap(mary, "Things for the family")
    await screen(mary, "What do you need?")
    tap(mary, "Cot")
    await has_button(mary, "Next »")
    tap(mary, "Next »")
    await screen(mary, "for whom and what sizes")
    mary.send_text("baby, 2 months")
    await screen(mary, "Which city or town are you in?")
    tap(mary, "Penza")
    await screen(mary, "How soon do you need it?")
    tap(mary, "Within a month")
    await screen(mary, "Check your request")
    tap(mary, "Send the request")
    sent = await screen(mary, "Request №")
    number = int(re.search(r"№ (\d+)", text_of(sent)).group(1))
    # the coordinator works in Russian, the family reads English
    coord.send_text("/aid")
    listing = await bot_says(coord, "Вещевая помощь")
    assert f"№ {number} · Кроватка · Пенза" in text_of(listing)
    coord.press_button(listing, f"№ {number}")
    await screen(coord, f"Вещевая помощь № {number}")
    tap(coord, "Взять в работу")
    await has_button(coord, "«Собираем»")
    tap(coord, "«Собираем»")
    await bot_says(mary, f"We are collecting the things for request № {number}.")
    # a paused volunteer is not offered the task
    tap(coord, "Найти волонтёра")
    match = await screen(coord, f"Волонтёры для № {number}")
    assert "нет свободных одобренных волонтёров" in text_of(match)


# --- the volunteer's own data; the coordinators' command menu -------------------------------------------------


async def test_a_volunteer_gets_a_copy_of_their_data_and_erases_it(fake, aidbot):
    fake.bot_proc = aidbot
    coord = fake.user(COORD, "Елена")
    coord.send_text("/aid")
    await bot_says(coord, "Открытых заявок нет")
    vera = person(fake, "Вера")
    vol_id = await sign_up_volunteer(fake, coord, vera)
    anna = person(fake, "Анна")
    number = await coordinator_opens_a_pram_request(fake, coord, anna)
    tap(coord, "Взять в работу")
    await bot_says(anna, f"Координатор взял вашу заявку на вещи № {number}")
    tap(coord, "Найти волонтёра")
    await screen(coord, f"Волонтёры для № {number}")
    tap(coord, "Назначить: Вера")
    offer = await bot_says(vera, "Координатор предлагает вам задание")
    [(task_id,)] = db_rows(aidbot, "SELECT id FROM assignments WHERE volunteer_id = ?", vol_id)
    vera.press_button(offer, f"Беру #{task_id}")
    await bot_says(coord, f"задание #{task_id}")

    # «Мои задания» says where the data rights are; /mydata sends the volunteer's copy (no family data: none given)
    vera.send_text("/tasks")
    assert "/forget" in text_of(await bot_says(vera, "Мои задания"))
    vera.send_text("/mydata")
    doc = await vera.wait_for_message(lambda m: "document" in m, timeout=10)
    data = json.loads(fake.world.files[doc["document"]["file_id"]].content)
    assert set(data) == {"volunteer"}
    assert data["volunteer"]["city"] == "Пенза" and data["volunteer"]["availability"] == "по выходным"
    assert [(t["task"], t["status"]) for t in data["volunteer"]["tasks"]] == [(task_id, "accepted")]
    summary = await bot_says(vera, "Как волонтёр")
    assert "1 задание" in text_of(summary)

    # /forget: asked first, then the offer and the tasks are gone; the coordinator learns the task is free again
    vera.send_text("/forget")
    ask = await bot_says(vera, "Удалить ваши данные?")
    assert "анкету волонтёра" in text_of(ask) and "профиль, регион" not in text_of(ask)
    vera.press_button(ask, "Да, удалить")
    await screen(vera, "Ваши данные удалены")
    told = await bot_says(coord, f"Волонтёр #{vol_id} удалил свои данные")
    assert f"задания #{task_id} (вещевая помощь № {number})" in text_of(told)
    assert db_rows(aidbot, "SELECT COUNT(*) FROM volunteers WHERE tg_user_id = ?", vera.id) == [(0,)]
    assert db_rows(aidbot, "SELECT COUNT(*) FROM assignments WHERE volunteer_id = ?", vol_id) == [(0,)]
    assert db_rows(aidbot, "SELECT COUNT(*) FROM audit_log WHERE actor_tg_id = ?", vera.id) == [(0,)]
    assert db_rows(
        aidbot,
        "SELECT COUNT(*) FROM audit_log WHERE action = 'volunteer.erased' AND object_id = ?",
        str(vol_id),
    ) == [(1,)]
    # the family's request is untouched and can get another volunteer; the erased person is a stranger now
    assert db_rows(aidbot, "SELECT status FROM aid_requests WHERE id = ?", number) == [("taken",)]
    vera.send_text("/tasks")
    await bot_says(vera, "только для волонтёров центра")
    vera.send_text("/mydata")
    await bot_says(vera, "Мы ничего о вас не храним")


async def test_coordinators_get_their_own_command_menu(fake, aidbot):
    fake.bot_proc = aidbot

    def menu_of(chat_id: int) -> list[str] | None:
        key = json.dumps([{"type": "chat", "chat_id": chat_id}, ""], sort_keys=True)
        commands = fake.world.commands.get(key)
        return None if commands is None else [c["command"] for c in commands]

    await fake.wait_for(lambda: menu_of(COORD) is not None, 10)
    assert {"stats", "events", "aid", "volunteers", "broadcast", "staff"} <= set(menu_of(COORD))
    assert {"menu", "mydata", "forget"} <= set(menu_of(COORD))  # their private chat is a family's one too
    families = json.dumps([{"type": "all_private_chats"}, "ru"], sort_keys=True)
    assert "stats" not in {c["command"] for c in fake.world.commands[families]}
    assert "volunteer" in {c["command"] for c in fake.world.commands[families]}

    # a coordinator named with /staff gets the menu at once, and loses it with the role
    coord = fake.user(COORD, "Елена")
    olga = person(fake, "Ольга")
    coord.send_text(f"/staff add {olga.id} coordinator Ольга")
    await bot_says(coord, "Готово")
    await fake.wait_for(lambda: menu_of(olga.id) is not None, 10)
    assert "stats" in menu_of(olga.id)
    coord.send_text(f"/staff remove {olga.id}")
    await bot_says(coord, "больше не сотрудник")
    await fake.wait_for(lambda: menu_of(olga.id) is None, 10)


async def test_a_status_notice_cut_off_by_a_kill_reaches_the_family_after_the_restart(fake, tmp_path):
    """Promise: the family learns each change of its request even when the bot dies between the change and the
    notice: the change is committed with a notice to tell; after the restart the notices job sends it, once."""
    proc = BotProcess(
        fake,
        tmp_path,
        COORDINATOR_IDS=str(COORD),
        AID_NOTICE_SCAN_SECONDS="0.5",
        AID_NOTICE_GRACE_SECONDS="1",
    )
    await proc.start()
    fake.bot_proc = proc
    coord = fake.user(COORD, "Елена")
    coord.send_text("/aid")
    await bot_says(coord, "Открытых заявок нет")
    anna = person(fake, "Анна")
    number = await coordinator_opens_a_pram_request(fake, coord, anna)

    # Telegram does not answer the family's notice; the bot is killed while it waits
    hang = fake.fail_next("sendMessage", chat_id=anna.id, error="timeout", delay=120)
    tap(coord, "Взять в работу")
    await fake.wait_for(lambda: hang.fired, 10)
    await proc.kill()
    assert db_rows(proc, "SELECT status, notice_seq, told_seq FROM aid_requests WHERE id = ?", number) == [
        ("taken", 1, 0)
    ]
    fake.clear_faults()
    await proc.start()
    await bot_says(anna, f"Координатор взял вашу заявку на вещи № {number}", timeout=15)
    await db_wait(
        fake,
        proc,
        "SELECT told_seq FROM aid_requests WHERE id = ?",
        number,
        until=lambda rows: rows[0][0] == 1,
    )
    await asyncio.sleep(2)  # a few more scans of the job: told once
    told = [m for m in anna.messages() if f"взял вашу заявку на вещи № {number}" in text_of(m)]
    assert len(told) == 1
    await proc.stop()
