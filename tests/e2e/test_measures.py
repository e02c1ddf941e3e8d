"""Support measures, end to end: the screener, the results, browsing and search, as families see them."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from bot.config import ROOT
from bot.services import measures as ms
from tests.e2e.flows import buttons, db_rows, db_wait, labels, onboard, screen, tap

CATALOGUE = ms.load_catalogue(ROOT / "data")


def title(measure_id: str, lang: str = "ru") -> str:
    return CATALOGUE.measures[measure_id].title.get(lang)


NBSP = "\u00a0"
THIS_YEAR = date.today().year
# Figures the catalogue holds but must never show (unverified or in conflict): the 2027 projections of the draft
# budget, the maternity leave range, the childcare minimum.
HIDDEN = [
    f"766{NBSP}693",
    f"1{NBSP}013{NBSP}156",
    f"29{NBSP}924",
    f"124{NBSP}702",
    f"10{NBSP}669",
    "766,693",
    "1,013,156",
]
MATCAP_2026 = [
    f"На первого ребёнка: 728{NBSP}921,90{NBSP}₽ с 1 февраля 2026 г. (по данным на 1 февраля 2026 г.)",
    f"Доплата на второго ребёнка: 234{NBSP}321,23{NBSP}₽ с 1 февраля 2026 г.",
    f"если на первого не получали: 963{NBSP}243,20{NBSP}₽ с 1 февраля 2026 г.",
]
REFUSED = "Эта кнопка уже не работает."


def datas(message: dict[str, Any] | None) -> list[str]:
    return [b.get("callback_data", "") for b in buttons(message or {})]


def press(user, data: str) -> str:
    """Press the button with this callback data on the newest bot message that has it."""
    for msg in reversed(user.messages()):
        if data in datas(msg):
            return user.press(msg, data)
    raise AssertionError(f"no button {data!r}; newest: {datas(user.last_message())}")


async def after(user, fake, before: list[str]) -> dict[str, Any]:
    """Wait until the newest bot message has other buttons than `before` (the screen changed)."""

    def changed():
        msg = user.last_message()
        return msg if msg is not None and datas(msg) != before else None

    try:
        return await fake.wait_for(changed, 5)
    except TimeoutError:
        raise AssertionError(f"the screen did not change: {user.last_message()}") from None


async def go(user, fake, data: str) -> dict[str, Any]:
    before = datas(user.last_message())
    press(user, data)
    return await after(user, fake, before)


async def run_screener(user, fake, answers: dict[str, str], years: list[int | str]) -> tuple[dict, list[str]]:
    """Answer the questions on screen by their data labels until the results come; returns (results, asked)."""
    msg = user.last_message()
    asked: list[str] = []
    years = list(years)
    for _ in range(30):
        question = [b for b in buttons(msg) if b.get("callback_data", "").startswith(("msq:", "msy:"))]
        if not question:
            return msg, asked
        first = question[0]["callback_data"]
        if first.startswith("msy:"):
            year = years.pop(0)
            index = first.split(":")[1]
            value = {"older": 0, "unknown": -1}[year] if isinstance(year, str) else year
            data = f"msy:{index}:{value}"
        else:
            qid = first.split(":")[1]
            asked.append(qid)
            assert qid in answers, f"unexpected question {qid!r}: {msg['text']!r}"
            found = [b for b in question if b["text"] == answers[qid]]
            assert found, f"{qid}: no option {answers[qid]!r} in {labels(msg)}"
            data = found[0]["callback_data"]
        before = datas(msg)
        user.press(msg, data)
        msg = await after(user, fake, before)
    raise AssertionError("the screener never ended")


def section(text: str, start: str, end: str | None) -> str:
    """The part of a results text between two headings."""
    assert start in text, f"{start!r} not in {text!r}"
    part = text.split(start, 1)[1]
    return part.split(end, 1)[0] if end and end in part else part


def everything(user) -> str:
    """Every text the family has seen, edits included."""
    texts = []
    for msg in user.messages():
        texts += [h.get("text") or "" for h in user.history(msg)] + [msg.get("text") or ""]
    return "\n".join(texts)


LIKELY, MAYBE, USEFUL = "Скорее всего положено", "Может быть положено — нужно уточнить", "Ещё полезно знать"


async def test_large_family_screener_results_why_save_and_specialist(bot, fake, new_user):
    anna = new_user()
    await onboard(anna)
    tap(anna, "Меры поддержки")
    await screen(anna, "маткапитал")
    assert labels(anna.last_message())[:3] == [
        "Подобрать меры",
        "По жизненной ситуации",
        "Федеральные / региональные",
    ]
    await go(anna, fake, "ms:start:")
    assert "Не знаю" in anna.last_message()["text"]  # the intro explains «Не знаю»
    answers = {
        "children_count": "3",
        "pregnant": "Нет",
        "applicant_activity": "Работаю",
        "income_level": "Не знаю",
        "zero_income_ok": "Не знаю",
        "property_ok": "Не знаю",
        "military_service": "Нет",
        "has_mortgage": "Да",
        "child_disability": "Нет",
    }
    results, asked = await run_screener(anna, fake, answers, [THIS_YEAR, 2020, 2015])
    assert asked[0] == "children_count" and "region" not in asked  # the region is known from onboarding
    assert len(asked) <= 8
    text = results["text"]
    likely = section(text, LIKELY, MAYBE)
    maybe = section(text, MAYBE, USEFUL)
    for measure in [
        "matkapital",
        "status-mnogodetnoy-semyi",
        "pnz-socialnaya-nyanya",
        "semeynaya-ipoteka",
        "nalogovyi-vychet-na-detey",
        "posobie-pri-rozhdenii",
    ]:
        assert title(measure) in likely, f"{measure} {asked} {text}"
    for measure in ["edinoe-posobie", "ezhegodnaya-semeynaya-vyplata"]:
        assert title(measure) in maybe and title(measure) not in likely, measure
    # eight questions at most: the mortgage was not asked, so the 450 000 ₽ repayment says what to check
    assert asked[-1] == "military_service"
    assert f"{title('ipoteka-450k')} — уточнить: ипотека" in maybe
    # nothing is past its review date: no blanket «may be out of date», the date of the data instead
    assert "Данные на 5 декабря 2026 г." in text and "устаревшей" not in text and "8-800-100-00-01" in text
    # the income question told what counts as income and where to find the region's minimum
    income_q = next(
        h["text"] for m in anna.messages() for h in anna.history(m) if "доход в месяц" in h.get("text", "")
    )
    assert "алименты" in income_q and "Прожиточный минимум на 2026 год" in income_q

    # a card with a shown figure: its year; a card with an unverified one: where to check instead
    card = await go(anna, fake, "msm:c:r:semeynaya-ipoteka")
    assert "Ставка: 6% (2026 г.; по данным на 1 февраля 2026 г.)" in card["text"]
    assert "Скорее всего положено" not in card["text"]
    assert "msm:w:r:semeynaya-ipoteka" in datas(card)
    await go(anna, fake, "ms:results:")
    card = await go(anna, fake, "msm:c:r:matkapital")
    assert all(figure in card["text"] for figure in MATCAP_2026), card["text"]
    how = await go(anna, fake, "msm:h:r:matkapital")
    assert "Как оформить: Материнский (семейный) капитал" in how["text"] and "Госуслуг" in how["text"]
    await go(anna, fake, "msm:c:r:matkapital")
    await go(anna, fake, "ms:results:")
    await go(anna, fake, "msm:c:r:ipoteka-450k")
    how = await go(anna, fake, "msm:h:r:ipoteka-450k")
    assert any("дом.рф" in (e.get("url") or "") for e in how.get("entities", [])), how
    await go(anna, fake, "msm:c:r:ipoteka-450k")
    await go(anna, fake, "ms:results:")
    card = await go(anna, fake, "msm:c:r:nalogovyi-vychet-na-detey")
    assert (
        f"На первого ребёнка: 1{NBSP}400{NBSP}₽ в месяц с 1 января 2025 г. (по данным на 6 января 2026"
        in card["text"]
    )
    await go(anna, fake, "ms:results:")
    # «Почему?» shows the trace
    await go(anna, fake, "msm:c:r:edinoe-posobie")
    why = await go(anna, fake, "msm:w:r:edinoe-posobie")
    assert "Почему: Единое пособие" in why["text"]
    assert "✓ Многодетная семья — Многодетная семья: да" in why["text"] and "? " in why["text"]
    await go(anna, fake, "msm:c:r:edinoe-posobie")
    await go(anna, fake, "ms:results:")

    # saving the summary sends a new message the family keeps; the results screen stays
    results_id = anna.last_message()["message_id"]
    press(anna, "ms:save:")
    summary = await anna.wait_for_message("Меры поддержки для вашей семьи")
    after_save = await anna.wait_for_message("Итог — в сообщении выше")
    assert summary["message_id"] > results_id and not buttons(summary)
    assert results_id not in [m["message_id"] for m in anna.messages()]  # the menu moved below the summary
    assert {"ms:ask:", "ms:results:", "ms:restart:"} <= set(datas(after_save))
    assert "Материнский (семейный) капитал" in summary["text"] and "Ставка: 6% (2026 г.;" in summary["text"]
    assert "sfr.gov.ru" in summary["text"] and "Окончательное решение" in summary["text"]
    for figure in HIDDEN:
        assert figure not in everything(anna), figure

    # profile answers given in the screener are kept; the rest is not
    [(profile,)] = await db_wait(
        fake,
        bot,
        "SELECT profile FROM families WHERE tg_user_id = ?",
        anna.id,
        until=lambda rows: "pregnant" in rows[0][0],
    )
    expected = {"children_count": 3, "children_birth_years": [THIS_YEAR, 2020, 2015], "pregnant": False}
    if "child_disability" in asked:
        expected["child_disability"] = False
    assert json.loads(profile) == expected

    # «Спросить специалиста» records a request with the screener answers
    press(anna, "ms:ask:")
    await screen(anna, "передано социальному консультанту")
    [(tier, specialty, category, source, summary_json)] = await db_wait(
        fake, bot, "SELECT tier, specialty, category, source, summary FROM cases"
    )
    assert (tier, specialty, category, source) == (2, "social_consultant", "social_benefits", "screener")
    saved = json.loads(summary_json)
    assert saved["screener"]["income_level"] is None and saved["screener"]["applicant_activity"] == "employed"
    assert "matkapital" in saved["likely"] and "edinoe-posobie" not in saved["likely"]

    # the family's own region for browsing by level
    await go(anna, fake, "ms:results:")
    await go(anna, fake, "ms:menu:")
    levels = await go(anna, fake, "ms:lvl:")
    assert "Пензенская область" in levels["text"] and "ms:lvl:regional" in datas(levels)

    # a new run does not ask again what the profile already knows
    await go(anna, fake, "ms:menu:")
    question = await go(anna, fake, "ms:start:")
    first = next(d for d in datas(question) if d.startswith("msq:"))
    assert first.split(":")[1] == "applicant_activity", question["text"]


async def test_before_consent_screener_browse_search_and_forged_buttons(bot, fake, new_user):
    """A pregnant mother who has not given consent: everything works, nothing about her is stored."""
    olga = new_user(first_name="Ольга")
    olga.send_text("/start")
    await screen(olga, "Семейное окно")
    tap(olga, "Продолжить")
    await screen(olga, "согласны")
    tap(olga, "Не сейчас")
    await screen(olga, "Чем мы можем помочь")
    tap(olga, "Меры поддержки")
    await screen(olga, "маткапитал")
    await go(olga, fake, "ms:start:")
    assert "не сохраняем" in olga.last_message()["text"]
    answers = {
        "region": "Пензенская обл.",
        "children_count": "1",
        "pregnant": "Да",
        "pregnancy_weeks": "12–25 недель",
        "registered_before_12w": "Да",
        "applicant_activity": "Работаю",
        "income_level": "Больше",
        "military_service": "Нет",
        "child_disability": "Нет",
        "has_mortgage": "Нет",
    }
    results, asked = await run_screener(olga, fake, answers, [2022])
    assert asked[:2] == ["region", "children_count"] and "pregnancy_weeks" in asked
    likely = section(results["text"], LIKELY, MAYBE)
    assert title("posobie-po-beremennosti-i-rodam") in likely and title("matkapital") in likely
    assert "призыв" not in likely  # nobody serves in the army
    card = await go(olga, fake, "msm:c:r:posobie-po-beremennosti-i-rodam")
    assert "(2026 г.; по данным на" in card["text"] and "Почему?" in labels(card)
    # the 2026 maximum is sourced (a Social Fund post, the Fund's head, ТАСС); the minimum is in conflict, hidden
    assert f"не больше 955{NBSP}836{NBSP}₽ за весь отпуск" in card["text"], card["text"]
    for figure in HIDDEN:
        assert figure not in everything(olga), figure
    # a request to a specialist needs consent first
    await go(olga, fake, "ms:results:")
    consent = await go(olga, fake, "ms:ask:")
    assert "согласие" in consent["text"] and "consent:ask" in datas(consent)

    # browsing by life situation: the card has no «Почему?», and «Назад» returns to the list
    await go(olga, fake, "ms:results:")
    await go(olga, fake, "ms:menu:")
    sits = await go(olga, fake, "ms:sits:")
    assert "Рождение ребёнка" in labels(sits)
    birth = await go(olga, fake, "ms:sit:birth")
    assert title("matkapital") in labels(birth) and "оформляются сами" in birth["text"]
    card = await go(olga, fake, "msm:c:b:matkapital")
    assert title("matkapital") in card["text"] and all(figure in card["text"] for figure in MATCAP_2026)
    assert "Почему?" not in labels(card) and "msm:w:b:matkapital" not in datas(card)
    more = await go(olga, fake, "msm:d:b:matkapital")
    assert "Кому положено" in more["text"]
    await go(olga, fake, "msm:c:b:matkapital")
    back = await go(olga, fake, "ms:back:")
    assert back["text"] == birth["text"]
    # by level: the region she chose in the screener is kept for the session
    await go(olga, fake, "ms:sits:")
    await go(olga, fake, "ms:menu:")
    levels = await go(olga, fake, "ms:lvl:")
    assert "Пензенская область" in levels["text"]
    regional = await go(olga, fake, "ms:lvl:regional")
    assert labels(regional)[0] == title("pnz-socialnaya-nyanya")
    await go(olga, fake, "ms:lvl:")
    federal = await go(olga, fake, "ms:lvl:federal")
    assert title("semeynaya-ipoteka") in labels(federal) and title("pnz-socialnaya-nyanya") not in labels(
        federal
    )

    # search: free text while in the section, typos included
    olga.send_text("материнский капитал")
    found = await olga.wait_for_message("Вот что нашлось")
    assert labels(found)[0] == title("matkapital")
    card = await go(olga, fake, next(d for d in datas(found) if d.endswith(":matkapital")))
    assert all(figure in card["text"] for figure in MATCAP_2026), card["text"]  # the 2026 amounts, with dates
    assert "устаревшей" not in card["text"]
    olga.send_text("маткапитал")
    found = await olga.wait_for_message("Вот что нашлось")
    assert labels(found)[0] == title("matkapital")
    olga.send_text("единое пасобие")
    found = await olga.wait_for_message("Вот что нашлось")
    assert labels(found)[0] == title("edinoe-posobie")
    olga.send_text("<b>абырвалг</b>")
    nothing = await olga.wait_for_message("ничего не нашли")
    assert "<b>абырвалг</b>" in nothing["text"]  # shown as typed: escaped, not bold
    assert {"ms:start:", "ms:sits:", "ms:lvl:"} <= set(datas(nothing))

    # forged and stale buttons are refused politely
    forged = [
        "msm:c:b:nope",
        "msm:w:b:matkapital",
        "msm:c:r:gosuslugi-krizisnaya-situaciya",
        "msm:x:b:matkapital",
        "msm:c:z:matkapital",
        "ms:sit:nope",
        "ms:lvl:RU-XXX",
        "ms:hack:",
        "ms:done:",
    ]
    for data in forged:
        qid = olga.press(nothing, data, forge=True)
        call = await fake.wait_for_call(
            "answerCallbackQuery", lambda c, q=qid: c.params["callback_query_id"] == q
        )
        assert call.params.get("text") in (REFUSED, "Этот вопрос с прошлого экрана."), data
    for data in ["msq:children_count:1", "msy:0:2020", "msq:x:y", "msm:c"]:
        qid = olga.press(nothing, data, forge=True)
        await fake.wait_for_call("answerCallbackQuery", lambda c, q=qid: c.params["callback_query_id"] == q)
    assert db_rows(bot, "SELECT count(*) FROM families") == [(0,)]
    assert db_rows(bot, "SELECT count(*) FROM cases") == [(0,)]


async def test_english_family_screener_and_search(bot, fake, new_user):
    john = new_user("en", "John")
    john.send_text("/start")
    await screen(john, "Family Window")
    tap(john, "Continue")
    await screen(john, "Do you agree?")
    tap(john, "I agree")
    await screen(john, "Which region")
    tap(john, "Penza Oblast")
    await screen(john, "Region: Penza Oblast")
    tap(john, "Later, to the menu")
    await screen(john, "How can we help")
    tap(john, "Support measures")
    await screen(john, "for example: maternity capital")
    await go(john, fake, "ms:start:")
    answers = {
        "children_count": "2",
        "pregnant": "No",
        "applicant_activity": "I work",
        "income_level": "Don't know",
        "zero_income_ok": "Don't know",
        "property_ok": "Don't know",
        "military_service": "No",
        "child_disability": "No",
        "has_mortgage": "No",
    }
    results, _asked = await run_screener(john, fake, answers, [2025, 2021])
    text = results["text"]
    assert "Most likely available" in text and "Maternity (family) capital" in text
    assert "Данные" not in text and "Data as of 5 December 2026." in text
    card = await go(john, fake, "msm:c:r:nalogovyi-vychet-na-detey")
    assert (
        f"For the first child: 1,400{NBSP}₽ a month from 1 January 2025 (as of 6 January 2026)"
        in card["text"]
    )
    assert "Why?" in labels(card) and "How to apply" in labels(card)
    for figure in HIDDEN:
        assert figure not in everything(john), figure
    await go(john, fake, "ms:results:")
    # «Start again»: the children are in the profile now, so the first question is about work
    again = await go(john, fake, "ms:restart:")
    assert next(d for d in datas(again) if d.startswith("msq:")).startswith("msq:applicant_activity:")
    await go(john, fake, "nav:menu")
    await go(john, fake, "nav:measures")
    john.send_text("family mortgage")
    found = await john.wait_for_message("Here is what we found")
    assert labels(found)[0] == "Family mortgage"
