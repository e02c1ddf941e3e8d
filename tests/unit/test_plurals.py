"""Plural forms: the catalogues carry Plural-Forms (ru three forms, en two), messages where a number meets a noun
use them, and the check in `make i18n-check` catches a number next to a noun without one."""

from __future__ import annotations

import gettext
import io
import shutil
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.i18n_check import number_next_to_noun, problems
from bot.services.measures import format_money

LOCALES = Path(__file__).resolve().parents[2] / "locales"


def translations(locale: str) -> gettext.GNUTranslations:
    with (LOCALES / locale / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f, locale=locale)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, "Получили: 1 из 1 семьи"),
        (2, "Получили: 1 из 2 семей"),
        (5, "Получили: 1 из 5 семей"),
        (11, "Получили: 1 из 11 семей"),
        (21, "Получили: 1 из 21 семьи"),
        (22, "Получили: 1 из 22 семей"),
    ],
)
def test_russian_three_forms_after_a_number(n, expected):
    t = translations("ru")
    text = t.ngettext("Reached: {sent} of {total} family", "Reached: {sent} of {total} families", n)
    assert text.format(sent=1, total=n) == expected


@pytest.mark.parametrize(
    ("n", "word"), [(1, "семье"), (2, "семьям"), (4, "семьям"), (5, "семьям"), (21, "семье"), (111, "семьям")]
)
def test_russian_dative_forms(n, word):
    t = translations("ru")
    text = t.ngettext(
        "Send announcement № {id} now to <b>{count}</b> family?",
        "Send announcement № {id} now to <b>{count}</b> families?",
        n,
    ).format(id=7, count=n)
    assert text == f"Отправить рассылку № 7 сейчас — <b>{n}</b> {word}?"


@pytest.mark.parametrize(("n", "form"), [(1, "день"), (3, "дня"), (7, "дней"), (30, "дней"), (31, "день")])
def test_russian_days(n, form):
    t = translations("ru")
    assert t.ngettext("within {days} day", "within {days} days", n).format(days=n) == (
        f"за {'последний' if form == 'день' else 'последние'} {n} {form}"
    )


@pytest.mark.parametrize(("n", "word"), [(1, "family"), (2, "families"), (21, "families")])
def test_english_two_forms(n, word):
    t = translations("en")
    text = t.ngettext("Will reach: <b>{count}</b> family", "Will reach: <b>{count}</b> families", n)
    assert text.format(count=n) == f"Will reach: <b>{n}</b> {word}"


def test_catalogue_headers_have_plural_forms():
    for locale, forms in (("ru", 3), ("en", 2)):
        with (LOCALES / locale / "LC_MESSAGES" / "messages.po").open("rb") as f:
            catalog = read_po(f, locale=locale)
        assert catalog.num_plurals == forms
        assert f"nplurals={forms}" in (LOCALES / locale / "LC_MESSAGES" / "messages.po").read_text("utf-8")


@pytest.mark.parametrize(
    "text",
    [
        "Получили: {sent} из {total} семей",
        "Отправить сейчас — <b>{count}</b> семьям?",
        "Меры поддержки: подбор получили {screened} семей",
        "Ссылка действует {days} дней.",
    ],
)
def test_check_catches_a_number_next_to_a_noun(text):
    assert number_next_to_noun(text)


@pytest.mark.parametrize(
    "text",
    [
        "Обращение № {number} ждёт уже {minutes} мин",
        "Получат семей: <b>{count}</b>",
        "Рассылка № {id} отправляется.",
        "Ребёнок {n} из {total}: год рождения?",
        "Вашу заявку № {number} от {date} рассматривает координатор",
    ],
)
def test_check_leaves_fine_texts_alone(text):
    assert number_next_to_noun(text) == []


def test_shipped_catalogues_pass_the_check():
    assert problems(LOCALES) == []


def test_the_check_fails_a_catalogue_without_plural_forms_or_with_a_bare_number(tmp_path):
    copy = tmp_path / "locales"
    shutil.copytree(LOCALES, copy, ignore=shutil.ignore_patterns("*.mo"))
    ru = copy / "ru" / "LC_MESSAGES" / "messages.po"
    text = ru.read_text("utf-8")
    text = text.replace('"Plural-Forms: nplurals=3;', '"X-Plural-Forms: nplurals=3;', 1)
    text += '\nmsgid "Sent to {n} families"\nmsgstr "Отправлено {n} семьям"\n'
    ru.write_text(text, "utf-8")
    found = problems(copy)
    assert any("Plural-Forms" in p for p in found), found
    assert any("'{n} семьям'" in p for p in found), found


def test_amounts_keep_together():
    assert format_money(728921.90, "ru") == "728\u00a0921,90\u00a0₽"
    assert format_money(1013156.67, "ru") == "1\u00a0013\u00a0156,67\u00a0₽"


@pytest.mark.parametrize(
    ("days", "ru", "en"),
    [
        (1, "1 день", "1 day"),
        (3, "3 дня", "3 days"),
        (11, "11 дней", "11 days"),
        (21, "21 день", "21 days"),
        (365, "1 год", "1 year"),
        (1095, "3 года", "3 years"),
        (1825, "5 лет", "5 years"),
    ],
)
def test_the_services_own_words_take_plural_forms_from_the_catalogues(days, ru, en):
    """The domain services (no aiogram) read locales/ too (bot/services/texts.py): the privacy notice's retention
    periods and the screener's weeks and ages once had plural rules written by hand (and «1 weeks» in English)."""
    from bot.services.measures.formatting import _num_text
    from bot.services.privacy_notice import format_days

    assert (format_days(days, "ru"), format_days(days, "en")) == (ru, en)
    weeks = {1: ("1 неделя", "1 week"), 3: ("3 недели", "3 weeks"), 11: ("11 недель", "11 weeks")}
    if days in weeks:
        assert (_num_text(days, "weeks", "ru"), _num_text(days, "weeks", "en")) == weeks[days]


def test_the_services_own_sentences_are_read_from_the_catalogues():
    from bot.services.measures.engine import DISCLAIMER
    from bot.services.texts import gettext

    assert DISCLAIMER.ru == gettext(DISCLAIMER.en, "ru") != DISCLAIMER.en
    assert DISCLAIMER.ru.startswith("Бот не является госорганом")
    assert gettext("at most {amount}", "en") == gettext("up to {amount}", "en") == "up to {amount}"
    assert gettext("at most {amount}", "ru") == "не больше {amount}" != gettext("up to {amount}", "ru")
