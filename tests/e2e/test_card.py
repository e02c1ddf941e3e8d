"""The social family card, end to end: the real bot, a coordinator, partner staff and families in private chats.

Example partners and offers here are test data, not real companies.
"""

from __future__ import annotations

import io
import itertools
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import cv2
import numpy as np
import pytest
from openpyxl import load_workbook

from bot.services.card import luhn_digit, luhn_ok
from tests.e2e.flows import as_utc, db_rows, db_wait, labels, onboard, screen, tap
from tests.e2e.harness import BotProcess

COORD = 920_001
COORD2 = 920_002
BOT_USERNAME = "semeynoe_okno_test_bot"
CHECKS_PER_MINUTE = 7  # the first test makes exactly 7 checks within a minute
_ids = itertools.count(930_000)


@pytest.fixture
async def cardbot(fake, tmp_path):
    proc = BotProcess(
        fake,
        tmp_path,
        COORDINATOR_IDS=f"{COORD},{COORD2}",
        CARD_SCAN_SECONDS="0.5",
        CARD_CHECKS_PER_MINUTE=str(CHECKS_PER_MINUTE),
    )
    await proc.start()
    yield proc
    if proc.proc and proc.proc.poll() is None:
        await proc.stop()


def person(fake, name: str):
    return fake.user(next(_ids), name, language_code="ru")


def text_of(m: dict) -> str:
    return m.get("text") or m.get("caption") or ""


def db_exec(bot, sql: str, *args) -> None:
    bot.rows(sql, *args)


async def fill_profile(user, *, children: str = "3", large: bool = True) -> None:
    """From the offer after onboarding: the whole profile walk (large family, no other status)."""
    tap(user, "Рассказать о семье")
    await screen(user, "Сколько детей")
    tap(user, children)
    if children != "0":
        for n in range(1, int(children) + 1):
            await screen(user, f"Ребёнок {n}: год рождения")
            tap(user, "Пропустить")
    for question, answer in [
        ("ждёт ребёнка", "Нет"),
        ("инвалидностью", "Нет"),
        ("в одиночку", "Нет"),
        *([("многодетной", "Да" if large else "Нет")] if int(children) >= 3 else []),
        ("опекун", "Нет"),
        ("прожиточного минимума", "Пропустить"),
        ("служит в армии", "Нет"),
    ]:
        await screen(user, question)
        tap(user, answer)
    await screen(user, "профиль сохранён")


def qr_of(fake, message: dict) -> str:
    """Decode the QR code in a photo the bot sent (the largest size), as a phone camera would."""
    content = fake.world.files[message["photo"][-1]["file_id"]].content
    image = cv2.imdecode(np.frombuffer(content, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert image is not None, "the card photo is not an image"
    for detector in (cv2.QRCodeDetectorAruco(), cv2.QRCodeDetector()):
        data, _points, _raw = detector.detectAndDecode(image)
        if data:
            return data
    return ""


async def bot_says(user, contains: str, timeout: float = 8) -> dict:
    return await user.wait_for_message(lambda m: contains in text_of(m), timeout=timeout)


async def apply_with_document(fake, family) -> int:
    tap(family, "Оформить карту")
    await screen(family, "Заявка на семейную карту")
    tap(family, "Отправить фото документа")
    await screen(family, "Пришлите одно фото документа")
    family.send_photo(content=b"\x89PNG photo of a large family certificate")
    await screen(family, "заявка отправлена")
    [(app_id,)] = await db_wait(
        fake,
        fake.bot_proc,
        "SELECT a.id FROM card_applications a JOIN families f ON f.id = a.family_id "
        "WHERE f.tg_user_id = ? AND a.status = 'submitted'",
        family.id,
    )
    return app_id


async def join_partner(fake, coord, name: str, staff_name: str):
    coord.send_text(f"/partner_new {name}")
    invite = await bot_says(coord, "Приглашение для сотрудника")
    token = re.search(r"start=(partner_[A-Za-z0-9_-]+)", text_of(invite)).group(1)
    staff = person(fake, staff_name)
    staff.send_text(f"/start {token}")
    await bot_says(staff, "Теперь вы сотрудник")
    return staff, token


async def has_button(user, label: str) -> None:
    await user.fake.wait_for(lambda: label in labels(user.last_message() or {}), 5)


async def check(partner, what: str, expect: str) -> dict:
    partner.send_text(what)
    return await bot_says(partner, expect)


# --- the whole way: application → approval → QR → offers → verification → statistics -------------------------------


async def test_card_application_qr_offers_verification_and_statistics(fake, cardbot):
    fake.bot_proc = cardbot
    coord = fake.user(COORD, "Елена")
    marina = fake.user(COORD2, "Марина")
    for c in (coord, marina):
        c.send_text("/cards")
        await bot_says(c, "Заявок ждут решения: 0")

    # a large family in Penza, where the region's rules ask for a document photo
    anna = person(fake, "Анна")
    await onboard(anna, "Пензенская область", menu=False)
    await fill_profile(anna)
    tap(anna, "« Меню")
    await screen(anna, "Чем мы можем помочь")
    tap(anna, "Семейная карта")
    await screen(anna, "Оформление бесплатное")
    app_id = await apply_with_document(fake, anna)
    [(doc_id, categories)] = await db_wait(
        fake, cardbot, "SELECT document_file_id, categories FROM card_applications WHERE id = ?", app_id
    )
    assert doc_id and doc_id in fake.world.files and "large_family" in categories

    # the coordinator is told, sees the document and approves
    note = await bot_says(coord, f"Заявка на семейную карту № {app_id}")
    assert "Многодетная семья" in text_of(note) and "Анна" not in text_of(note)
    tap(coord, "Рассмотреть")
    doc = await bot_says(coord, f"Документ к заявке № {app_id}")
    assert fake.world.files[doc["photo"][-1]["file_id"]].content == fake.world.files[doc_id].content
    await bot_says(coord, f"Заявка на карту № {app_id}")

    # a second coordinator opens it too; both press «Взять» at the same moment: exactly one takes it,
    # the other is told who did, and both screens show who works on it
    await bot_says(marina, f"Заявка на семейную карту № {app_id}")
    tap(marina, "Рассмотреть")
    await bot_says(marina, f"Заявка на карту № {app_id}")
    await has_button(marina, "Взять")
    q1, q2 = tap(coord, "Взять"), tap(marina, "Взять")
    await fake.wait_for(lambda: coord.callback_answer(q1) and marina.callback_answer(q2), 10)
    answers = {COORD: coord.callback_answer(q1)["text"], COORD2: marina.callback_answer(q2)["text"]}
    assert sorted(a.startswith("Уже взял") for a in answers.values()) == [False, True], answers
    [(taken_by,)] = db_rows(cardbot, "SELECT taken_by FROM card_applications WHERE id = ?", app_id)
    winner, loser = (coord, marina) if taken_by == COORD else (marina, coord)
    assert answers[taken_by] == f"Вы взяли заявку № {app_id}."
    assert answers[loser.id] == f"Уже взял(а): {winner.rec.first_name}."
    for who in (coord, marina):
        taken = await screen(who, f"Взял(а): {winner.rec.first_name}")
        assert "Взять" not in labels(taken) and "Одобрить" in labels(taken)
    await db_wait(
        fake,
        cardbot,
        "SELECT count(*) FROM audit_log WHERE action = 'card.application_taken'",
        until=lambda r: r[0][0] == 1,
    )
    tap(coord, "Одобрить")  # anyone with the role may decide; the queue only shows who took what
    await screen(coord, f"Заявка № {app_id} одобрена")

    # the family gets the card: number, category, validity and a QR code with the deep link
    card = await bot_says(anna, "одобрена")
    caption = text_of(card)
    [(number, status, doc_after)] = await db_wait(
        fake,
        cardbot,
        "SELECT c.number, c.status, a.document_file_id FROM family_cards c "
        "JOIN card_applications a ON a.card_id = c.id WHERE a.id = ?",
        app_id,
    )
    assert status == "active" and doc_after is None  # the document's file id is forgotten after the decision
    assert len(number) == 16 and luhn_ok(number)
    assert " ".join(number[i : i + 4] for i in range(0, 16, 4)) in caption
    assert "Многодетная семья" in caption and "Действует до" in caption
    assert qr_of(fake, card) == f"https://t.me/{BOT_USERNAME}?start=card_{number}"
    wanted = {"card.application_submitted", "card.application_approved", "card.issued"}
    await db_wait(fake, cardbot, "SELECT action FROM audit_log", until=lambda r: wanted <= {a for (a,) in r})

    # /card shows it again at any time; she asks to be told about new offers
    anna.send_text("/card")
    again = await bot_says(anna, "Номер:")
    assert qr_of(fake, again).endswith(number)
    tap(anna, "Предложения")
    await screen(anna, "предложений партнёров пока нет")
    anna.send_text("/card")
    await bot_says(anna, "Номер:")
    tap(anna, "Сообщать о новых предложениях")
    await db_wait(
        fake,
        cardbot,
        "SELECT notify_offers FROM family_cards WHERE number = ?",
        number,
        until=lambda rows: rows[0][0] == 1,
    )

    # a partner is registered; its staff member joins by the one-time link
    pavel, token = await join_partner(fake, coord, "Книжный магазин «Пример» (тест)", "Павел")
    latecomer = person(fake, "Чужой")
    latecomer.send_text(f"/start {token}")
    await bot_says(latecomer, "ссылка-приглашение не работает")

    # the partner proposes an offer; it is not visible before a coordinator publishes it
    pavel.send_text("/partner")
    await bot_says(pavel, "партнёр программы")
    tap(pavel, "Предложить скидку")
    await screen(pavel, "шаг 1 из 8")
    tap(pavel, "Детские товары")
    await screen(pavel, "Шаг 2 из 8")
    pavel.send_text("Скидка на детские книги")
    await bot_says(pavel, "Шаг 3 из 8")
    pavel.send_text("10%")
    await bot_says(pavel, "Шаг 4 из 8")
    tap(pavel, "Без условий")
    await screen(pavel, "Шаг 5 из 8")
    pavel.send_text("Пенза, ул. Примерная, 1")
    await bot_says(pavel, "Шаг 6 из 8")
    tap(pavel, "3 месяца")
    await screen(pavel, "Шаг 7 из 8")
    tap(pavel, "Пензенская область")
    await has_button(pavel, "✓ Пензенская область")
    tap(pavel, "Дальше »")
    await screen(pavel, "Шаг 8 из 8")
    tap(pavel, "Все семьи с картой")
    await screen(pavel, "Проверьте предложение")
    tap(pavel, "Отправить на проверку")
    await screen(pavel, "отправлено на проверку")
    [(offer_id, offer_status)] = await db_wait(fake, cardbot, "SELECT id, status FROM partner_offers")
    assert offer_status == "proposed"

    await bot_says(coord, f"Предложение № {offer_id}")
    tap(coord, "Рассмотреть")
    await screen(coord, "Скидка на детские книги")
    tap(coord, "Опубликовать")
    await bot_says(pavel, f"Ваше предложение № {offer_id} опубликовано")

    # the family who opted in is told, and the catalogue shows it grouped by kind
    notice = await bot_says(anna, "Новое предложение по вашей семейной карте")
    assert "Скидка на детские книги" in text_of(notice)
    anna.send_text("/card")
    await bot_says(anna, "Номер:")
    tap(anna, "Предложения")
    await screen(anna, "Предложения для владельцев карты")
    tap(anna, "Детские товары (1)")
    shown = await screen(anna, "Скидка на детские книги")
    for part in ("10%", "Пенза, ул. Примерная, 1", "Действует до", "Книжный магазин"):
        assert part in text_of(shown)

    # verification: the QR deep link from the partner's account → valid, the category and nothing else
    pavel.send_text(f"/start card_{number}")
    valid = await bot_says(pavel, "Карта действует")
    assert "Многодетная семья" in text_of(valid)
    for secret in ("Анна", "Пенз", number, str(anna.id), "Действует до"):
        assert secret not in text_of(valid)
    tap(pavel, "10% · Скидка на детские книги")
    await screen(pavel, "Записано")
    # typed with spaces → valid; only a check
    await check(pavel, " ".join(number[i : i + 4] for i in range(0, 16, 4)), "Карта действует")
    tap(pavel, "Только проверка")
    # a forged number (wrong check digit) and a well-formed number that was never issued: unknown
    forged = number[:-1] + str((int(number[-1]) + 1) % 10)
    await check(pavel, forged, "Такой карты нет")
    body = "1" * 15 if number[:15] != "1" * 15 else "2" * 15
    await check(pavel, body + luhn_digit(body), "Такой карты нет")

    # nobody else can verify: a stranger, and the family itself, scanning the QR
    for outsider in (latecomer, anna):
        outsider.send_text(f"/start card_{number}")
        refusal = await bot_says(outsider, "только организации-партнёры")
        assert "действует" not in text_of(refusal) and "Многодет" not in text_of(refusal)
    latecomer.send_text("/check " + number)
    await bot_says(latecomer, "для организаций-партнёров")

    # expired: the partner sees it; the family can renew (same number, new validity)
    db_exec(
        cardbot, "UPDATE family_cards SET valid_until = '2020-01-01 00:00:00.000000' WHERE number = ?", number
    )
    await check(pavel, number, "Срок карты истёк")
    anna.send_text("/card")
    await bot_says(anna, "Срок карты закончился")
    tap(anna, "Продлить карту")
    await screen(anna, "Заявка на семейную карту")
    tap(anna, "Отправить фото документа")
    await screen(anna, "Пришлите одно фото документа")
    anna.send_photo(content=b"\x89PNG a newer certificate")
    await screen(anna, "заявка отправлена")
    await bot_says(coord, "Заявка на семейную карту")
    tap(coord, "Рассмотреть")
    await bot_says(coord, "(продление)")
    tap(coord, "Одобрить")
    await bot_says(anna, "одобрена")
    [(count, _valid_until)] = await db_wait(
        fake,
        cardbot,
        "SELECT count(*), max(valid_until) FROM family_cards",
        until=lambda r: as_utc(r[0][1]).year >= 2026,
    )
    assert count == 1  # renewed: the same card (and QR code), a new validity
    await check(pavel, number, "Карта действует")
    tap(pavel, "Только проверка")

    # statistics per month and offer
    pavel.send_text("/partner")
    await bot_says(pavel, "партнёр программы")
    tap(pavel, "Статистика")
    stats = await screen(pavel, "Статистика")
    assert "Проверок: 6 (действующих карт: 3)" in text_of(stats), text_of(stats)
    assert "Скидок предоставлено: 1" in text_of(stats) and "Скидка на детские книги: 1" in text_of(stats)
    rows = db_rows(cardbot, "SELECT result, offer_id FROM card_checks ORDER BY id")
    assert [r for r, _o in rows] == ["valid", "valid", "malformed", "unknown", "expired", "valid"]
    assert rows[0][1] == offer_id
    await db_wait(
        fake,
        cardbot,
        "SELECT count(*) FROM audit_log WHERE action = 'card.checked'",
        until=lambda r: r[0][0] == 6,
    )

    # the coordinators' report: card and redemption figures by region and partner, nothing about the family
    today = datetime.now(ZoneInfo("Europe/Moscow")).date()
    coord.send_text(f"/stats {today - timedelta(days=1)} {today}")
    summary = text_of(await bot_says(coord, "Отчёт за", timeout=15))
    assert "Семейная карта: действующих карт 1 · выдано 1" in summary, summary
    assert "Заявок на карту: 2 · одобрено 2 · не одобрено 0" in summary
    assert "Проверок карты у партнёров: 6 · скидок предоставлено: 1" in summary
    assert "Пензенская область: действующих карт 1, скидок 1" in summary
    assert "Книжный магазин «Пример» (тест): проверок 6, скидок 1" in summary
    xlsx = await coord.wait_for_message(
        lambda m: m.get("document", {}).get("file_name", "").endswith(".xlsx"), timeout=15
    )
    wb = load_workbook(io.BytesIO(fake.world.files[xlsx["document"]["file_id"]].content))
    assert list(wb["Семейная карта по регионам"].iter_rows(min_row=3, values_only=True)) == [
        (
            "Регион",
            "Действующих карт",
            "Выдано карт",
            "Заявок",
            "Одобрено",
            "Не одобрено",
            "Проверок",
            "Скидок предоставлено",
        ),
        ("Пензенская область", 1, 1, 2, 2, 0, 4, 1),  # checks of forged and unknown numbers have no region
    ]
    assert list(wb["Проверки карты по партнёрам"].iter_rows(min_row=4, values_only=True)) == [
        ("Книжный магазин «Пример» (тест)", 6, 3, 1)
    ]
    summary_rows = {r[0]: r[1] for r in wb["Сводка"].iter_rows(min_row=4, values_only=True)}
    assert summary_rows["Проверок карты у партнёров"] == 6
    assert summary_rows["Скидок предоставлено партнёрами"] == 1
    every_cell = " ".join(
        str(c) for ws in wb for row in ws.iter_rows(values_only=True) for c in row if c is not None
    )
    for secret in ("Анна", number, str(anna.id), "Павел", str(pavel.id)):
        assert secret not in every_cell
    csv_msg = await coord.wait_for_message(
        lambda m: m.get("document", {}).get("file_name", "").endswith(".csv"), timeout=15
    )
    csv_text = fake.world.files[csv_msg["document"]["file_id"]].content.decode("utf-8-sig")
    assert "Проверки карты по партнёрам,Книжный магазин «Пример» (тест),6,3,1" in csv_text

    # offer expiry: gone from the catalogue at once, status written by the scan, the partner sees it
    db_exec(
        cardbot, "UPDATE partner_offers SET valid_until = '2020-01-01 00:00:00.000000' WHERE id = ?", offer_id
    )
    anna.send_text("/card")
    await bot_says(anna, "Номер:")
    tap(anna, "Предложения")
    await screen(anna, "предложений партнёров пока нет")
    await db_wait(
        fake,
        cardbot,
        "SELECT status FROM partner_offers WHERE id = ?",
        offer_id,
        until=lambda r: r[0][0] == "expired",
    )
    tap(pavel, "« Меню партнёра")
    await screen(pavel, "партнёр программы")
    tap(pavel, "Мои предложения")
    await screen(pavel, "срок истёк")

    # /forget revokes the card and erases its number (issue 21): a partner checking it finds no such card
    anna.send_text("/forget")
    await bot_says(anna, "Удалить ваши данные")
    tap(anna, "Да, удалить")
    await screen(anna, "данные удалены")
    await check(pavel, number, "Такой карты нет")
    assert db_rows(cardbot, "SELECT count(*) FROM family_cards WHERE number = ?", number) == [(0,)]
    [(status, family_id, cats)] = db_rows(cardbot, "SELECT status, family_id, categories FROM family_cards")
    assert status == "revoked" and family_id is None and cats == "[]"
    await db_wait(fake, cardbot, "SELECT count(*) FROM card_applications", until=lambda r: r[0][0] == 0)


# --- moderation, refusals and the rate limit ----------------------------------------------------------------------


async def test_moderation_refusals_and_rate_limit(fake, cardbot):
    fake.bot_proc = cardbot
    coord = fake.user(COORD, "Елена")

    # anyone without the role is refused: coordinator commands and forged coordinator / partner buttons
    boris = person(fake, "Борис")
    await onboard(boris, "Свердловская область", menu=False)
    tap(boris, "Рассказать о семье")
    await screen(boris, "Сколько детей")
    tap(boris, "0")
    for question, answer in [
        ("ждёт ребёнка", "Нет"),
        ("инвалидностью", "Нет"),
        ("в одиночку", "Нет"),
        ("многодетной", "Нет"),
        ("опекун", "Нет"),
        ("прожиточного минимума", "Нет"),
        ("служит в армии", "Нет"),
    ]:
        await screen(boris, question)
        tap(boris, answer)
    await screen(boris, "профиль сохранён")
    boris.send_text("/cards")
    await bot_says(boris, "для координаторов")
    boris.send_text("/partner_new Моя фирма")
    await bot_says(boris, "для координаторов")
    boris.send_text("/partner")
    await bot_says(boris, "для организаций-партнёров")
    last = boris.last_message()
    for forged in ("cap:1:approve", "ofm:1:approve", "padm:1:invite:0", "pa:stats:", "rd:1:1"):
        query = boris.press(last, forged, forge=True)
        answer = await fake.wait_for(lambda q=query: boris.callback_answer(q), 5)
        assert "для координаторов" in answer.get("text", "") or "для организаций-партнёров" in answer.get(
            "text", ""
        )
    assert db_rows(cardbot, "SELECT count(*) FROM partners") == [(0,)]

    # a family without children in the profile is told why it cannot apply
    boris.send_text("/card")
    await bot_says(boris, "Оформление бесплатное")
    tap(boris, "Оформить карту")
    await screen(boris, "для семей с детьми")

    # Sverdlovsk asks no document: straight to the coordinator, who rejects with a reason
    olga = person(fake, "Ольга")
    await onboard(olga, "Свердловская область", menu=False)
    await fill_profile(olga, children="1")
    olga.send_text("/card")
    await bot_says(olga, "Оформление бесплатное")
    tap(olga, "Оформить карту")
    await screen(olga, "Семья с детьми")
    tap(olga, "Отправить заявку")
    await screen(olga, "заявка отправлена")
    coord.send_text("/cards")
    await bot_says(coord, "Заявок ждут решения: 1")
    tap(coord, "Заявки (1)")
    await screen(coord, "в этом регионе не нужен")
    tap(coord, "Отклонить")
    await screen(coord, "Почему заявка")
    tap(coord, "Написать свою причину")
    await screen(coord, "просто и бережно")
    coord.send_text("Пожалуйста, уточните число детей в профиле.")
    await bot_says(coord, "отклонена, семья получила сообщение")
    told = await bot_says(olga, "не одобрена")
    assert "уточните число детей" in text_of(told)
    assert await db_wait(
        fake, cardbot, "SELECT status, reason FROM card_applications", until=lambda r: r[0][0] != "submitted"
    ) == [("rejected", "Пожалуйста, уточните число детей в профиле.")]

    # offer moderation: a rejected offer never reaches families; the partner learns why
    vera, _token = await join_partner(fake, coord, "Студия рисования (тест)", "Вера")
    vera.send_text("/partner")
    await bot_says(vera, "партнёр программы")
    tap(vera, "Предложить скидку")
    await screen(vera, "шаг 1 из 8")
    tap(vera, "Образование и кружки")
    await screen(vera, "Шаг 2 из 8")
    vera.send_text("Пробное занятие")
    await bot_says(vera, "Шаг 3 из 8")
    vera.send_text("бесплатно")
    await bot_says(vera, "Шаг 4 из 8")
    vera.send_text("по записи")
    await bot_says(vera, "Шаг 5 из 8")
    tap(vera, "Только онлайн")
    await screen(vera, "Шаг 6 из 8")
    vera.send_text("01.01.2020")
    await bot_says(vera, "не раньше сегодняшней")
    tap(vera, "1 месяц")
    await screen(vera, "Шаг 7 из 8")
    tap(vera, "Все регионы")
    await screen(vera, "Шаг 8 из 8")
    tap(vera, "Многодетная семья")
    await has_button(vera, "✓ Многодетная семья")
    tap(vera, "Дальше »")
    await screen(vera, "Проверьте предложение")
    tap(vera, "Отправить на проверку")
    await screen(vera, "отправлено на проверку")
    await bot_says(coord, "ждёт проверки")
    tap(coord, "Рассмотреть")
    await screen(coord, "Пробное занятие")
    tap(coord, "Отклонить")
    await screen(coord, "почему предложение")
    coord.send_text("Укажите адрес студии.")
    await bot_says(coord, "не опубликовано, партнёр получил сообщение")
    told = await bot_says(vera, "не опубликовано")
    assert "Укажите адрес студии" in text_of(told)
    assert await db_wait(
        fake, cardbot, "SELECT status FROM partner_offers", until=lambda r: r[0][0] != "proposed"
    ) == [("rejected",)]

    # verification is rate-limited per partner user
    for _ in range(CHECKS_PER_MINUTE):
        await check(vera, "1234 5678 9012 3456", "Такой карты нет")
    await check(vera, "1234 5678 9012 3456", "Слишком много проверок")
    assert db_rows(cardbot, "SELECT count(*) FROM card_checks") == [(CHECKS_PER_MINUTE,)]
    wanted = {"card.application_rejected", "offer.rejected", "card.check_rate_limited", "partner.created"}
    await db_wait(fake, cardbot, "SELECT action FROM audit_log", until=lambda r: wanted <= {a for (a,) in r})
