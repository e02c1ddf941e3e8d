"""Screener rules pinned with edge cases (screening date 2026-11-22 unless stated)."""

from __future__ import annotations

import dataclasses
import re
from datetime import date

import pytest

from bot.services import measures as ms
from bot.services.measures.facts import Interval, child_age_months, resolve_facts
from bot.services.measures.models import PmTable

ON = date(2026, 11, 22)


@pytest.fixture(scope="module")
def cat() -> ms.Catalogue:
    return ms.default_catalogue()


def group(
    cat: ms.Catalogue, facts: dict, measure_id: str, *, region: str | None = None, on: date = ON
) -> str:
    r = ms.screen(facts, region, on, cat).find(measure_id)
    assert r is not None, f"{measure_id} not screened"
    return r.group


# --------------------------------------------------------------------------------------------------------- ages


def test_age_from_exact_birth_date_counts_full_months():
    assert child_age_months(on=ON, born=date(2023, 11, 22)) == Interval(36, 36)  # turns 3 today
    assert child_age_months(on=ON, born=date(2023, 11, 23)) == Interval(35, 35)  # turns 3 tomorrow


def test_age_from_birth_year_is_a_range():
    iv = child_age_months(on=ON, year=2023)
    assert iv == Interval(34, 46)


def test_birth_year_in_future_is_ignored():
    assert child_age_months(on=ON, year=2027) is None


# ------------------------------------------------------------------------------------- child turning 3 / 1.5 / 18


CONSCRIPT = {"military_service": "conscript", "pregnant": False}


def test_conscript_child_benefit_stops_on_the_third_birthday(cat):
    turns_3_today = {**CONSCRIPT, "children_birth_dates": ["2023-11-22"]}
    turns_3_tomorrow = {**CONSCRIPT, "children_birth_dates": ["2023-11-23"]}
    assert group(cat, turns_3_today, "posobie-rebenku-prizyvnika") == "other"
    assert group(cat, turns_3_tomorrow, "posobie-rebenku-prizyvnika") == "likely"


def test_birth_year_straddling_age_3_gives_maybe(cat):
    r = ms.screen({**CONSCRIPT, "children_birth_years": [2023]}, None, ON, cat).find(
        "posobie-rebenku-prizyvnika"
    )
    assert r.group == "maybe"
    assert [t.fact for t in r.unknown] == ["youngest_child_age"]
    assert "2 года 10 мес. – 3 года 10 мес." in r.unknown[0].detail.ru
    assert r.ask_facts == []  # birth years are known: no question can make it more precise


def test_childcare_benefit_stops_at_one_and_a_half(cat):
    base = {"applicant_activity": "employed"}
    assert group(cat, {**base, "children_birth_dates": ["2025-05-22"]}, "posobie-po-uhodu-do-1-5") == "other"
    assert group(cat, {**base, "children_birth_dates": ["2025-05-23"]}, "posobie-po-uhodu-do-1-5") == "likely"


def test_tax_deduction_child_turning_18_today(cat):
    base = {"applicant_activity": "employed", "adult_child_student": False}
    assert (
        group(cat, {**base, "children_birth_dates": ["2008-11-22"]}, "nalogovyi-vychet-na-detey") == "other"
    )
    assert (
        group(cat, {**base, "children_birth_dates": ["2008-11-23"]}, "nalogovyi-vychet-na-detey") == "likely"
    )


def test_tax_deduction_adult_student_unknown_is_maybe(cat):
    facts = {"applicant_activity": "employed", "children_birth_dates": ["2005-01-10"]}
    r = ms.screen(facts, None, ON, cat).find("nalogovyi-vychet-na-detey")
    assert r.group == "maybe"
    assert [t.fact for t in r.unknown] == ["adult_child_student"]


EDINOE_OK = {"income_level": "below_pm", "zero_income_ok": True, "property_ok": True, "pregnant": False}


def test_unified_benefit_age_17_is_unconfirmed(cat):
    # turns 17 today: the research has not confirmed whether age 17 is covered → maybe, never likely
    r = ms.screen({**EDINOE_OK, "children_birth_dates": ["2009-11-22"]}, None, ON, cat).find("edinoe-posobie")
    assert r.group == "maybe"
    assert any(t.kind == "unconfirmed" for t in r.unknown)
    assert group(cat, {**EDINOE_OK, "children_birth_dates": ["2009-11-23"]}, "edinoe-posobie") == "likely"
    assert group(cat, {**EDINOE_OK, "children_birth_dates": ["2008-11-22"]}, "edinoe-posobie") == "other"


# ------------------------------------------------------------------------------------------ 450 000 ₽ mortgage


@pytest.mark.parametrize(
    ("years", "expected"),
    [
        ([2010, 2015, 2018], "other"),  # third child born before 2019
        ([2010, 2015, 2018, 2020], "likely"),  # the fourth child counts («третий или последующий»)
        ([2010, 2015, 2019], "likely"),  # born on or after 01.01.2019
        ([2019, 2020], "other"),  # only two children
        ([2000, 2003, 2019], "likely"),  # ages of the older children do not matter
    ],
)
def test_450k_third_child_born_2019_2030(cat, years, expected):
    assert group(cat, {"children_birth_years": years, "has_mortgage": True}, "ipoteka-450k") == expected


def test_450k_unknown_birth_years_is_maybe(cat):
    r = ms.screen(
        {"children_count": 3, "children_birth_years": [2010, 2015], "has_mortgage": True}, None, ON, cat
    )
    assert r.find("ipoteka-450k").group == "maybe"


def test_450k_needs_a_mortgage(cat):
    assert (
        group(cat, {"children_birth_years": [2010, 2015, 2020], "has_mortgage": False}, "ipoteka-450k")
        == "other"
    )
    r = ms.screen({"children_birth_years": [2010, 2015, 2020]}, None, ON, cat).find("ipoteka-450k")
    assert r.group == "maybe" and r.ask_facts == ["has_mortgage"]


# ------------------------------------------------------------------------------------------------ pregnancy


PREG = {**EDINOE_OK, "pregnant": True, "children_count": 0}


def test_pregnancy_under_12_weeks_can_still_register(cat):
    assert group(cat, {**PREG, "pregnancy_weeks": [0, 11]}, "edinoe-posobie") == "likely"
    assert group(cat, {**PREG, "pregnancy_weeks": 11}, "edinoe-posobie") == "likely"


def test_pregnancy_registered_late_is_not_eligible(cat):
    facts = {**PREG, "pregnancy_weeks": 12, "registered_before_12w": False}
    r = ms.screen(facts, None, ON, cat).find("edinoe-posobie")
    assert r.group == "other"
    assert any(t.fact == "registered_before_12w" for t in r.failed)


def test_pregnancy_registration_unknown_is_maybe(cat):
    r = ms.screen({**PREG, "pregnancy_weeks": [12, 25]}, None, ON, cat).find("edinoe-posobie")
    assert r.group == "maybe"
    assert "registered_before_12w" in r.ask_facts


@pytest.mark.parametrize(
    ("weeks", "expected"),
    [
        (24, "other"),
        (25, "maybe"),
        (26, "likely"),
        ([12, 25], "maybe"),
        ([26, 42], "likely"),
        ([0, 11], "other"),
    ],
)
def test_conscript_wife_180_days(cat, weeks, expected):
    facts = {"pregnant": True, "pregnancy_weeks": weeks, "military_service": "conscript"}
    assert group(cat, facts, "posobie-beremennoy-zhene-prizyvnika") == expected


def test_maternity_benefit_for_students_and_employed(cat):
    assert (
        group(cat, {"pregnant": True, "applicant_activity": "student"}, "posobie-po-beremennosti-i-rodam")
        == "likely"
    )
    assert (
        group(cat, {"pregnant": True, "applicant_activity": "not_working"}, "posobie-po-beremennosti-i-rodam")
        == "maybe"
    )
    assert group(cat, {"pregnant": False}, "posobie-po-beremennosti-i-rodam") == "other"


# --------------------------------------------------------------------------------------------------- income


def _with_pm(cat: ms.Catalogue, per_capita: float) -> ms.Catalogue:
    """A test catalogue where Penza has a (fictional, test-only) ПМ per capita."""
    t = cat.pm[2026].model_dump()
    t["regions"]["RU-PNZ"]["per_capita"] = {"value": per_capita, "status": "sourced", "sources": ["piter-tv"]}
    return dataclasses.replace(cat, pm={2026: PmTable.model_validate(t)})


def test_shipped_pm_is_unknown_so_threshold_is_none(cat):
    for region in ("RU-PNZ", "RU-SVE", "RU-MOW", None, "RU-XXX"):
        assert ms.income_threshold(region, 4, 2026, cat) is None
    # Volgograd's 2026 per-capita minimum is sourced (16 288 ₽): a family of four, 4 × 16 288 ₽
    assert ms.income_threshold("RU-VGG", 4, 2026, cat) == 4 * 16288
    assert "соцзащиты" in ms.pm_check_where("RU-PNZ", 2026, cat).ru


def test_income_threshold_is_pm_times_family_size(cat):
    c = _with_pm(cat, 15000)
    assert ms.income_threshold("RU-PNZ", 4, 2026, c) == 60000
    assert ms.income_threshold("RU-PNZ", 4, 2025, c) is None


def test_income_exactly_at_threshold_is_not_below(cat):
    c = _with_pm(cat, 15000)
    assert ms.income_level_for(59999.99, "RU-PNZ", 4, 2026, c) == "below_pm"
    assert ms.income_level_for(60000, "RU-PNZ", 4, 2026, c) == "pm_to_1_1"
    assert ms.income_level_for(66000, "RU-PNZ", 4, 2026, c) == "pm_to_1_1"
    assert ms.income_level_for(90000, "RU-PNZ", 4, 2026, c) == "pm_1_1_to_1_5"
    assert ms.income_level_for(90000.01, "RU-PNZ", 4, 2026, c) == "above_1_5"
    kids = {
        "children_birth_years": [2015, 2020],
        "zero_income_ok": True,
        "property_ok": True,
        "pregnant": False,
    }
    at = ms.income_level_for(60000, "RU-PNZ", 4, 2026, c)
    assert group(c, {**kids, "income_level": at}, "edinoe-posobie") == "other"
    below = ms.income_level_for(59999, "RU-PNZ", 4, 2026, c)
    assert group(c, {**kids, "income_level": below}, "edinoe-posobie") == "likely"


def test_large_family_keeps_unified_benefit_up_to_10_percent_above(cat):
    facts = {
        "children_birth_years": [2012, 2015, 2020],
        "zero_income_ok": True,
        "property_ok": True,
        "pregnant": False,
    }
    r = ms.screen({**facts, "income_level": "pm_to_1_1"}, None, ON, cat).find("edinoe-posobie")
    assert r.group == "likely"
    assert any("один раз" in t.ru for t in r.self_check)
    assert group(cat, {**facts, "income_level": "pm_1_1_to_1_5"}, "edinoe-posobie") == "other"


def test_annual_family_payment_income_1_5_pm(cat):
    facts = {"children_birth_years": [2015, 2020], "applicant_activity": "employed"}
    assert group(cat, {**facts, "income_level": "pm_1_1_to_1_5"}, "ezhegodnaya-semeynaya-vyplata") == "likely"
    assert group(cat, {**facts, "income_level": "above_1_5"}, "ezhegodnaya-semeynaya-vyplata") == "other"
    assert group(cat, {**facts, "income_level": None}, "ezhegodnaya-semeynaya-vyplata") == "maybe"
    self_emp = {**facts, "income_level": "below_pm", "applicant_activity": "self_employed"}
    assert group(cat, self_emp, "ezhegodnaya-semeynaya-vyplata") == "other"


def test_low_income_from_profile_counts_as_below_pm(cat):
    facts = {"children_birth_years": [2020], "low_income": True, "zero_income_ok": True, "property_ok": True}
    assert group(cat, {**facts, "pregnant": False}, "edinoe-posobie") == "likely"


def test_income_question_shows_threshold_only_when_known(cat):
    q = cat.question("income_level")
    facts = {"region": "RU-PNZ", "children_count": 2, "adults_count": 2}
    shipped = ms.render_question(q, facts, "ru", cat, ON)
    assert "₽" not in shipped.text and "соцзащиты" in shipped.hint
    known = ms.render_question(q, facts, "ru", _with_pm(cat, 15000), ON)
    assert "60\u00a0000\u00a0₽" in known.text
    assert known.options[0] == ("Меньше 60\u00a0000\u00a0₽", "below_pm")
    assert known.options[-1][1] is None  # «не знаю»


# ------------------------------------------------------------------------------------------- unknown → maybe


def test_nothing_known_gives_no_likely(cat):
    r = ms.screen({}, None, ON, cat)
    assert r.likely == []
    assert r.maybe
    assert r.ask_next  # what to ask to resolve them
    assert r.regional_note is not None and r.disclaimer.ru.startswith("Бот не является госорганом")


def test_dont_know_answer_is_explained(cat):
    r = ms.screen({"pregnant": None, "children_count": 0}, None, ON, cat).find(
        "posobie-po-beremennosti-i-rodam"
    )
    assert r.group == "maybe"
    assert "«не знаю»" in r.unknown[0].detail.ru
    r2 = ms.screen({"children_count": 0}, None, ON, cat).find("posobie-po-beremennosti-i-rodam")
    assert "не ответили" in r2.unknown[0].detail.ru


def test_trace_has_ru_and_en_for_every_item(cat):
    facts = {"children_birth_years": [2019, 2021, 2024], "income_level": "below_pm", "pregnant": False}
    for r in ms.screen(facts, "RU-PNZ", ON, cat).all:
        assert r.trace
        for t in r.trace:
            assert t.label.ru and t.label.en
        assert r.why("ru") and r.why("en") and r.why("en", full=True)


def test_why_short_hides_undecisive_branches(cat):
    facts = {**EDINOE_OK, "children_birth_years": [2018]}
    r = ms.screen(facts, None, ON, cat).find("edinoe-posobie")
    assert r.group == "likely"
    assert "12 недель" not in r.why("ru")  # the pregnancy branch did not decide anything
    assert "12 недель" in r.why("ru", full=True)


# ------------------------------------------------------------------------------------- amounts and honesty


def test_unverified_amount_is_not_exposed(cat):
    # from 1 February 2027 only the draft-budget projection exists: hidden, the card says where to check
    on = date(2027, 2, 1)
    r = ms.screen({"children_birth_years": [2026]}, None, on, cat).find("matkapital")
    assert r.amounts == [] and r.amount_display("ru") is None and r.amount_display("en") is None
    assert r.amount_hidden
    assert "sfr.gov.ru" in r.check_where.ru
    assert ms.amount_display(cat.measure("matkapital"), "ru", on) is None


def test_no_unverified_number_appears_in_any_displayed_text(cat):
    for m in cat.measures.values():
        for on in (date(2025, 6, 1), date(2026, 1, 15), ON, date(2027, 1, 1), date(2027, 2, 1)):
            shown = " ".join(filter(None, [ms.amount_display(m, "ru", on), ms.amount_display(m, "en", on)]))
            for a in m.amounts:
                if a.status == "unverified" and a.value is not None:
                    for lang in ("ru", "en"):
                        assert ms.format_money(a.value, lang) not in shown, (m.id, a.id)


def test_sourced_amount_has_year_and_caveat(cat):
    r = ms.screen({**CONSCRIPT, "children_birth_years": [2025]}, None, ON, cat).find(
        "posobie-rebenku-prizyvnika"
    )
    assert r.amount_display("ru") == (
        "19\u00a0308,96\u00a0₽ в месяц с 1 февраля 2026 г. (по данным на 2 февраля 2026 г.)"
    )
    assert r.amount_display("en") == "19,308.96\u00a0₽ a month from 1 February 2026 (as of 2 February 2026)"
    assert r.amount_caveat is not None and not r.amounts[0].verified


def test_january_shows_last_years_amount(cat):
    m = cat.measure("posobie-rebenku-prizyvnika")
    assert ms.amount_display(m, "ru", date(2026, 1, 15)) == (
        "18\u00a0285\u00a0₽ в месяц с 1 февраля 2025 г. (по данным на 5 декабря 2026 г.)"
    )
    birth = cat.measure("posobie-pri-rozhdenii")
    assert "26\u00a0941,71" in ms.amount_display(birth, "ru", date(2026, 1, 15))


def test_amount_after_validity_is_not_shown(cat):
    m = cat.measure("posobie-rebenku-prizyvnika")
    assert ms.amount_display(m, "ru", date(2027, 3, 1)) is None


def test_stale_records_are_flagged(cat):
    m = cat.measure("matkapital")
    late = ms.evaluate_measure(m, ms.resolve_facts({}, date(2027, 2, 2)), date(2027, 2, 2), cat)
    assert late.stale and "5 декабря 2026 г." in late.stale_note.ru
    now = ms.evaluate_measure(m, ms.resolve_facts({}, ON), ON, cat)
    assert not now.stale and now.stale_note is None


# ------------------------------------------------------------------------------- periods: 2026 and 2027

MATCAP = {
    "first_child": (728921.90, 766693.30),
    "second_child_if_none": (963243.20, 1013156.67),
}


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (date(2026, 1, 31), None),  # before the 2026 indexation: no 2025 matcap figure is kept
        (date(2026, 2, 1), 2026),
        (date(2026, 11, 22), 2026),
        (date(2027, 1, 1), 2026),
        (date(2027, 1, 31), 2026),
        (date(2027, 2, 1), 2027),
        (date(2027, 9, 1), 2027),
    ],
)
def test_matcap_amount_in_force_on_the_day(cat, on, expected):
    m = cat.measure("matkapital")
    picked = {a.id: a for a in m.amounts_on(on)}
    if expected is None:
        assert picked == {}
        return
    assert {a.year for a in picked.values()} == {expected}
    for aid, (y2026, y2027) in MATCAP.items():
        assert picked[aid].value == (y2026 if expected == 2026 else y2027)
    views, hidden = ms.amount_views(m, on)
    if expected == 2026:  # sourced: shown, with their period
        assert not hidden and all("с 1 февраля 2026 г." in v.text.ru for v in views)
        assert "728\u00a0921,90\u00a0₽" in ms.amount_display(m, "ru", on)
    else:  # 2027: a draft-budget projection, never shown as a figure
        assert hidden and views == []


@pytest.mark.parametrize(
    ("on", "shown"),
    [
        (date(2026, 1, 31), "26\u00a0941,71\u00a0₽"),
        (date(2026, 2, 1), "28\u00a0450,45\u00a0₽"),
        (date(2027, 1, 31), "28\u00a0450,45\u00a0₽"),
        (date(2027, 2, 1), None),
    ],
)
def test_birth_grant_in_force_on_the_day_in_the_screener(cat, on, shown):
    facts = {"children_birth_years": [on.year], "applicant_activity": "employed"}
    r = ms.screen(facts, None, on, cat).find("posobie-pri-rozhdenii")
    text = r.amount_display("ru") or ""
    if shown is None:
        assert "При рождении ребёнка" not in text and r.amount_hidden
    else:  # the grant for a birth comes first, before the adoption amount
        assert text.startswith(f"При рождении ребёнка: {shown}"), text


# ---------------------------------------------------------------------------------------------- regions


def test_regional_measure_only_in_its_region(cat):
    facts = {"children_birth_years": [2025], "single_parent": True}
    assert group(cat, facts, "pnz-socialnaya-nyanya", region="RU-PNZ") == "likely"
    assert ms.screen(facts, "RU-MOW", ON, cat).find("pnz-socialnaya-nyanya") is None
    assert ms.screen(facts, None, ON, cat).find("pnz-socialnaya-nyanya") is None
    r = ms.screen(facts, "RU-MOW", ON, cat)
    assert r.region_name.ru == "Москва" and "пока только" in r.regional_note.ru
    assert ms.screen(facts, "RU-PNZ", ON, cat).likely[0].level_label.ru == "Мера региона: Пензенская область"


def test_region_from_facts_and_other(cat):
    assert ms.screen({"region": "RU-PNZ"}, None, ON, cat).region == "RU-PNZ"
    assert ms.screen({}, "other", ON, cat).region is None


def test_non_screened_measures_are_not_in_results(cat):
    r = ms.screen({"children_birth_years": [2010, 2012, 2015]}, None, ON, cat)
    ids = {x.measure.id for x in r.all}
    assert "gosuslugi-krizisnaya-situaciya" not in ids and "yuridicheskaya-pomoshch-mnogodetnym" not in ids


def test_family_mortgage_rules(cat):
    assert group(cat, {"children_birth_years": [2021]}, "semeynaya-ipoteka") == "likely"
    assert (
        group(cat, {"children_birth_years": [2017], "child_disability": False}, "semeynaya-ipoteka")
        == "other"
    )
    assert (
        group(cat, {"children_birth_years": [2010], "child_disability": True}, "semeynaya-ipoteka")
        == "likely"
    )
    # born 2019 and on 2026-11-22 aged 6 or 7 → not under 6
    assert (
        group(cat, {"children_birth_years": [2019], "child_disability": False}, "semeynaya-ipoteka")
        == "other"
    )
    # born 2020: 5 y 10 m – 6 y 10 m → maybe
    assert (
        group(cat, {"children_birth_years": [2020], "child_disability": False}, "semeynaya-ipoteka")
        == "maybe"
    )


def test_matcap_birth_rules(cat):
    assert group(cat, {"children_birth_years": [2019]}, "matkapital") == "other"  # first child before 2020
    assert group(cat, {"children_birth_years": [2020]}, "matkapital") == "likely"
    assert group(cat, {"children_birth_years": [2005, 2008]}, "matkapital") == "likely"
    assert group(cat, {"children_count": 0}, "matkapital") == "other"


# --------------------------------------------------------------------------------------------- questions


def test_missing_questions_skip_profile_facts(cat):
    profile = {"children_birth_years": [2018, 2021], "pregnant": False, "region": "RU-SVE", "military": False}
    ids = [q.id for q in ms.missing_questions(profile, cat, ON)]
    assert "children_count" not in ids and "children_birth_years" not in ids
    assert "pregnant" not in ids and "pregnancy_weeks" not in ids and "registered_before_12w" not in ids
    assert "region" not in ids and "military_service" not in ids
    assert "has_mortgage" not in ids  # no third child
    assert ids[0] == "applicant_activity"


def test_missing_questions_follow_answers(cat):
    all_ids = [q.id for q in ms.missing_questions({}, cat, ON)]
    assert all_ids[0] == "region" and len(all_ids) == len(cat.questionnaire.questions)
    ids = [q.id for q in ms.missing_questions({"pregnant": True, "pregnancy_weeks": [0, 11]}, cat, ON)]
    assert "registered_before_12w" not in ids  # still under 12 weeks
    ids = [q.id for q in ms.missing_questions({"pregnant": True, "pregnancy_weeks": [12, 25]}, cat, ON)]
    assert "registered_before_12w" in ids
    ids = [q.id for q in ms.missing_questions({"children_count": 0, "income_level": None}, cat, ON)]
    assert "children_birth_years" not in ids and "child_disability" not in ids and "income_level" not in ids
    low = [q.id for q in ms.missing_questions({"low_income": True}, cat, ON)]
    assert "income_level" not in low and "zero_income_ok" in low


def test_every_question_has_dont_know_and_both_languages(cat):
    for q in cat.questionnaire.questions:
        rq_ru = ms.render_question(q, {}, "ru", cat, ON)
        rq_en = ms.render_question(q, {}, "en", cat, ON)
        assert any(v is None for _, v in rq_ru.options)
        assert rq_ru.text != rq_en.text
        assert not re.search(r"[а-яё]", rq_en.text + " ".join(label for label, _ in rq_en.options), re.I)


def test_resolve_facts_children_count_from_years():
    f = resolve_facts({"children_birth_years": [2010, 2020]}, ON)
    assert f["children_count"] == 2
    assert f["children_under_18"] == Interval(2, 2)
    assert f["large_family"] is False


def test_five_plus_children_is_large(cat):
    f = resolve_facts({"children_count": [5, None]}, ON)
    assert f["large_family"] is None  # ages unknown: could all be adults
    assert group(cat, {"children_count": [5, None]}, "status-mnogodetnoy-semyi") == "likely"


# ------------------------------------------------------------------------------------------------ browse


def test_browse_by_life_situation_and_level(cat):
    birth = [m.id for m in ms.by_life_situation("birth", None, cat)]
    assert birth[0] == "posobie-pri-rozhdenii" and "matkapital" in birth
    assert "pnz-socialnaya-nyanya" in [m.id for m in ms.by_life_situation("birth", "RU-PNZ", cat)]
    assert "pnz-socialnaya-nyanya" not in birth
    assert [m.id for m in ms.by_level("regional", "RU-PNZ", cat)] == ["pnz-socialnaya-nyanya"]
    assert [m.id for m in ms.by_level("regional", "RU-MOW", cat)] == ["mow-kompensaciya-mnogodetnym"]
    assert all(m.level == "federal" for m in ms.by_level("federal", None, cat))


def test_dont_know_on_an_input_of_a_derived_fact(cat):
    facts = {"children_birth_years": [2024], "pregnant": False, "income_level": None}
    r = ms.screen(facts, None, ON, cat).find("edinoe-posobie")
    income = next(t for t in r.unknown if t.fact == "income_below_pm")
    assert "«не знаю»" in income.detail.ru
    assert "income_level" not in r.ask_facts  # answered «не знаю»: not asked again
    assert r.ask_facts == ["zero_income_ok", "property_ok"]


def test_profile_birth_years_with_unknown_entries():
    f = resolve_facts({"children_birth_years": [2010, None, 2024]}, ON)
    assert f["children_count"] == 3
    assert f["third_child_born_2019_2030"] is None  # the second child's year is unknown
    assert f["youngest_child_age"].lo == 0  # the unknown child could be the youngest


def test_a_family_without_children_is_not_asked_about_a_disabled_child(cat):
    res = ms.screen({"children_count": 0, "region": "RU-PNZ"}, None, ON, cat)
    mortgage = res.find("semeynaya-ipoteka")
    assert mortgage.group == "other" and "child_disability" not in mortgage.ask_facts
    assert all("child_disability" not in r.ask_facts for r in res.maybe)
    # with children, a child with a disability is still a question worth asking
    some = ms.screen({"children_birth_years": [2010]}, None, ON, cat).find("semeynaya-ipoteka")
    assert some.group == "maybe" and "child_disability" in some.ask_facts


def test_a_bill_is_not_labelled_a_federal_measure(cat):
    # the legal-aid law is in force since April 2025 (Federal Law No. 48-FZ): a federal measure now; the same card
    # as a bill shows the label a bill gets
    law = cat.measure("yuridicheskaya-pomoshch-mnogodetnym")
    assert ms.evaluate_measure(law, {}, ON, cat).level_label.ru == "Федеральная мера"
    bill = law.model_copy(update={"stage": "bill"})
    r = ms.evaluate_measure(bill, ms.resolve_facts({}, ON), ON, cat)
    assert r.level_label.ru == "Федеральный закон: ещё не действует"
    assert ms.evaluate_measure(cat.measure("matkapital"), {}, ON, cat).level_label.ru == "Федеральная мера"


def test_social_nanny_is_open_to_every_group_its_sources_name(cat):
    base = {"region": "RU-PNZ", "children_birth_years": [2025, 2026]}
    low_income = ms.screen({**base, "income_level": "below_pm"}, None, ON, cat).find("pnz-socialnaya-nyanya")
    assert low_income.group == "likely"
    # children close in age or a difficult situation: not «not available» but «to check by phone»
    nobody = ms.screen(
        {
            **base,
            "income_level": "above_1_5",
            "single_parent": False,
            "applicant_activity": "employed",
            "svo_family": False,
            "child_disability": False,
        },
        None,
        ON,
        cat,
    ).find("pnz-socialnaya-nyanya")
    assert nobody.group == "maybe"


def test_ask_next_is_screens_ask_next_without_the_results(cat):
    """The screener asks ms.ask_next after every answer; it must name the same facts in the same order as the full
    screening, for families part-way through the questions, in several regions and with «не знаю» answers."""
    import random

    rng = random.Random(7)
    regions = [None, "other", *sorted(cat.regions)[:6]]
    questions = [q for q in cat.questionnaire.questions if q.kind == "choice" and q.options]
    compared = 0
    for _ in range(120):
        facts: dict = {}
        for q in rng.sample(questions, rng.randint(0, len(questions))):
            facts[q.fact] = rng.choice(q.options).value
        region = rng.choice(regions)
        full = ms.screen(facts, region, ON, cat).ask_next
        assert ms.ask_next(facts, region, ON, cat) == full, (facts, region)
        compared += bool(full)
    assert compared >= 60  # most of the sampled families still had something to be asked
