"""Events, courses and clubs, end to end: the real bot, a coordinator, families and a volunteer in private chats
with the fake Bot API. The reminders are checked with the service's clock moved forward (CLOCK_OFFSET_DAYS, as
the content review's test does) across restarts of the bot."""

from __future__ import annotations

import io
import itertools
import json
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from tests.e2e.flows import (
    answer_of,
    as_utc,
    bot_says,
    db_rows,
    db_wait,
    labels,
    onboard,
    screen,
    tap,
    text_of,
)
from tests.e2e.harness import BotProcess

COORD = 960_001
YEKB = ZoneInfo("Asia/Yekaterinburg")
REGION = "Свердловская область"
PLACE = "Первый семейный МФЦ Екатеринбурга"
_ids = itertools.count(970_000)


@pytest.fixture
async def evbot(fake, tmp_path):
    proc = BotProcess(fake, tmp_path, COORDINATOR_IDS=str(COORD), EVENTS_SCAN_SECONDS="0.5")
    await proc.start()
    fake.bot_proc = proc
    yield proc
    if proc.proc and proc.proc.poll() is None:
        await proc.stop()


def person(fake, name: str, language_code: str = "ru"):
    return fake.user(next(_ids), name, language_code=language_code)


def said(user, contains: str) -> list[dict]:
    return [m for m in user.messages() if contains in text_of(m)]


async def shows(user, contains: str, timeout: float = 8) -> dict:
    """Any message of the chat (a menu edited in place too) comes to contain ``contains``."""
    found = await user.fake.wait_for(lambda: said(user, contains), timeout)
    return found[-1]


async def create_series(
    coord, first_day: date, *, sessions: int = 3, seats: int = 2, opens: str = "Сразу"
) -> list[int]:
    """/events → «Новое мероприятие» → every step of the wizard → «Создать»; returns the sessions' numbers."""
    coord.send_text("/events")
    await bot_says(coord, "Мероприятия")
    tap(coord, "➕ Новое мероприятие")
    await screen(coord, "Как оно называется")
    coord.send_text("Школа молодых родителей")
    await screen(coord, "Пара слов о нём")
    coord.send_text("Сон малыша, прикорм, вопросы педиатру")
    await screen(coord, "Что это за мероприятие")
    tap(coord, "Школа для родителей")
    await screen(coord, "В каком регионе")
    tap(coord, REGION)
    await screen(coord, "В каком городе")
    coord.send_text("Екатеринбург")
    places = await screen(coord, "Выберите место из справочника")
    assert PLACE in labels(places) and "Онлайн (ссылка)" in labels(places)
    tap(coord, PLACE)
    await screen(coord, "по часовому поясу региона (Asia/Yekaterinburg)")
    coord.send_text("вчера вечером")
    await screen(coord, "Не получилось понять дату")
    coord.send_text(f"{first_day:%d.%m.%Y} 19:00")
    await screen(coord, "Сколько занятий")
    coord.send_text(str(sessions))
    await screen(coord, "Сколько мест")
    coord.send_text(str(seats))
    await screen(coord, "Для кого оно")
    tap(coord, "Дальше »")
    await screen(coord, "Когда открыть запись")
    tap(coord, opens)
    await screen(coord, "Когда закрыть запись")
    tap(coord, "В момент начала")
    summary = await screen(coord, "Проверьте мероприятие")
    assert f"Начало: {first_day:%d.%m.%Y} 19:00 (Asia/Yekaterinburg)" in text_of(summary)
    assert (f"Занятий: {sessions}, раз в неделю" if sessions > 1 else "Одно занятие") in text_of(summary)
    assert "Для кого: все семьи" in text_of(summary)
    tap(coord, "Создать")
    created = await screen(coord, "Мероприятие создано")
    return [int(n) for n in re.findall(r"№ (\d+)", text_of(created))]


async def open_event(family, number: int, first_day: date) -> dict:
    family.send_text("/menu")
    await bot_says(family, "Чем мы можем помочь")
    tap(family, "Мероприятия")
    listing = await screen(family, "Мероприятия в вашем регионе")
    assert "Школа молодых родителей" in text_of(listing)
    tap(family, f"{first_day:%d.%m} 19:00 · Школа молодых родителей")
    card = await screen(family, "Сон малыша")
    assert f"{first_day:%d.%m.%Y} 19:00 (местное время)" in text_of(card)
    assert PLACE in text_of(card)
    return card


def registrations(bot, event_id: int) -> dict[int, str]:
    rows = db_rows(
        bot,
        "SELECT f.tg_user_id, r.status FROM event_registrations r JOIN families f ON f.id = r.family_id "
        "WHERE r.event_id = ?",
        event_id,
    )
    return dict(rows)


def offset_to(at: datetime, later_s: float = 30) -> str:
    """CLOCK_OFFSET_DAYS that puts the bot's clock ``later_s`` seconds after ``at``."""
    return str((at - datetime.now(UTC)).total_seconds() / 86400 + later_s / 86400)


async def restart_at(bot: BotProcess, at: datetime) -> None:
    await bot.stop()
    bot.env["CLOCK_OFFSET_DAYS"] = offset_to(at)
    await bot.start()


# --- the whole way ----------------------------------------------------------------------------------------------


async def test_series_registrations_waiting_list_reminders_attendance_and_export(fake, evbot):
    coord = fake.user(COORD, "Елена")
    first_day = datetime.now(YEKB).date() + timedelta(days=3)
    numbers = await create_series(coord, first_day)
    assert len(numbers) == 3
    rows = db_rows(
        evbot, "SELECT id, series_id, session_no, starts_at, seats, place_id FROM events ORDER BY id"
    )
    assert [r[0] for r in rows] == numbers and {r[1] for r in rows} == {numbers[0]}
    starts = [as_utc(r[3]) for r in rows]
    assert starts == [
        datetime.combine(first_day + timedelta(weeks=i), time(19, 0), YEKB).astimezone(UTC) for i in range(3)
    ]
    assert starts[0].hour == 14  # 19:00 in Yekaterinburg is 14:00 UTC
    first = numbers[0]

    # a button of a step already passed, and a forged one: a polite answer, nothing created
    for stale in ("evc:kind:0:club", "evc:save:0:", "evc:fly:0:"):
        q = coord.press(coord.last_message(), stale, forge=True)
        assert "не работает" in await answer_of(fake, coord, q)
    assert len(db_rows(evbot, "SELECT id FROM events")) == 3

    # families register until it is full; the third joins the waiting list
    anna, boris, vera = (person(fake, n) for n in ("Анна", "Борис", "Вера"))
    for family in (anna, boris, vera):
        await onboard(family, REGION)
    card = await open_event(anna, first, first_day)
    assert "Осталось 2 места" in text_of(card)
    tap(anna, "Записаться")
    await bot_says(anna, "Вы записаны на «Школа молодых родителей»")
    venue = await anna.wait_for_message(lambda m: "venue" in m, timeout=8)
    assert venue["venue"]["title"] == PLACE
    ics_doc = await anna.wait_for_message(
        lambda m: m.get("document", {}).get("file_name", "").endswith(".ics"), timeout=8
    )
    ics_text = fake.world.files[ics_doc["document"]["file_id"]].content.decode()
    assert f"DTSTART:{starts[0]:%Y%m%dT%H%M%SZ}" in ics_text and "SUMMARY:Школа молодых родителей" in ics_text

    await open_event(boris, first, first_day)
    tap(boris, "Записаться")
    await bot_says(boris, "Вы записаны")
    card = await open_event(vera, first, first_day)
    assert "мест нет" in text_of(card)
    tap(vera, "Встать в лист ожидания")
    await bot_says(vera, "Вы в листе ожидания под номером 1")
    assert registrations(evbot, first) == {anna.id: "registered", boris.id: "registered", vera.id: "waiting"}
    assert said(vera, "Вы записаны на") == []

    # Anna cancels: Vera, the first of the waiting list, gets the seat and is told, with the place and the file
    tap(anna, "Отменить запись")
    await shows(anna, "Ваша запись на «Школа молодых родителей» отменена")
    await bot_says(vera, "Освободилось место — вы записаны!")
    await vera.wait_for_message(lambda m: "venue" in m, timeout=8)
    await db_wait(
        fake,
        evbot,
        "SELECT count(*) FROM event_registrations WHERE event_id = ? AND status = 'registered'",
        first,
        until=lambda r: r[0][0] == 2,
    )
    assert registrations(evbot, first) == {
        anna.id: "cancelled",
        boris.id: "registered",
        vera.id: "registered",
    }
    assert db_rows(evbot, "SELECT taken FROM events WHERE id = ?", first) == [(2,)]
    await _quiet(fake, 1.5)  # the reminders' job scans meanwhile: the news is claimed once, told once
    assert len(said(vera, "Освободилось место")) == 1

    # the coordinator writes to everyone registered: through the broadcast queue, to Boris and Vera only
    coord.send_text("/events")
    listing = await bot_says(coord, "Мероприятия (начиная")
    assert f"№ {first} · Школа молодых родителей" in text_of(listing) and "2/2" in text_of(listing)
    coord.press_button(listing, f"№ {first}")
    await screen(coord, f"Мероприятие № {first}")
    tap(coord, "Написать записавшимся")
    await screen(coord, "Напишите сообщение для всех семей")
    coord.send_text("Возьмите, пожалуйста, сменную обувь")
    await bot_says(coord, "получателей — 2")
    await bot_says(boris, "сменную обувь", timeout=15)
    await bot_says(vera, "сменную обувь", timeout=15)
    assert said(anna, "сменную обувь") == []
    [(segment,)] = db_rows(evbot, "SELECT segment FROM broadcasts")
    assert (json.loads(segment) if isinstance(segment, str) else segment) == {"event": first}

    # the day before at 18:00 Yekaterinburg time: «завтра»; not earlier, and nothing twice across restarts
    day_before = datetime.combine(first_day - timedelta(days=1), time(18, 0), YEKB)
    await restart_at(evbot, day_before - timedelta(minutes=30))
    await _quiet(fake, 2)
    assert said(boris, "Завтра — ваше мероприятие") == []
    await restart_at(evbot, day_before)
    tomorrow = await bot_says(boris, "Завтра — ваше мероприятие", timeout=15)
    assert f"{first_day:%d.%m.%Y} 19:00 (местное время)" in text_of(tomorrow)
    await bot_says(vera, "Завтра — ваше мероприятие", timeout=15)
    assert said(anna, "Завтра — ваше мероприятие") == [] and said(boris, "Через два часа") == []

    # two hours before the start (17:00 local)
    await restart_at(evbot, starts[0] - timedelta(hours=2))
    await bot_says(boris, "Через два часа — ваше мероприятие", timeout=15)
    await bot_says(vera, "Через два часа — ваше мероприятие", timeout=15)
    assert len(said(boris, "Завтра — ваше мероприятие")) == 1

    # after the event: attendance, «было полезно?», the export
    await restart_at(evbot, starts[0] + timedelta(hours=3))
    question = await bot_says(boris, "Было полезно?", timeout=15)
    boris.press_button(question, "Да, было полезно")
    await screen(boris, "Ваш ответ поможет нам")
    coord.send_text("/events")
    listing = await bot_says(coord, "Мероприятия (начиная")
    coord.press_button(listing, f"№ {first}")
    await screen(coord, f"Мероприятие № {first}")
    tap(coord, "Записи и посещаемость")
    who = await screen(coord, "Записались: 2")
    [(boris_family,)] = db_rows(evbot, "SELECT id FROM families WHERE tg_user_id = ?", boris.id)
    assert f"Семья № {boris_family}" in text_of(who)
    tap(coord, f"№ {boris_family}")
    await screen(coord, f"✅ Семья № {boris_family}")
    [(attended, useful)] = db_rows(
        evbot,
        "SELECT r.attended, r.useful FROM event_registrations r JOIN families f ON f.id = r.family_id "
        "WHERE r.event_id = ? AND f.tg_user_id = ?",
        first,
        boris.id,
    )
    assert (attended, useful) == (1, 1)
    tap(coord, "« Мероприятие")
    await screen(coord, "Места: занято 2 из 2")
    tap(coord, "XLSX")
    doc = await coord.wait_for_message(
        lambda m: m.get("document", {}).get("file_name", "").endswith(".xlsx"), timeout=10
    )
    wb = load_workbook(io.BytesIO(fake.world.files[doc["document"]["file_id"]].content))
    table = [list(r) for r in wb.active.iter_rows(min_row=3, values_only=True)]
    [(vera_family,)] = db_rows(evbot, "SELECT id FROM families WHERE tg_user_id = ?", vera.id)
    assert [r[:5] for r in table] == [
        [f"Семья № {boris_family}", "записана", None, "да", "да"],
        [f"Семья № {vera_family}", "записана", None, None, None],
    ]

    # /stats counts the session held, its registrations and attendance
    coord.send_text("/stats 2020-01-01 2100-01-01")
    report = await bot_says(coord, "Отчёт за", timeout=20)
    assert "Мероприятия: проведено 1 · записей 2 · пришли 1 · «полезно» 1" in text_of(report)


async def _quiet(fake, seconds: float) -> None:
    """Let the bot's scans run for a while."""
    try:
        await fake.wait_for(lambda: False, seconds)
    except TimeoutError:
        pass


# --- a volunteer for an event -------------------------------------------------------------------------------------


async def sign_up_volunteer(fake, coord, vol) -> None:
    vol.send_text("/volunteer")
    await screen(vol, "как мы храним данные волонтёров")
    tap(vol, "Согласен(на)")
    await screen(vol, "В каком регионе вы можете помогать")
    tap(vol, REGION)
    await screen(vol, "В каком городе")
    vol.send_text("Екатеринбург")
    await screen(vol, "Чем вы можете помочь")
    tap(vol, "Возить на машине")
    await fake.wait_for(lambda: "✓ Возить на машине" in labels(vol.last_message() or {}), 5)
    tap(vol, "Дальше »")
    await screen(vol, "Когда вы можете помогать")
    vol.send_text("по выходным")
    await screen(vol, "Ваше предложение передано координаторам")
    note = await bot_says(coord, "Новый волонтёр предлагает помощь")
    coord.press_button(note, "Одобрить")
    await bot_says(vol, "Ваше предложение помощи одобрено")


async def test_a_volunteer_is_assigned_to_an_event_and_accepts(fake, evbot):
    coord = fake.user(COORD, "Елена")
    first_day = datetime.now(YEKB).date() + timedelta(days=5)
    [number] = await create_series(coord, first_day, sessions=1, seats=10)
    gleb = person(fake, "Глеб")
    await sign_up_volunteer(fake, coord, gleb)
    anna = person(fake, "Анна")
    await onboard(anna, REGION)
    await open_event(anna, number, first_day)
    tap(anna, "Записаться")
    await bot_says(anna, "Вы записаны на")
    coord.send_text("/events")
    listing = await bot_says(coord, "Мероприятия (начиная")
    coord.press_button(listing, f"№ {number}")
    await screen(coord, f"Мероприятие № {number}")
    tap(coord, "Найти волонтёра")
    await screen(coord, f"Волонтёры для мероприятия № {number}")
    tap(coord, "Назначить: Глеб")
    offer = await bot_says(gleb, "Координатор предлагает вам задание")
    assert f"Мероприятие № {number}: Школа молодых родителей" in text_of(offer)
    assert f"{first_day:%d.%m.%Y} 19:00" in text_of(offer)
    [(task_id, status)] = db_rows(
        evbot, "SELECT id, status FROM assignments WHERE kind = 'event' AND target_id = ?", number
    )
    assert status == "offered"
    gleb.press_button(offer, f"Беру #{task_id}")
    told = await bot_says(coord, f"задание #{task_id} (мероприятие № {number})")
    assert "принято" in text_of(told)
    await db_wait(
        fake,
        evbot,
        "SELECT status FROM assignments WHERE id = ?",
        task_id,
        until=lambda r: r[0][0] == "accepted",
    )
    gleb.send_text("/tasks")
    tasks = await bot_says(gleb, "Мои задания")
    assert f"Мероприятие № {number}" in text_of(tasks) and f"Готово #{task_id}" in labels(tasks)
    coord.send_text("/events")
    listing = await bot_says(coord, "Мероприятия (начиная")
    coord.press_button(listing, f"№ {number}")
    card = await screen(coord, f"Мероприятие № {number}")
    assert "Глеб — принято" in text_of(card)

    # the coordinator cancels the event: the registered family is told, the volunteer's task ends
    tap(coord, "Отменить мероприятие")
    await screen(coord, f"Отменить мероприятие № {number}?")
    tap(coord, "Да, отменить")
    await screen(coord, "❌ Отменено")
    await bot_says(anna, "К сожалению, это мероприятие отменено")
    assert registrations(evbot, number) == {anna.id: "cancelled"}
    assert db_rows(evbot, "SELECT status FROM assignments WHERE id = ?", task_id) == [("cancelled",)]
    q = anna.press(anna.last_message(), f"ev:join:{number}:", forge=True)
    assert "отменено" in await answer_of(fake, anna, q)


# --- who may enter; stale, forged and closed ----------------------------------------------------------------------


async def test_strangers_cannot_reach_coordinator_event_screens_and_forged_buttons_are_refused(fake, evbot):
    coord = fake.user(COORD, "Елена")
    first_day = datetime.now(YEKB).date() + timedelta(days=4)
    [number] = await create_series(coord, first_day, sessions=1, seats=1)

    anna, petr = person(fake, "Анна"), person(fake, "Пётр")
    await onboard(anna, REGION)
    await open_event(anna, number, first_day)
    tap(anna, "Записаться")
    await bot_says(anna, "Вы записаны на")
    [(reg_id,)] = db_rows(evbot, "SELECT id FROM event_registrations WHERE event_id = ?", number)

    await onboard(petr, REGION)
    petr.send_text("/events")
    refusal = await bot_says(petr, "только координаторам центра")
    for forged in (
        f"evc:open:{number}:",
        f"evc:attend:{number}:{reg_id}",
        f"evc:cancel_ok:{number}:",
        "evc:new:0:",
    ):
        q = petr.press(refusal, forged, forge=True)
        assert "только" in await answer_of(fake, petr, q)
    # another family's registration, an event that does not exist, an action that does not exist
    for forged in (
        f"ev:cancel:{reg_id}:",
        "ev:open:99999:",
        "ev:join:99999:",
        f"ev:useful:{reg_id}:1",
        "ev:fly:1:",
    ):
        q = petr.press(refusal, forged, forge=True)
        assert "не работает" in await answer_of(fake, petr, q)
    assert registrations(evbot, number) == {anna.id: "registered"}

    # a family of another region does not see the event and cannot join it by a forged button
    olga = person(fake, "Ольга")
    await onboard(olga, "Пензенская область")
    tap(olga, "Мероприятия")
    await screen(olga, "пока нет мероприятий")
    q = olga.press(olga.last_message(), f"ev:join:{number}:", forge=True)
    assert "не работает" in await answer_of(fake, olga, q)

    # full: Petr joins the waiting list; registration closed once the event began (clock moved past the start)
    await open_event(petr, number, first_day)
    tap(petr, "Встать в лист ожидания")
    await bot_says(petr, "Вы в листе ожидания под номером 1")
    starts = as_utc(db_rows(evbot, "SELECT starts_at FROM events WHERE id = ?", number)[0][0])
    await restart_at(evbot, starts + timedelta(minutes=5))
    vika = person(fake, "Вика")
    await onboard(vika, REGION)
    q = vika.press(vika.last_message(), f"ev:join:{number}:", forge=True)
    assert "Запись закрыта" in await answer_of(fake, vika, q)
    # a cancellation after the start promotes nobody
    q = anna.press(anna.last_message(), f"ev:cancel:{reg_id}:", forge=True)
    await shows(anna, "отменена")
    assert registrations(evbot, number) == {anna.id: "cancelled", petr.id: "waiting"}
    # a stale button: cancelling again
    q = anna.press(anna.last_message(), f"ev:cancel:{reg_id}:", forge=True)
    assert "уже отменена" in await answer_of(fake, anna, q)


async def test_texts_in_english(fake, evbot):
    coord = fake.user(COORD, "Елена")
    first_day = datetime.now(YEKB).date() + timedelta(days=6)
    await create_series(coord, first_day, sessions=1)
    john = person(fake, "John", language_code="en")
    john.send_text("/start")
    await screen(john, "Family Window")
    tap(john, "Continue")
    await screen(john, "Do you agree?")
    tap(john, "I agree")
    await screen(john, "Which region")
    tap(john, "Sverdlovsk Oblast")
    await screen(john, "Region: Sverdlovsk Oblast")
    tap(john, "Later, to the menu")
    await screen(john, "How can we help")
    tap(john, "Family events")
    await screen(john, "for your region")
    tap(john, f"{first_day:%d.%m} 19:00 · Школа молодых родителей")
    card = await screen(john, "(local time)")
    assert "School for parents" in text_of(card) and "2 seats left" in text_of(card)
    tap(john, "Register")
    await bot_says(john, "We will remind you the day before and two hours before")


async def test_registration_opens_a_week_before_each_session(fake, evbot):
    coord = fake.user(COORD, "Елена")
    first_day = datetime.now(YEKB).date() + timedelta(days=5)
    first, second = await create_series(coord, first_day, sessions=2, opens="За неделю")
    opens = datetime.combine(first_day + timedelta(weeks=1), time(19, 0), YEKB) - timedelta(days=7)
    [(stored,)] = db_rows(evbot, "SELECT reg_opens_at FROM events WHERE id = ?", second)
    assert as_utc(stored) == opens.astimezone(UTC)
    anna = person(fake, "Анна")
    await onboard(anna, REGION)
    anna.send_text("/menu")
    await bot_says(anna, "Чем мы можем помочь")
    tap(anna, "Мероприятия")
    await screen(anna, "Мероприятия в вашем регионе")
    second_day = first_day + timedelta(weeks=1)
    tap(anna, f"{second_day:%d.%m} 19:00 · Школа молодых родителей")
    card = await screen(anna, "Запись откроется")
    assert f"Запись откроется {opens:%d.%m.%Y %H:%M} (по местному времени)" in text_of(card)
    assert "Записаться" not in labels(card) and "Встать в лист ожидания" not in labels(card)
    q = anna.press(card, f"ev:join:{second}:", forge=True)
    assert "Запись ещё не открылась" in await answer_of(fake, anna, q)
    tap(anna, "« Мероприятия")
    await screen(anna, "Мероприятия в вашем регионе")
    tap(anna, f"{first_day:%d.%m} 19:00 · Школа молодых родителей")
    await screen(anna, "Осталось 2 места")
    tap(anna, "Записаться")
    await bot_says(anna, "Вы записаны на")
    coord.send_text("/events")
    listing = await bot_says(coord, "Мероприятия (начиная")
    coord.press_button(listing, f"№ {second}")
    card = await screen(coord, f"Мероприятие № {second}")
    assert f"Запись откроется {opens:%d.%m.%Y %H:%M}" in text_of(card)
    assert registrations(evbot, first) == {anna.id: "registered"} and registrations(evbot, second) == {}


async def test_a_family_registers_for_a_whole_course_at_once(fake, evbot):
    coord = fake.user(COORD, "Елена")
    first_day = datetime.now(YEKB).date() + timedelta(days=2)
    numbers = await create_series(coord, first_day, sessions=3, seats=2)
    anna = person(fake, "Анна")
    await onboard(anna, REGION)
    card = await open_event(anna, numbers[0], first_day)
    assert "занятие 1 из 3" in text_of(card)
    tap(anna, "Записаться на все занятия")
    await bot_says(anna, "Вы записаны на 3 занятия «Школа молодых родителей».")
    doc = await anna.wait_for_message(
        lambda m: m.get("document", {}).get("file_name", "").endswith(".ics"), timeout=8
    )
    ics_text = fake.world.files[doc["document"]["file_id"]].content.decode().replace("\r\n ", "")
    assert ics_text.count("BEGIN:VEVENT") == 3
    for week in range(3):
        at = datetime.combine(first_day + timedelta(weeks=week), time(19, 0), YEKB).astimezone(UTC)
        assert f"DTSTART:{at:%Y%m%dT%H%M%SZ}" in ics_text
    assert [registrations(evbot, n) for n in numbers] == [{anna.id: "registered"}] * 3
