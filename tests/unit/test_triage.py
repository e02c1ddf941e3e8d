"""The triage tree: shipped data, structure checks on broken trees, navigation and the path summary."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.services.content import validate
from bot.services.triage import (
    CATEGORIES,
    MAX_LABEL_CHARS,
    MAX_LABEL_WORDS,
    MAX_QUESTIONS,
    ROUTES,
    SPECIALTIES,
    URGENCIES,
    Node,
    Outcome,
    TriageError,
    TriagePath,
    TriageTree,
    load_triage,
    validate_triage,
)

DATA = Path(__file__).resolve().parents[2] / "data"
SAFETY_QUESTION = "Вам или детям сейчас угрожает опасность?"


@pytest.fixture(scope="module")
def tree() -> TriageTree:
    return load_triage(DATA)


@pytest.fixture(scope="module")
def raw_tree() -> dict[str, Any]:
    return yaml.safe_load((DATA / "triage.yaml").read_text(encoding="utf-8"))


def write_tree(tmp_path: Path, raw: dict[str, Any]) -> Path:
    path = tmp_path / "triage.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return tmp_path


def errors_for(tmp_path: Path, raw: dict[str, Any]) -> list[str]:
    return validate_triage(write_tree(tmp_path, raw))


def one_error_with(errors: list[str], *parts: str) -> str:
    hits = [e for e in errors if all(p in e for p in parts)]
    assert hits, f"no error mentioning {parts} in:\n" + "\n".join(errors)
    return hits[0]


def t(ru: str, en: str | None = None) -> dict[str, str]:
    return {"ru": ru, "en": en or ru}


def small_tree() -> dict[str, Any]:
    """A minimal valid tree: safety → topic → outcome."""
    return {
        "version": 1,
        "start": "safety",
        "nodes": {
            "safety": {
                "safety": True,
                "text": t("Вам или детям сейчас угрожает опасность?", "Are you in danger?"),
                "options": [
                    {"id": "yes", "label": t("Да", "Yes"), "next": "o_sos"},
                    {"id": "no", "label": t("Нет", "No"), "next": "topic"},
                ],
            },
            "topic": {
                "text": t("С чем помочь?", "What do you need?"),
                "options": [
                    {"id": "law", "label": t("Юрист", "Lawyer"), "next": "o_law"},
                    {"id": "other", "label": t("Другое", "Other"), "next": "o_other"},
                ],
            },
        },
        "outcomes": {
            "o_sos": {
                "category": "violence_safety",
                "urgency": "emergency",
                "route": {"type": "crisis_centre"},
                "title": t("Опасность", "Danger"),
                "next_steps": t("Звоните 112.", "Call 112."),
            },
            "o_law": {
                "category": "legal",
                "urgency": "routine",
                "route": {"type": "consultant", "specialty": "lawyer"},
                "title": t("Юрист", "Lawyer"),
                "next_steps": t("Ответит юрист.", "A lawyer will answer."),
            },
            "o_other": {
                "category": "other",
                "urgency": "routine",
                "route": {"type": "consultant", "specialty": "social_consultant"},
                "title": t("Другое", "Other"),
                "next_steps": t("Ответит специалист.", "A specialist will answer."),
            },
        },
    }


# ------------------------------------------------------------------------------------------------
# The shipped tree
# ------------------------------------------------------------------------------------------------


def test_shipped_tree_is_valid(tree: TriageTree) -> None:
    assert validate_triage(DATA) == []
    assert tree.max_depth() <= MAX_QUESTIONS


def test_safety_question_comes_first(tree: TriageTree) -> None:
    start = tree.start_node()
    assert start.safety
    assert start.text.ru == SAFETY_QUESTION
    assert {o.id for o in start.options} == {"yes", "no", "unsure"}
    assert [o.label.ru for o in start.options] == ["Да, опасно", "Нет", "Не уверены"]


def test_safety_yes_is_an_emergency_for_the_crisis_centre(tree: TriageTree) -> None:
    outcome = tree.answer(tree.start, "yes")
    assert isinstance(outcome, Outcome)
    assert outcome.urgency == "emergency"
    assert outcome.route.type == "crisis_centre"
    assert outcome.category == "violence_safety"
    assert outcome.show_emergency_contacts
    assert "112" in outcome.next_steps.ru and "112" in outcome.next_steps.en
    assert tree.emergency_outcome() == outcome


def test_not_sure_never_ends_as_routine(tree: TriageTree) -> None:
    for choices, outcome in tree.paths():
        if choices[0][1].id == "unsure":
            assert outcome.urgency in ("urgent", "emergency"), outcome.id
            assert outcome.route.type == "crisis_centre"


def test_every_path_ends_in_a_complete_outcome_within_four_questions(tree: TriageTree) -> None:
    paths = list(tree.paths())
    assert len(paths) >= 10
    for choices, outcome in paths:
        assert 1 <= len(choices) <= MAX_QUESTIONS
        assert outcome.category in CATEGORIES
        assert outcome.urgency in URGENCIES
        assert outcome.route.type in ROUTES
        if outcome.route.type == "consultant":
            assert outcome.route.specialty in SPECIALTIES
        if outcome.route.type == "directory":
            assert outcome.route.kind
        for text in (outcome.title, outcome.next_steps):
            assert text.ru.strip() and text.en.strip()
    reached = {outcome.id for _, outcome in paths}
    assert reached == set(tree.outcomes)


def test_every_route_type_and_specialty_is_used(tree: TriageTree) -> None:
    routes = {o.route.type for o in tree.outcomes.values()}
    assert routes == set(ROUTES)
    specialties = {o.route.specialty for o in tree.outcomes.values()} - {None}
    assert specialties == set(SPECIALTIES)


def test_labels_fit_telegram_buttons(tree: TriageTree) -> None:
    for node in tree.nodes.values():
        assert node.text.ru and node.text.en
        for opt in node.options:
            for lang in ("ru", "en"):
                label = opt.label.get(lang)
                assert 1 <= len(label.split()) <= MAX_LABEL_WORDS, label
                assert len(label) <= MAX_LABEL_CHARS, label
            assert len(f"tr:{node.id}:{opt.id}".encode()) <= 64


def test_russian_texts_follow_the_tone_rules(tree: TriageTree) -> None:
    texts = [n.text.ru for n in tree.nodes.values()]
    texts += [o.next_steps.ru for o in tree.outcomes.values()] + [o.title.ru for o in tree.outcomes.values()]
    for text in texts:
        assert '"' not in text, f"use «ёлочки»: {text}"
        assert "(ась)" not in text and "(а)" not in text, f"gender-neutral wording: {text}"
        assert "!" not in text, f"no exclamation marks: {text}"
        assert "заявител" not in text and "получател" not in text


# ------------------------------------------------------------------------------------------------
# Navigation and the path summary
# ------------------------------------------------------------------------------------------------


def test_answer_returns_nodes_and_outcomes(tree: TriageTree) -> None:
    topic = tree.answer("safety", "no")
    assert isinstance(topic, Node) and topic.id == "topic"
    money = tree.answer("topic", "money")
    assert isinstance(money, Node)
    outcome = tree.answer("money", "learn")
    assert isinstance(outcome, Outcome) and outcome.route.type == "info_measures"


def test_answer_with_unknown_ids_raises(tree: TriageTree) -> None:
    with pytest.raises(TriageError, match="no option 'maybe'"):
        tree.answer("safety", "maybe")
    with pytest.raises(TriageError, match="unknown triage node"):
        tree.answer("nowhere", "yes")


def test_path_keeps_choices_for_the_case_card(tree: TriageTree) -> None:
    path = TriagePath(tree)
    assert path.node is not None and path.node.id == "safety" and path.depth == 0
    path.choose("no")
    path.choose("family")
    path.choose("me")
    result = path.choose("write")
    assert isinstance(result, Outcome) and path.done and path.depth == 4
    assert result.route.specialty == "psychologist"
    assert path.summary("ru")[0] == ("Опасность сейчас", "Нет")
    assert path.summary("en")[1] == ("Topic", "Family relationships")
    text = path.summary_text("ru")
    assert "• Семья — Мне тяжело" in text and text.endswith("Итог: Разговор с психологом")
    record = path.to_record()
    assert record["category"] == "psychological" and record["route"] == "consultant"
    assert record["specialty"] == "psychologist" and record["urgency"] == "soon"
    assert [s["option"] for s in record["path"]] == ["no", "family", "me", "write"]
    assert record["path"][0]["question_ru"] == "Опасность сейчас"
    with pytest.raises(TriageError):
        path.choose("write")


def test_path_back_and_replay(tree: TriageTree) -> None:
    path = TriagePath(tree)
    path.choose("no")
    path.choose("money")
    assert path.node is not None and path.node.id == "money"
    assert path.back().id == "topic"  # undo the choice made at «topic»
    assert path.back().id == "safety"
    assert path.back().id == "safety"  # at the start, stay there
    assert path.depth == 0
    replayed = TriagePath.replay(tree, [("safety", "no"), ("topic", "baby"), ("baby", "doubt")])
    assert replayed.outcome is not None and replayed.outcome.route.type == "maternity_centre"
    assert replayed.outcome.urgency == "urgent"
    assert TriagePath.replay(tree, ["no", "baby", "doubt"]).outcome == replayed.outcome
    with pytest.raises(TriageError, match="does not match"):
        TriagePath.replay(tree, [("safety", "no"), ("money", "learn")])


def test_directory_outcome_uses_a_known_kind(tree: TriageTree) -> None:
    path = TriagePath.replay(tree, ["no", "family", "me", "call"])
    assert path.outcome is not None
    assert path.outcome.route.type == "directory" and path.outcome.route.kind == "psychological"


def test_depth_helpers(tree: TriageTree) -> None:
    assert tree.depth("psych_how") == 1
    assert tree.depth("family") == 2
    assert tree.max_depth() == MAX_QUESTIONS


# ------------------------------------------------------------------------------------------------
# Broken trees are rejected with readable messages
# ------------------------------------------------------------------------------------------------


def test_small_tree_is_valid(tmp_path: Path) -> None:
    assert errors_for(tmp_path, small_tree()) == []


def test_dangling_branch(tmp_path: Path) -> None:
    raw = small_tree()
    raw["nodes"]["topic"]["options"][0]["next"] = "o_lawyer"
    msg = one_error_with(errors_for(tmp_path, raw), "dangling branch")
    assert "nodes.topic.options.law" in msg and "'o_lawyer'" in msg


def test_unreachable_node_and_outcome(tmp_path: Path) -> None:
    raw = small_tree()
    raw["nodes"]["orphan"] = copy.deepcopy(raw["nodes"]["topic"])
    raw["nodes"]["topic"]["options"][1]["next"] = "o_law"
    one_error_with(errors_for(tmp_path, raw), "nodes.orphan", "unreachable")
    raw2 = small_tree()
    raw2["nodes"]["topic"]["options"][1]["next"] = "o_law"
    one_error_with(errors_for(tmp_path, raw2), "outcomes.o_other", "unreachable")


def test_cycle(tmp_path: Path) -> None:
    raw = small_tree()
    raw["nodes"]["topic"]["options"][1]["next"] = "safety"
    msg = one_error_with(errors_for(tmp_path, raw), "cycle")
    assert "safety → topic → safety" in msg


def test_missing_english(tmp_path: Path) -> None:
    raw = small_tree()
    del raw["nodes"]["topic"]["options"][0]["label"]["en"]
    del raw["outcomes"]["o_law"]["next_steps"]["en"]
    errors = errors_for(tmp_path, raw)
    one_error_with(errors, "nodes.topic.options[law].label", "missing English (en) text")
    one_error_with(errors, "outcomes.o_law.next_steps", "missing English (en) text")


def test_too_deep(tmp_path: Path) -> None:
    raw = small_tree()
    for i in range(1, 5):  # topic → q1 → q2 → q3 → q4 → outcome = 6 questions with safety
        raw["nodes"][f"q{i}"] = copy.deepcopy(raw["nodes"]["topic"])
    raw["nodes"]["topic"]["options"][1]["next"] = "q1"
    for i in range(1, 4):
        raw["nodes"][f"q{i}"]["options"][1]["next"] = f"q{i + 1}"
    msg = one_error_with(errors_for(tmp_path, raw), "asks 6 questions", "at most 4")
    assert "safety → topic → q1 → q2 → q3 → q4" in msg


def test_long_or_wordy_label(tmp_path: Path) -> None:
    raw = small_tree()
    raw["nodes"]["topic"]["options"][0]["label"] = t("Мне нужна консультация юриста по пособиям", "Lawyer")
    errors = errors_for(tmp_path, raw)
    one_error_with(errors, "label.ru", "characters")
    one_error_with(errors, "label.ru", "more than 3 words")


def test_safety_yes_must_be_an_emergency(tmp_path: Path) -> None:
    raw = small_tree()
    raw["outcomes"]["o_sos"]["urgency"] = "urgent"
    one_error_with(errors_for(tmp_path, raw), "emergency crisis_centre outcome")


def test_start_must_be_the_safety_question(tmp_path: Path) -> None:
    raw = small_tree()
    raw["nodes"]["safety"]["safety"] = False
    one_error_with(errors_for(tmp_path, raw), "first question must be the safety question")


def test_incomplete_outcomes(tmp_path: Path) -> None:
    raw = small_tree()
    raw["outcomes"]["o_law"]["route"] = {"type": "consultant"}
    raw["outcomes"]["o_other"]["category"] = "astrology"
    del raw["outcomes"]["o_sos"]["next_steps"]
    errors = errors_for(tmp_path, raw)
    one_error_with(errors, "outcomes.o_law.route", "needs a specialty")
    one_error_with(errors, "outcomes.o_other.category")
    one_error_with(errors, "outcomes.o_sos", "`next_steps` is missing")


def test_unknown_life_situation(tmp_path: Path) -> None:
    raw = small_tree()
    raw["outcomes"]["o_law"]["life_situation"] = "lottery_win"
    one_error_with(errors_for(tmp_path, raw), "unknown life_situation 'lottery_win'")


def test_unknown_directory_kind_is_caught_by_content_validation(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    raw = yaml.safe_load((data / "triage.yaml").read_text(encoding="utf-8"))
    raw["outcomes"]["o_psych_call"]["route"]["kind"] = "astrology"
    (data / "triage.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    one_error_with(validate(data), "triage.yaml", "o_psych_call", "unknown directory kind 'astrology'")


def test_duplicate_option_ids(tmp_path: Path) -> None:
    raw = small_tree()
    raw["nodes"]["topic"]["options"][1]["id"] = "law"
    one_error_with(errors_for(tmp_path, raw), "duplicate option ids: law")


def test_duplicate_node_key_in_yaml(tmp_path: Path, raw_tree: dict[str, Any]) -> None:
    text = (DATA / "triage.yaml").read_text(encoding="utf-8")
    (tmp_path / "triage.yaml").write_text(text.replace("\n  housing:\n", "\n  money:\n", 1), encoding="utf-8")
    one_error_with(validate_triage(tmp_path), "duplicate key 'money'")


def test_life_situations_follow_the_measures_file_when_present(tmp_path: Path) -> None:
    raw = small_tree()
    raw["outcomes"]["o_law"]["life_situation"] = "divorce"
    write_tree(tmp_path, raw)
    assert validate_triage(tmp_path) == []  # known by default
    (tmp_path / "life_situations.yaml").write_text(
        "life_situations:\n  - {id: pregnancy, title: {ru: Б, en: P}, measures: []}\n", encoding="utf-8"
    )
    one_error_with(validate_triage(tmp_path), "unknown life_situation 'divorce'", "known: pregnancy")
