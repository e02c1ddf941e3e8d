"""Content files: the shipped data validates; broken files are rejected with readable messages; directory and
working hours behave."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from bot.services import directory
from bot.services.canned import load_canned
from bot.services.content import load_content, validate
from bot.services.content_base import ContentError, phone_problem
from bot.services.organisations import load_organisations
from bot.services.privacy_notice import load_privacy
from bot.services.regions import Region, is_open, load_regions, next_open, parse_spans

DATA = Path(__file__).resolve().parents[2] / "data"
TODAY = date(2026, 11, 22)
MSK = ZoneInfo("Europe/Moscow")
YEKT = ZoneInfo("Asia/Yekaterinburg")


@pytest.fixture(scope="module")
def content():
    return load_content(DATA, today=TODAY)


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target


def edit(data_dir: Path, name: str, change: Callable[[Any], object]) -> None:
    """Load a YAML file (anchors expanded), let `change` mutate it in place, write it back."""
    path = data_dir / name
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(raw)
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")


def org(raw: dict[str, Any], org_id: str) -> dict[str, Any]:
    return next(o for o in raw["organisations"] if o["id"] == org_id)


def region(raw: dict[str, Any], code: str) -> dict[str, Any]:
    return next(r for r in raw["regions"] if r["code"] == code)


def one_error_with(errors: list[str], *parts: str) -> str:
    hits = [e for e in errors if all(p in e for p in parts)]
    assert hits, f"no error mentioning {parts} in:\n" + "\n".join(errors)
    return hits[0]


# ------------------------------------------------------------------------------------------------
# The shipped data
# ------------------------------------------------------------------------------------------------


def test_shipped_data_validates() -> None:
    assert validate(DATA) == []
    assert validate(DATA, today=TODAY) == []


def test_required_regions_present(content) -> None:
    assert {"RU-VGG", "RU-PNZ", "RU-SVE", "RU-MOW", "other"} <= set(content.regions)
    assert content.regions["RU-SVE"].timezone == "Asia/Yekaterinburg"
    assert content.regions["RU-VGG"].timezone == "Europe/Volgograd"
    for reg in content.regions.values():
        assert reg.name.ru and reg.name.en
        ZoneInfo(reg.timezone)


def test_unknown_centre_contacts_are_empty_and_route_to_federal_line(content) -> None:
    for reg in content.regions.values():
        frc = reg.family_resource_centre
        if not frc.known:
            assert not frc.phones and not frc.url and not frc.address and not frc.hours
            assert reg.uses_federal_line
    assert content.region("other").uses_federal_line
    assert content.region(None).code == "other"
    assert content.region("RU-XXX").code == "other"
    fallback = directory.regional_fallback(content, "RU-PNZ")
    assert fallback.uses_federal_line
    assert "федеральной линии" in fallback.note.ru
    assert all(o.is_federal for o in fallback.organisations)


def test_federal_hotlines_from_the_docs_are_present(content) -> None:
    numbers = {p.number for o in content.organisations for p in o.phones}
    assert {"112", "8-800-2000-122", "124", "8-800-7000-600", "8-800-100-00-01"} <= numbers
    women = content.organisation("women-violence-helpline")
    assert "пострадавших от насилия" in women.name.ru
    assert women.status == "unverified" and women.note is not None  # the source is from 2022


def test_every_organisation_has_source_dates_and_a_way_to_reach_it(content) -> None:
    for o in content.organisations:
        assert o.source.strip()
        assert o.as_of <= o.review_by and TODAY <= o.review_by, o.id
        assert o.phones or o.url or o.address
        for p in o.phones:
            assert phone_problem(p.number) is None


def test_unchecked_contacts_are_not_shipped(content) -> None:
    numbers = {p.number for o in content.organisations for p in o.phones}
    assert "8-495-989-50-50" not in numbers  # МЧС line: [unverified], «do not ship without checking»


def test_privacy_notice_has_version_retention_and_rights(content) -> None:
    privacy = content.privacy
    assert privacy.version and privacy.date == date(2026, 12, 5)
    ru, en = privacy.notice_text("ru"), privacy.notice_text("en")
    # /forget: what happens to the messages already relayed to specialists is said plainly (issue 21)
    assert "передал специалистам" in ru and "48 часов" in ru and "passed on to specialists" in en
    assert "180 дней" in ru and "3 года" in ru and "180 days" in en and "3 years" in en
    assert (
        "«Как дела у семьи?» — 2 года" in ru and "«How is your family?» — 2 years" in en
    )  # the check-in's class
    for text in (ru, en, privacy.consent_text("ru"), privacy.consent_text("en")):
        assert "/mydata" in text and "/forget" in text
        assert "{" not in text
    assert "не государственный орган" in ru
    assert "без согласия" in privacy.consent_text("ru")
    assert len(ru) < 4096 and len(en) < 4096


def test_canned_answers_load(content) -> None:
    assert {"greeting", "ask_details", "closing", "edinoe_posobie_apply"} <= set(content.canned)
    greeting = content.canned["greeting"]
    assert greeting.placeholders == {"case_id"}
    assert "№ 17" in greeting.render("ru", case_id=17)
    assert "Госуслуг" in content.canned["edinoe_posobie_apply"].text.ru


def test_individual_loaders(content) -> None:
    assert len(load_regions(DATA).regions) == len(content.regions)
    assert load_organisations(DATA).kinds.keys() == content.kinds.keys()
    assert load_privacy(DATA).version == content.privacy.version
    assert load_canned(DATA).keys() == content.canned.keys()


# ------------------------------------------------------------------------------------------------
# Broken files are rejected with readable messages
# ------------------------------------------------------------------------------------------------


def test_unknown_timezone_is_rejected(data_copy: Path) -> None:
    edit(data_copy, "regions.yaml", lambda raw: region(raw, "RU-PNZ").update(timezone="Europe/Penza"))
    msg = one_error_with(validate(data_copy), "regions.yaml", "RU-PNZ", "timezone")
    assert "unknown time zone 'Europe/Penza'" in msg


def test_missing_source_is_rejected(data_copy: Path) -> None:
    edit(data_copy, "organisations.yaml", lambda raw: org(raw, "sfr-contact-centre").pop("source"))
    msg = one_error_with(validate(data_copy), "organisations.yaml", "sfr-contact-centre")
    assert "no source given" in msg


def test_empty_source_is_rejected(data_copy: Path) -> None:
    edit(data_copy, "organisations.yaml", lambda raw: org(raw, "child-helpline").update(source="  "))
    one_error_with(validate(data_copy), "child-helpline", "source is empty")


def test_missing_english_is_rejected(data_copy: Path) -> None:
    edit(data_copy, "organisations.yaml", lambda raw: org(raw, "child-helpline")["name"].pop("en"))
    msg = one_error_with(validate(data_copy), "organisations.yaml", "child-helpline", "name")
    assert "missing English (en) text" in msg


def test_blank_russian_is_rejected(data_copy: Path) -> None:
    edit(data_copy, "regions.yaml", lambda raw: region(raw, "RU-MOW")["name"].update(ru=" "))
    one_error_with(validate(data_copy), "RU-MOW", "Russian (ru) text is empty")


def test_bad_phone_is_rejected(data_copy: Path) -> None:
    edit(
        data_copy,
        "organisations.yaml",
        lambda raw: org(raw, "sfr-contact-centre").update(phones=["8-800-100"]),
    )
    one_error_with(validate(data_copy), "sfr-contact-centre", "phone '8-800-100'")


@pytest.mark.parametrize(
    ("number", "ok"),
    [
        ("112", True),
        ("051", True),
        ("8-495-051", True),
        ("8-800-2000-122", True),
        ("8 (8412) 20-08-08", True),
        ("+7 800 100-00-01", True),
        ("8-800-100-00-0", False),
        ("+1 202 555 0100", False),
        ("12", False),
        ("8-800-ABC", False),
        ("88001000001000", False),
    ],
)
def test_phone_sanity(number: str, ok: bool) -> None:
    assert (phone_problem(number) is None) is ok


def test_duplicate_organisation_ids_are_rejected(data_copy: Path) -> None:
    def dup(raw: dict[str, Any]) -> None:
        raw["organisations"].append(dict(org(raw, "emergency-112")))

    edit(data_copy, "organisations.yaml", dup)
    one_error_with(validate(data_copy), "duplicate organisation ids: emergency-112")


def test_duplicate_yaml_key_is_rejected(data_copy: Path) -> None:
    path = data_copy / "privacy.yaml"
    path.write_text(path.read_text(encoding="utf-8") + '\nversion: "2.0"\n', encoding="utf-8")
    one_error_with(validate(data_copy), "privacy.yaml", "duplicate key 'version'")


def test_yaml_syntax_error_names_the_line(data_copy: Path) -> None:
    (data_copy / "regions.yaml").write_text("version: 1\nregions: [\n", encoding="utf-8")
    one_error_with(validate(data_copy), "regions.yaml", "YAML error", "line")


def test_unknown_region_in_organisation_is_rejected(data_copy: Path) -> None:
    edit(data_copy, "organisations.yaml", lambda raw: org(raw, "pnz-social-nanny").update(region="RU-PNX"))
    one_error_with(validate(data_copy), "pnz-social-nanny", "unknown region 'RU-PNX'")


def test_unknown_kind_is_rejected(data_copy: Path) -> None:
    edit(
        data_copy,
        "organisations.yaml",
        lambda raw: org(raw, "emergency-112").update(kinds=["crisis", "magic"]),
    )
    one_error_with(validate(data_copy), "emergency-112", "unknown kinds magic")


def test_known_centre_without_source_is_rejected(data_copy: Path) -> None:
    block = {
        "contacts_status": "known",
        "name": {"ru": "Центр", "en": "Centre"},
        "phones": ["8-800-000-00-00"],
        "as_of": "2026-11-01",
        "review_by": "2027-01-01",
    }
    edit(data_copy, "regions.yaml", lambda raw: region(raw, "RU-SVE").update(family_resource_centre=block))
    msg = one_error_with(validate(data_copy), "RU-SVE", "family_resource_centre")
    assert "`source`" in msg and "no contact without a source" in msg


def test_unknown_centre_with_phones_is_rejected(data_copy: Path) -> None:
    block = {"contacts_status": "unknown", "phones": ["8-800-000-00-00"]}
    edit(data_copy, "regions.yaml", lambda raw: region(raw, "RU-VGG").update(crisis_centre=block))
    one_error_with(validate(data_copy), "RU-VGG", "crisis_centre", "`unknown` but `phones`")


def test_missing_other_region_is_rejected(data_copy: Path) -> None:
    edit(
        data_copy,
        "regions.yaml",
        lambda raw: raw.update(regions=[r for r in raw["regions"] if r["code"] != "other"]),
    )
    one_error_with(validate(data_copy), "regions.yaml", "`other` region is required")


def test_bad_working_hours_are_rejected(data_copy: Path) -> None:
    def change(raw: dict[str, Any]) -> None:
        hours = dict(region(raw, "RU-MOW")["working_hours"])
        hours["mon"] = "9-18"
        hours.pop("sun")
        region(raw, "RU-MOW")["working_hours"] = hours

    edit(data_copy, "regions.yaml", change)
    one_error_with(validate(data_copy), "RU-MOW", "missing: sun")


def test_federal_line_must_reference_federal_organisations(data_copy: Path) -> None:
    edit(
        data_copy, "regions.yaml", lambda raw: raw["federal_line"]["organisations"].append("pnz-social-nanny")
    )
    one_error_with(validate(data_copy), "federal_line", "'pnz-social-nanny' is not federal")


def test_canned_phone_must_come_from_organisations(data_copy: Path) -> None:
    def change(raw: dict[str, Any]) -> None:
        raw["answers"][0]["text"]["ru"] += " Звоните 8-800-555-35-35."

    edit(data_copy, "canned/general.yaml", change)
    one_error_with(validate(data_copy), "greeting", "8-800-555-35-35", "refs")


def test_canned_placeholders_must_match(data_copy: Path) -> None:
    def change(raw: dict[str, Any]) -> None:
        raw["answers"][0]["text"]["en"] = "Hello!"

    edit(data_copy, "canned/general.yaml", change)
    one_error_with(validate(data_copy), "canned/general.yaml", "different placeholders")


def test_duplicate_canned_code_across_files_is_rejected(data_copy: Path) -> None:
    shutil.copy(data_copy / "canned" / "crisis.yaml", data_copy / "canned" / "crisis_copy.yaml")
    one_error_with(validate(data_copy), "duplicate canned answer code 'safety_first'")


def test_privacy_unknown_placeholder_is_rejected(data_copy: Path) -> None:
    edit(
        data_copy,
        "privacy.yaml",
        lambda raw: raw["notice"].update(en=raw["notice"]["en"] + " {retention_days}"),
    )
    one_error_with(validate(data_copy), "privacy.yaml", "unknown placeholders retention_days")


def test_stale_entries_are_reported_when_today_is_given() -> None:
    errors = validate(DATA, today=date(2030, 1, 1))
    one_error_with(errors, "emergency-112", "review_by")


def test_load_content_raises_with_all_errors(data_copy: Path) -> None:
    edit(data_copy, "regions.yaml", lambda raw: region(raw, "RU-PNZ").update(timezone="Mars/Olympus"))
    edit(data_copy, "organisations.yaml", lambda raw: org(raw, "child-helpline").pop("source"))
    with pytest.raises(ContentError) as exc:
        load_content(data_copy)
    assert len(exc.value.errors) >= 2
    assert "Mars/Olympus" in str(exc.value)


# ------------------------------------------------------------------------------------------------
# Directory
# ------------------------------------------------------------------------------------------------


def test_find_puts_regional_entries_first(content) -> None:
    found = directory.find(content, "RU-MOW", "psychological")
    assert [o.id for o in found][:1] == ["mow-psych-help-051"]
    assert "child-helpline" in [o.id for o in found]
    regional_done = False
    for o in found:
        if o.is_federal:
            regional_done = True
        else:
            assert not regional_done, "a regional entry came after a federal one"


def test_find_filters_by_kind_and_region(content) -> None:
    assert all("housing" in o.kinds for o in directory.find(content, None, "housing"))
    penza = {o.id for o in directory.find(content, "RU-PNZ", None)}
    assert {"pnz-social-navigator", "pnz-social-nanny", "emergency-112"} <= penza
    assert "mow-psych-help-051" not in penza
    federal_only = directory.find(content, None, None)
    assert federal_only and all(o.is_federal for o in federal_only)
    assert directory.find(content, "other", None) == federal_only
    assert directory.find(content, "RU-SVE", "childcare") == []


def test_find_unknown_kind_raises(content) -> None:
    with pytest.raises(KeyError):
        directory.find(content, None, "astrology")


def test_emergency_contacts_start_with_112(content) -> None:
    for code in ("RU-MOW", "RU-PNZ", None):
        ids = [o.id for o in directory.emergency_contacts(content, code)]
        assert ids[:2] == ["emergency-112", "child-helpline"]
    assert "mow-psych-help-051" in [o.id for o in directory.emergency_contacts(content, "RU-MOW")]


def test_kinds_have_ru_and_en_labels(content) -> None:
    kinds = directory.kinds(content)
    ids = [k.id for k in kinds]
    assert {"crisis", "psychological", "legal", "violence", "children", "maternity", "disability"} <= set(ids)
    assert {"humanitarian", "social_benefits"} <= set(ids)
    assert all(k.text("ru") and k.text("en") for k in kinds)
    used = {k.id for k in directory.kinds(content, only_used=True)}
    assert "crisis" in used and "disability" not in used
    assert directory.kind_label(content, "legal", "en") == "Legal help"


# ------------------------------------------------------------------------------------------------
# Working hours
# ------------------------------------------------------------------------------------------------


def make_region(
    hours: dict[str, str | None], *, tz: str = "Europe/Moscow", holidays: tuple[str, ...] = ()
) -> Region:
    week = dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
    week.update(hours)
    return Region.model_validate(
        {
            "code": "RU-TST",
            "name": {"ru": "Тест", "en": "Test"},
            "timezone": tz,
            "family_resource_centre": {"contacts_status": "unknown"},
            "crisis_centre": {"contacts_status": "unknown"},
            "working_hours": week,
            "holidays": list(holidays),
        }
    )


def test_parse_spans() -> None:
    assert parse_spans(None) == ()
    assert parse_spans("closed") == ()
    assert len(parse_spans("09:00-13:00, 14:00-18:00")) == 2
    assert parse_spans("00:00-24:00")[0][1] is None
    for bad in ("9-18", "09:00-09:00", "25:00-26:00", "09:00-24:30"):
        with pytest.raises(ValueError):
            parse_spans(bad)


def test_office_hours_in_moscow(content) -> None:
    mow = content.regions["RU-MOW"]
    assert is_open(mow, datetime(2026, 11, 23, 9, 0, tzinfo=MSK))  # Monday 09:00
    assert is_open(mow, datetime(2026, 11, 23, 17, 59, tzinfo=MSK))
    assert not is_open(mow, datetime(2026, 11, 23, 18, 0, tzinfo=MSK))
    assert not is_open(mow, datetime(2026, 11, 22, 12, 0, tzinfo=MSK))  # Sunday
    # Friday evening → Monday morning
    assert next_open(mow, datetime(2026, 11, 27, 18, 30, tzinfo=MSK)) == datetime(
        2026, 11, 30, 9, 0, tzinfo=MSK
    )
    # open now → the same moment, in the region's zone
    at = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
    assert next_open(mow, at) == at and next_open(mow, at).tzinfo == MSK


def test_time_zones_differ_for_the_same_instant(content) -> None:
    instant = datetime(2026, 11, 23, 4, 30, tzinfo=UTC)  # 09:30 in Yekaterinburg, 07:30 in Moscow
    assert is_open(content.regions["RU-SVE"], instant)
    assert not is_open(content.regions["RU-MOW"], instant)
    assert next_open(content.regions["RU-MOW"], instant) == datetime(2026, 11, 23, 9, 0, tzinfo=MSK)
    opens = next_open(content.regions["RU-SVE"], datetime(2026, 11, 22, 12, 0, tzinfo=UTC))
    assert opens == datetime(2026, 11, 23, 9, 0, tzinfo=YEKT)
    assert opens.utcoffset().total_seconds() == 5 * 3600


def test_naive_datetime_is_taken_as_utc(content) -> None:
    sve = content.regions["RU-SVE"]
    assert is_open(sve, datetime(2026, 11, 23, 4, 30)) == is_open(
        sve, datetime(2026, 11, 23, 4, 30, tzinfo=UTC)
    )


def test_shipped_holidays_close_the_service(content) -> None:
    mow = content.regions["RU-MOW"]
    assert date(2026, 12, 31) in mow.holidays  # Thursday, non-working day of 2026
    assert not is_open(mow, datetime(2026, 12, 31, 12, 0, tzinfo=MSK))
    assert not is_open(mow, datetime(2026, 11, 4, 12, 0, tzinfo=MSK))  # Wednesday, Day of National Unity
    assert is_open(mow, datetime(2026, 11, 5, 12, 0, tzinfo=MSK))


def test_span_across_midnight() -> None:
    night = make_region({"fri": "20:00-02:00"})
    assert is_open(night, datetime(2026, 11, 27, 23, 0, tzinfo=MSK))  # Friday 23:00
    assert is_open(night, datetime(2026, 11, 28, 1, 59, tzinfo=MSK))  # Saturday 01:59 belongs to Friday
    assert not is_open(night, datetime(2026, 11, 28, 2, 0, tzinfo=MSK))
    assert not is_open(night, datetime(2026, 11, 27, 1, 0, tzinfo=MSK))  # Friday 01:00: Thursday is closed
    assert next_open(night, datetime(2026, 11, 28, 3, 0, tzinfo=MSK)) == datetime(
        2026, 12, 4, 20, 0, tzinfo=MSK
    )


def test_holiday_closes_a_span_that_starts_on_it() -> None:
    night = make_region({"thu": "20:00-02:00", "fri": "20:00-02:00"}, holidays=("2026-11-26",))
    assert not is_open(night, datetime(2026, 11, 26, 21, 0, tzinfo=MSK))  # Thursday is a holiday
    assert not is_open(night, datetime(2026, 11, 27, 1, 0, tzinfo=MSK))  # its night span is closed too
    assert next_open(night, datetime(2026, 11, 26, 21, 0, tzinfo=MSK)) == datetime(
        2026, 11, 27, 20, 0, tzinfo=MSK
    )


def test_span_into_a_holiday_stays_open() -> None:
    """A span belongs to the day it starts on: Friday night goes on even if Saturday is a holiday."""
    night = make_region({"fri": "22:00-03:00"}, holidays=("2026-11-28",))
    assert is_open(night, datetime(2026, 11, 28, 2, 0, tzinfo=MSK))


def test_next_open_skips_a_run_of_holidays() -> None:
    office = make_region(
        {d: "09:00-18:00" for d in ("mon", "tue", "wed", "thu", "fri")},
        holidays=("2026-11-30", "2026-12-01", "2026-12-02"),
    )
    opens = next_open(office, datetime(2026, 11, 27, 19, 0, tzinfo=MSK))
    assert opens == datetime(2026, 12, 3, 9, 0, tzinfo=MSK)


def test_round_the_clock_and_split_shifts() -> None:
    always = make_region({"sat": "00:00-24:00"})
    assert is_open(always, datetime(2026, 11, 28, 0, 0, tzinfo=MSK))
    assert is_open(always, datetime(2026, 11, 28, 23, 59, tzinfo=MSK))
    assert not is_open(always, datetime(2026, 11, 29, 0, 0, tzinfo=MSK))
    split = make_region({"mon": "09:00-13:00, 14:00-18:00"})
    assert not is_open(split, datetime(2026, 11, 23, 13, 30, tzinfo=MSK))
    assert next_open(split, datetime(2026, 11, 23, 13, 30, tzinfo=MSK)) == datetime(
        2026, 11, 23, 14, 0, tzinfo=MSK
    )


def test_region_never_open_is_rejected() -> None:
    with pytest.raises(ValueError, match="never open"):
        make_region({})


def test_canned_media_must_be_https_and_its_text_a_caption():
    from pydantic import ValidationError

    from bot.services.canned import CannedAnswer

    base = {"code": "x", "title": {"ru": "т", "en": "t"}, "text": {"ru": "текст", "en": "text"}}
    ok = CannedAnswer.model_validate(
        {**base, "media": {"kind": "photo", "file": "https://example.org/a.png"}}
    )
    assert ok.media is not None and ok.media.kind == "photo"
    with pytest.raises(ValidationError, match="https"):
        CannedAnswer.model_validate({**base, "media": {"kind": "photo", "file": "http://example.org/a.png"}})
    long = {"ru": "а" * 1100, "en": "a" * 1100}
    with pytest.raises(ValidationError, match="caption"):
        CannedAnswer.model_validate(
            {**base, "text": long, "media": {"kind": "document", "file": "BQACAgIAAx"}}
        )
