"""The check-in instrument's schema (data/checkin.yaml) and the domain logic that does not need a database."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from bot.config import ROOT
from bot.db.models import WellbeingCheckin
from bot.services import checkin as ck

DATA = ROOT / "data"


def test_the_shipped_instrument_is_valid_and_short() -> None:
    assert ck.validate(DATA) == []
    instrument = ck.load(DATA)
    assert len(instrument.questions) <= ck.MAX_QUESTIONS
    assert {d.id for d in instrument.domains} == {q.domain for q in instrument.questions}
    assert instrument.origin.kind == "own" and instrument.origin.sources  # honest about where it comes from
    dangers = {o.danger for q in instrument.questions for o in q.options if o.danger}
    assert dangers == {"violence", "no_food"}


def _broken(tmp_path: Path, change) -> list[str]:
    for name in ("checkin.yaml", "organisations.yaml"):
        shutil.copy(DATA / name, tmp_path / name)
    raw = yaml.safe_load((tmp_path / "checkin.yaml").read_text("utf-8"))
    change(raw)
    (tmp_path / "checkin.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), "utf-8")
    return ck.validate(tmp_path)


def test_a_broken_instrument_is_refused(tmp_path: Path) -> None:
    def too_many(raw) -> None:
        q = raw["questions"][0]
        raw["questions"] += [{**q, "id": f"extra_{i}"} for i in range(13 - len(raw["questions"]))]

    def adapted_without_source(raw) -> None:
        raw["origin"] = {**raw["origin"], "kind": "adapted", "sources": []}

    def danger_on_a_calm_answer(raw) -> None:
        raw["questions"][0]["options"][0]["danger"] = "violence"

    def unknown_kind(raw) -> None:
        raw["domains"][0]["help"]["directory"] = ["nowhere"]

    def orphan_domain(raw) -> None:
        raw["domains"].append({"id": "leisure", "title": {"ru": "досуг", "en": "leisure"}, "help": {}})

    for change, expected in [
        (too_many, "questions"),
        (adapted_without_source, "adapted"),
        (danger_on_a_calm_answer, "danger"),
        (unknown_kind, "nowhere"),
        (orphan_domain, "leisure"),
    ]:
        errors = _broken(tmp_path, change)
        assert errors and expected in " ".join(errors), (change.__name__, errors)


def _run(answers: dict[str, str]) -> WellbeingCheckin:
    instrument = ck.load(DATA)
    return WellbeingCheckin(
        answers=answers, hard=ck.hard_domains(answers, instrument), version=instrument.version
    )


def test_states_skip_and_not_applicable_say_nothing_and_changes_compare_only_both_answers() -> None:
    instrument = ck.load(DATA)
    states = ck.domain_states(
        {"money_enough": "yes", "food": "sometimes", "children": "none", "home": "skip"}, instrument
    )
    assert states == {
        "money": "hard"
    }  # one hard answer makes the domain hard; «no children», a skip: nothing
    before = _run({"money_enough": "no", "housing": "risk", "health": "fine"})
    after = _run({"money_enough": "no", "housing": "fine", "health": "access", "mood": "fine"})
    assert ck.changes(before, after, instrument) == {
        "better": ["housing"],
        "worse": ["health"],
        "same": ["money"],
    }
