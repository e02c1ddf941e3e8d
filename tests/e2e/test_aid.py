"""Volunteers and material help («окна помощи»), end to end: the real bot, a coordinator, a volunteer and a family
in private chats with the fake Bot API."""

from __future__ import annotations

import itertools
import re

import pytest

from tests.e2e.flows import db_rows, db_wait, labels, onboard, screen, tap
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


def text_of(m: dict | None) -> str:
    return (m or {}).get("text") or (m or {}).get("caption") or ""


async def bot_says(user, contains: str, timeout: float = 8) -> dict:
    return await user.wait_for_message(lambda m: contains in text_of(m), timeout=timeout)


async def has_button(user, label: str) -> None:
    await user.fake.wait_for(lambda: label in labels(user.last_message() or {}), 5)


async def answer_of(fake, user, query_id: str) -> str:
    await fake.wait_for(lambda: user.callback_answer(query_id), 10)
    return user.callback_answer(query_id).get("text") or ""


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
