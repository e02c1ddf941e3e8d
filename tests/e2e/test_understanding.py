"""Families type instead of pressing buttons: the bot understands and answers, and opens a request only when a
person is asked for (or chosen) — end to end, with the real bot process, new and consented families, ru and en."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.config import ROOT
from bot.services import measures as ms
from bot.services.catalog import load_catalog
from tests.e2e.flows import buttons, db_rows, db_wait, labels, onboard, screen, tap
from tests.e2e.test_desk import start_desk

CATALOGUE = ms.load_catalogue(ROOT / "data")
UNDERSTANDER = load_catalog(ROOT / "data").understander


def guess_title(key: str) -> str:
    return UNDERSTANDER.title(key, "ru")


@pytest.fixture
async def desk(fake, tmp_path):
    d = await start_desk(fake, tmp_path)
    yield d
    if d.bot.proc and d.bot.proc.poll() is None:
        await d.bot.stop()


def title(measure_id: str, lang: str = "ru") -> str:
    return CATALOGUE.measures[measure_id].title.get(lang)


def text_of(message: dict | None) -> str:
    return (message or {}).get("text") or (message or {}).get("caption") or ""


def cases(desk) -> list[tuple]:
    return db_rows(desk.bot, "SELECT id, specialty, tier, source FROM cases ORDER BY id")


async def answer_to(user, text: str, contains: str) -> dict:
    """Type `text` and wait for a NEW bot message containing `contains` (typed text is answered anew)."""
    before = len(user.messages())
    user.send_text(text)

    def check():
        msgs = user.messages()
        for msg in msgs[before:]:
            if contains in text_of(msg):
                return msg
        return None

    try:
        return await user.fake.wait_for(check, 8)
    except TimeoutError:
        raise AssertionError(
            f"{text!r}: no answer with {contains!r}; got {[text_of(m)[:80] for m in user.messages()[before:]]}"
        ) from None


async def settle(desk) -> None:
    """Give the bot time to (not) create a case or a topic."""
    await asyncio.sleep(0.8)


async def test_a_consented_family_types_everyday_questions(desk):
    maria = desk.family()
    await onboard(maria)

    # greetings, thanks, «ок»: a short reply and the menu, never a request
    for text, reply in [
        ("здравствуйте", "Здравствуйте!"),
        ("Спасибо большое!", "Пожалуйста!"),
        ("ок", "Хорошо."),
        ("до свидания", "Всего доброго"),
    ]:
        msg = await answer_to(maria, text, reply)
        assert "Что случилось" in labels(msg) and "Меры поддержки" in labels(msg)  # the menu
    await settle(desk)
    assert cases(desk) == [] and desk.ops.topics() == []

    # a measure: its card with the amount and «Спросить специалиста»
    card = await answer_to(maria, "сколько сейчас маткапитал", title("matkapital"))
    assert "Спросить специалиста" in labels(card) and "Как оформить" in labels(card)
    assert "₽" in card["text"] or "Точную сумму" in card["text"] or "проверим" in card["text"]
    # a typo and a life situation
    card = await answer_to(maria, "единое пасобие на ребенка", title("edinoe-posobie"))
    sit = await answer_to(maria, "у нас родился ребенок, что положено?", "Рождение ребёнка")
    assert title("posobie-pri-rozhdenii") in labels(sit) and "Спросить специалиста" in labels(sit)

    # contacts that fit, regional first
    contacts = await answer_to(maria, "адрес ближайшего центра", "Куда обратиться")
    body = contacts["text"]
    federal = [body.index(name) for name in ("112", "Социальный фонд", "АОЗС") if name in body]
    assert federal and body.index("Пензенской области") < min(federal)  # the region's own lines first
    helpline = await answer_to(maria, "номер телефона доверия", "Психологическая помощь")
    assert "Детский телефон доверия" in helpline["text"]

    # the family card, my requests, settings
    await answer_to(maria, "где моя семейная карта", "Семейная карта")
    await answer_to(maria, "мои обращения", "Обращений пока нет")
    await answer_to(maria, "хочу сменить регион", "Настройки")

    # a question a person answers best: an offer, not a request
    offer = await answer_to(maria, "бывший муж не платит алименты", "юрист")
    assert "Написать юристу" in labels(offer)
    await settle(desk)
    assert cases(desk) == [] and desk.ops.topics() == []

    # «хочу поговорить с юристом» opens a lawyer request; the message itself reaches the topic
    handed = await answer_to(maria, "Хочу поговорить с юристом", "передано")
    assert "передано юристу" in handed["text"]
    [(case_id, specialty, tier, source)] = await db_wait(
        desk.fake, desk.bot, "SELECT id, specialty, tier, source FROM cases"
    )
    assert (specialty, tier, source) == ("lawyer", 2, "message")
    thread = await desk.topic_of(case_id)
    await desk.in_topic(thread, lambda m: "Хочу поговорить с юристом" in text_of(m))
    card = await desk.in_topic(thread, lambda m: "Обращение №" in text_of(m))
    assert "Бот понял обращение так: Написать юристу" in card["text"]

    # inside the open request, text goes to the operator as before — even «спасибо»
    maria.send_text("спасибо, жду")
    await desk.in_topic(thread, lambda m: "спасибо, жду" in text_of(m))
    maria.send_text("сколько сейчас маткапитал")
    await desk.in_topic(thread, lambda m: "сколько сейчас маткапитал" in text_of(m))
    assert len(cases(desk)) == 1


COORD = 777_001


async def test_unclear_asks_once_and_writes_to_a_specialist_only_when_chosen(fake, tmp_path):
    desk = await start_desk(fake, tmp_path, COORDINATOR_IDS=str(COORD))
    try:
        await unclear_then_a_specialist(desk)
    finally:
        await desk.bot.stop()


async def unclear_then_a_specialist(desk):
    maria = desk.family()
    await onboard(maria)
    ask = await answer_to(maria, "вопрос по деньгам", "Не уверены, что правильно вас поняли")
    assert "Написать специалисту" in labels(ask)
    assert 2 <= len(labels(ask)) <= 5  # a few guesses, «Написать специалисту», the menu
    nonsense = await answer_to(maria, "абырвалг кукареку", "Не уверены, что правильно вас поняли")
    assert "Написать специалисту" in labels(nonsense)
    await settle(desk)
    assert cases(desk) == []
    # coordinators' count: themes only, no text, no family
    rows = db_rows(desk.bot, "SELECT theme, locale, region FROM unanswered_questions ORDER BY id")
    assert len(rows) == 2 and rows[1] == ("none", "ru", "RU-PNZ")
    assert all("деньгам" not in theme and "абырвалг" not in theme for theme, _l, _r in rows)
    coord = desk.fake.user(COORD, "Марина", language_code="ru")
    today = datetime.now(ZoneInfo("Europe/Moscow")).date()
    coord.send_text(f"/stats {today - timedelta(days=1)} {today + timedelta(days=1)} RU-PNZ")
    report = await coord.wait_for_message("Отчёт за", timeout=15)
    block = report["text"].split("Вопросы, на которые бот не ответил сам")[1]
    assert "бот не догадался: 1" in block
    assert f"{guess_title(rows[0][0])}: 1" in block
    assert "деньгам" not in report["text"] and "абырвалг" not in report["text"]

    # a guess button answers it
    guess = next(label for label in labels(ask) if label not in ("Написать специалисту", "« Меню"))
    tap(maria, guess)
    await desk.fake.wait_for(lambda: text_of(maria.last_message()) != text_of(ask), 5)
    assert cases(desk) == []

    # «Написать специалисту» opens a request to a social consultant
    tap(maria, "Написать специалисту")
    handed = await screen(maria, "передано")
    assert "передано социальному консультанту" in handed["text"]
    [(case_id, specialty, tier, _source)] = await db_wait(
        desk.fake, desk.bot, "SELECT id, specialty, tier, source FROM cases"
    )
    assert (specialty, tier) == ("social_consultant", 2)
    await desk.topic_of(case_id)


async def test_a_new_family_without_consent_gets_answers_but_no_request(desk):
    anna = desk.family()
    anna.send_text("/start")
    await screen(anna, "Семейное окно")
    for text, reply in [("здравствуйте", "Здравствуйте!"), ("спасибо", "Пожалуйста!")]:
        await answer_to(anna, text, reply)
    card = await answer_to(anna, "сколько сейчас маткапитал", title("matkapital"))
    assert "Спросить специалиста" in labels(card)
    await answer_to(anna, "телефон доверия", "Детский телефон доверия")
    # a person needs consent, as from the menu
    need = await answer_to(anna, "хочу поговорить с юристом", "нужно ваше согласие")
    assert "Прочитать и согласиться" in labels(need)
    await settle(desk)
    assert cases(desk) == [] and desk.ops.topics() == []
    assert db_rows(desk.bot, "SELECT count(*) FROM families") == [(0,)]  # nothing stored about her


async def test_english_family(desk):
    john = desk.family(language_code="en")
    await onboard_en(john)
    await answer_to(john, "hello", "Hello!")
    await answer_to(john, "thanks a lot", "You are welcome")
    card = await answer_to(john, "how much is maternity capital", title("matkapital", "en"))
    assert "Ask a specialist" in labels(card)
    await answer_to(john, "family mortgage", title("semeynaya-ipoteka", "en"))
    await answer_to(john, "helpline", "Children's helpline")
    await settle(desk)
    assert cases(desk) == []
    handed = await answer_to(john, "I need a psychologist for my teenager", "has been passed")
    assert "passed to a psychologist" in handed["text"]
    [(_id, specialty, _tier, _source)] = await db_wait(
        desk.fake, desk.bot, "SELECT id, specialty, tier, source FROM cases"
    )
    assert specialty == "psychologist"


async def onboard_en(user) -> None:
    user.send_text("/start")
    await screen(user, "Family Window")
    tap(user, "Continue")
    await screen(user, "agree")
    tap(user, next(label for label in labels(user.last_message()) if label.startswith("I agree")))
    await screen(user, "Which region")
    tap(user, "Penza Oblast")
    await screen(user, "about your family")
    tap(user, "Later, to the menu")
    await screen(user, "How can we help")


async def test_in_the_measures_section_text_is_still_a_search_but_thanks_is_not(desk):
    olga = desk.family()
    await onboard(olga)
    tap(olga, "Меры поддержки")
    await screen(olga, "Меры поддержки")
    found = await answer_to(olga, "маткапитал", "Вот что нашлось")
    assert labels(found)[0] == title("matkapital")
    await answer_to(olga, "спасибо", "Пожалуйста!")
    await settle(desk)
    assert cases(desk) == []
    assert db_rows(desk.bot, "SELECT count(*) FROM unanswered_questions") == [(0,)]
    tap(olga, "Меры поддержки")
    await screen(olga, "Меры поддержки")
    await answer_to(olga, "абырвалг", "ничего не нашли")  # the search found nothing: counted for coordinators
    await db_wait(
        desk.fake, desk.bot, "SELECT theme FROM unanswered_questions", until=lambda r: r == [("none",)]
    )
    assert not [b for m in olga.messages() for b in buttons(m) if "Вот что нашлось «спасибо»" in text_of(m)]


async def test_more_intents_and_buttons(desk):
    maria = desk.family()
    await onboard(maria)
    about = await answer_to(maria, "а ты вообще бот?", "Я бот «Семейного окна»")
    assert "Меры поддержки" in labels(about)
    section = await answer_to(maria, "какие выплаты нам положены", "Меры поддержки")
    assert "Подобрать меры" in labels(section)
    # in the section, text is a search again
    await answer_to(maria, "ипотека", "Вот что нашлось")
    # a forged button is refused politely
    forged = maria.press(maria.last_message(), "und:go:nope", forge=True)
    await desk.fake.wait_for(lambda: maria.callback_answer(forged), 5)
    assert "не работает" in maria.callback_answer(forged)["text"]
    forged = maria.press(maria.last_message(), "und:req:boss", forge=True)
    await desk.fake.wait_for(lambda: maria.callback_answer(forged), 5)
    assert "не работает" in maria.callback_answer(forged)["text"]
    # a suggestion becomes a request only when pressed
    offer = await answer_to(maria, "как взыскать алименты с бывшего мужа", "юрист")
    await settle(desk)
    assert cases(desk) == []
    tap(maria, "Написать юристу")
    handed = await screen(maria, "передано")
    assert "передано юристу" in handed["text"] and "Написать юристу" in labels(offer)
    [(case_id, specialty, tier, source)] = await db_wait(
        desk.fake, desk.bot, "SELECT id, specialty, tier, source FROM cases"
    )
    assert (specialty, tier, source) == ("lawyer", 2, "menu")
    card = await desk.in_topic(await desk.topic_of(case_id), lambda m: "Обращение №" in text_of(m))
    assert "Бот понял обращение так: Написать юристу" in card["text"]


async def test_asking_for_the_crisis_centre_opens_an_urgent_request(desk):
    maria = desk.family()
    await onboard(maria)
    handed = await answer_to(maria, "соедините с кризисным центром", "передано")
    assert "передано в кризисный центр" in handed["text"] and "112" in handed["text"]
    [(case_id, specialty, tier, _source)] = await db_wait(
        desk.fake, desk.bot, "SELECT id, specialty, tier, source FROM cases"
    )
    assert (specialty, tier) == (None, 3)
    assert db_rows(desk.bot, "SELECT urgency FROM cases") == [("emergency",)]
    await desk.topic_of(case_id, chat=desk.crisis)


async def test_a_new_english_family_is_answered_and_asked_for_consent_before_a_request(desk):
    kate = desk.family(language_code="en")
    kate.send_text("/start")
    await screen(kate, "Family Window")
    await answer_to(kate, "hi", "Hello!")
    await answer_to(kate, "maternity capital", title("matkapital", "en"))
    ask = await answer_to(kate, "zzzz qqqq", "I am not sure I understood you")
    assert "Write to a specialist" in labels(ask)
    tap(kate, "Write to a specialist")
    need = await screen(kate, "we need your consent")
    assert "Read and agree" in labels(need)
    await settle(desk)
    assert cases(desk) == [] and db_rows(desk.bot, "SELECT count(*) FROM families") == [(0,)]
