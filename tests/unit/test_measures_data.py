"""The shipped data validates, and validate() catches broken files."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml

from bot.services import measures as ms
from bot.services.measures.validate import main as validate_main

TODAY = date(2026, 12, 5)
DATA = ms.DEFAULT_DATA_DIR

FEDERAL_MEASURES = {
    "edinoe-posobie",
    "matkapital",
    "matkapital-ezhemesyachnaya-vyplata",
    "posobie-pri-rozhdenii",
    "posobie-po-uhodu-do-1-5",
    "posobie-po-beremennosti-i-rodam",
    "semeynaya-ipoteka",
    "ipoteka-450k",
    "nalogovyi-vychet-na-detey",
    "ezhegodnaya-semeynaya-vyplata",
    "status-mnogodetnoy-semyi",
    "posobie-beremennoy-zhene-prizyvnika",
    "posobie-rebenku-prizyvnika",
    "yuridicheskaya-pomoshch-mnogodetnym",
    "gosuslugi-krizisnaya-situaciya",
}


def _is_staleness(msg: str) -> bool:
    return "review_by" in msg and "has passed" in msg


def test_shipped_data_has_no_errors_except_staleness():
    errors, warnings = ms.validate(DATA, strict=False, today=TODAY)
    assert errors == []
    assert all(_is_staleness(w) for w in warnings), warnings
    strict_errors, _ = ms.validate(DATA, strict=True, today=TODAY)
    assert [e for e in strict_errors if not _is_staleness(e)] == []


def test_shipped_data_strict_before_review_dates():
    errors, warnings = ms.validate(DATA, strict=True, today=date(2026, 5, 31))
    assert errors == [] and warnings == []


def test_shipped_data_strict_today():
    errors, _ = ms.validate(DATA, strict=True, today=TODAY)
    assert errors == []


def test_catalogue_contents():
    cat = ms.default_catalogue()
    assert FEDERAL_MEASURES <= set(cat.measures)
    assert {m.id for m in cat.measures.values() if m.level == "regional"} == {
        "pnz-socialnaya-nyanya",
        "sve-oblastnoy-matkapital",
        "sve-shkolnaya-forma-mnogodetnym",
        "vgg-roditelskiy-kapital",
        "mow-kompensaciya-mnogodetnym",
    }
    assert set(cat.regions) == {"RU-VGG", "RU-PNZ", "RU-SVE", "RU-MOW"}
    # the research confirmed nothing on official sites yet: no record may claim `verified`
    assert all(m.status == "unverified" for m in cat.measures.values())
    assert all(a.status != "verified" for m in cat.measures.values() for a in m.amounts)
    for sit in (
        "birth",
        "pregnancy",
        "large_family",
        "child_disability",
        "loss_of_breadwinner",
        "low_income",
        "young_family",
        "divorce",
        "military_family",
    ):
        assert cat.life_situations[sit].measures


def test_every_amount_has_source_and_year():
    cat = ms.default_catalogue()
    for m in cat.measures.values():
        for a in m.amounts:
            assert a.sources and a.year in (2025, 2026, 2027), (m.id, a.id)


def test_regional_pm_unknown_not_invented():
    cat = ms.default_catalogue()
    table = cat.pm[2026]
    for code, entry in table.regions.items():
        for kind in ("per_capita", "children", "working_age"):
            v = getattr(entry, kind)
            assert v.value is None or (v.sources and v.status in ("sourced", "verified")), (code, kind)
        assert entry.check_where.ru and entry.check_where.en
    assert table.regions["RU-VGG"].per_capita.value == 16288  # v102.ru 2026-03-12
    assert table.regions["RU-PNZ"].per_capita.value is None  # not found: not invented


def test_cli(capsys):
    assert validate_main(["--today", "2026-12-05", "--strict", str(DATA)]) == 0
    assert validate_main(["--today", "2027-02-02", "--strict", str(DATA)]) == 1
    assert "review_by 2027-02-01 has passed" in capsys.readouterr().out


# ------------------------------------------------------------------------------------------- broken data


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    dst = tmp_path / "data"
    for part in ("measures", "regions", "reference"):
        shutil.copytree(DATA / part, dst / part)
    for f in ("questionnaire.yaml", "life_situations.yaml"):
        shutil.copy(DATA / f, dst / f)
    return dst


def _measure(data: Path, mid: str = "posobie-rebenku-prizyvnika") -> dict:
    return yaml.safe_load((data / "measures" / f"{mid}.yaml").read_text(encoding="utf-8"))


def _write(data: Path, raw: dict, name: str | None = None) -> None:
    path = data / "measures" / f"{name or raw['id']}.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _errors(data: Path, *, strict: bool = False, today: date = date(2026, 5, 1)) -> list[str]:
    return ms.validate(data, strict=strict, today=today)[0]


def test_copy_is_valid(data_copy):
    assert _errors(data_copy) == []


def test_catches_unknown_fact(data_copy):
    raw = _measure(data_copy)
    raw["eligibility"]["all"].append(
        {"fact": "owns_yacht", "op": "==", "value": True, "label": {"ru": "Яхта", "en": "Yacht"}}
    )
    _write(data_copy, raw)
    assert any("unknown fact 'owns_yacht'" in e for e in _errors(data_copy))


def test_catches_bad_enum_value(data_copy):
    raw = _measure(data_copy)
    raw["eligibility"]["all"][0]["value"] = "kontrakt"
    _write(data_copy, raw)
    assert any("military_service has no value 'kontrakt'" in e for e in _errors(data_copy))


def test_catches_missing_sources(data_copy):
    raw = _measure(data_copy)
    raw["sources"] = []
    raw["amounts"][0]["sources"] = []
    _write(data_copy, raw)
    errs = _errors(data_copy)
    assert any(e.endswith("no sources") for e in errs)
    assert any("amount amount (2026) has no source" in e for e in errs)


def test_catches_unknown_source_id(data_copy):
    raw = _measure(data_copy)
    raw["amounts"][0]["sources"] = ["made-up-source"]
    _write(data_copy, raw)
    assert any("unknown source 'made-up-source'" in e for e in _errors(data_copy))


def test_catches_amount_without_year(data_copy):
    raw = _measure(data_copy)
    del raw["amounts"][0]["year"]
    _write(data_copy, raw)
    assert any("schema: amounts.0.year" in e for e in _errors(data_copy))


def test_catches_conflicting_figure_marked_sourced(data_copy):
    raw = _measure(data_copy, "matkapital")
    projection = next(a for a in raw["amounts"] if a.get("conflict"))  # the 2027 draft-budget figure
    projection["status"] = "sourced"
    _write(data_copy, raw)
    assert any("in conflict must have status unverified" in e for e in _errors(data_copy))


def test_review_by_in_past_is_warning_or_strict_error(data_copy):
    raw = _measure(data_copy)
    raw["review_by"] = "2026-04-01"
    _write(data_copy, raw)
    errors, warnings = ms.validate(data_copy, strict=False, today=date(2026, 5, 1))
    assert errors == [] and any("review_by 2026-04-01 has passed" in w for w in warnings)
    errors, _ = ms.validate(data_copy, strict=True, today=date(2026, 5, 1))
    assert any("review_by 2026-04-01 has passed" in e for e in errors)


def test_catches_missing_english(data_copy):
    raw = _measure(data_copy)
    del raw["description"]["en"]
    _write(data_copy, raw)
    assert any("schema: description.en" in e for e in _errors(data_copy))
    raw = _measure(data_copy, "matkapital")
    raw["keywords"]["en"] = []
    _write(data_copy, raw)
    assert any("keywords.en is empty" in e for e in _errors(data_copy))


def test_catches_unofficial_link(data_copy):
    raw = _measure(data_copy)
    raw["links"] = [{"title": {"ru": "Гид", "en": "Guide"}, "url": "https://lgoty-gosuslugi.ru/guide"}]
    _write(data_copy, raw)
    assert any("not on an official domain" in e for e in _errors(data_copy))


def test_catches_life_situation_to_unknown_measure(data_copy):
    path = data_copy / "life_situations.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw["life_situations"][0]["measures"].append("no-such-measure")
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    assert any("unknown measure 'no-such-measure'" in e for e in _errors(data_copy))


def test_catches_bad_condition_shape_and_file_name(data_copy):
    raw = _measure(data_copy)
    raw["eligibility"]["all"].append({"fact": "pregnant", "value": True, "label": {"ru": "x", "en": "x"}})
    _write(data_copy, raw, name="wrong-name")
    errs = _errors(data_copy)
    assert any("has no op" in e for e in errs)


def test_catches_regional_measure_in_federal_folder(data_copy):
    raw = yaml.safe_load(
        (data_copy / "regions/RU-PNZ/measures/pnz-socialnaya-nyanya.yaml").read_text(encoding="utf-8")
    )
    (data_copy / "regions/RU-PNZ/measures/pnz-socialnaya-nyanya.yaml").unlink()
    _write(data_copy, raw)
    assert any("must be federal" in e for e in _errors(data_copy))


def test_catches_pm_value_without_source(data_copy):
    path = data_copy / "reference/pm_2026.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw["regions"]["RU-PNZ"]["per_capita"] = {"value": 12345, "status": "sourced"}
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    assert any("RU-PNZ.per_capita has a value but no source" in e for e in _errors(data_copy))


def test_load_catalogue_raises_on_broken_data(data_copy):
    raw = _measure(data_copy)
    del raw["title"]
    _write(data_copy, raw)
    with pytest.raises(ms.CatalogueError):
        ms.load_catalogue(data_copy)


def test_regional_figures_of_the_december_recheck():
    cat = ms.default_catalogue()
    on = date(2026, 6, 1)
    mow = {a.id: a.value for a in cat.measure("mow-kompensaciya-mnogodetnym").amounts_on(on)}
    assert mow == {"three_four": 1782, "five_plus": 2226}  # decree No. 3025-ПП via oms.msk.ru
    sve = {a.id: a.value for a in cat.measure("sve-shkolnaya-forma-mnogodetnym").amounts_on(on)}
    assert sve == {"per_pupil": 6521}  # news.mail.ru 2025-12-25
    assert (
        cat.measure("mow-kompensaciya-mnogodetnym").amounts_on(date(2027, 1, 15)) == []
    )  # 2027 not known yet
