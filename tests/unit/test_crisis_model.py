"""The statistical second opinion of the danger detector, and the reading of mistyped and Latin-typed words."""

from __future__ import annotations

import pytest

from bot.services.crisis import DEFAULT_LEXICON_PATH, CrisisDetector, load_lexicon
from bot.services.crisis_model import (
    DEFAULT_MODEL_PATH,
    RAISE_ABOVE,
    CrisisModel,
    features,
    train_on,
    training_items,
)
from bot.services.crisis_text import _russian_in_latin


@pytest.fixture(scope="module")
def lexicon():  # type: ignore[no-untyped-def]
    return load_lexicon(DEFAULT_LEXICON_PATH)


@pytest.mark.timeout(600)  # training on 15,000 messages takes a minute alone, two beside three busy workers
def test_shipped_model_is_trained_on_the_corpus() -> None:
    """data/crisis_model.json is what training on tune.yaml gives (deterministic): nothing else is in it."""
    rebuilt = train_on(training_items())
    shipped = CrisisModel.from_path(DEFAULT_MODEL_PATH)
    assert shipped.bias == rebuilt.bias
    assert shipped.weights == rebuilt.weights, "rebuild it: python -m bot.services.crisis_model"
    assert shipped.categories == rebuilt.categories


def test_features_read_latin_typed_russian_and_normalise() -> None:
    assert "w:бить" in features("muzh menya b'et")
    assert features("МУЖ БЬЁТ") == features("муж бьет")
    assert features("") == {} and features("🙂🙂") == {}


def test_second_opinion_softens_a_single_pattern_but_never_silences(lexicon) -> None:  # type: ignore[no-untyped-def]
    harmless = CrisisDetector(lexicon, model=CrisisModel({}, -10.0))  # reads every message as harmless
    alarmed = CrisisDetector(lexicon, model=CrisisModel({}, 10.0))
    alone = CrisisDetector(lexicon)
    text = "он меня бьёт каждый день"
    base = alone.detect(text)
    assert base is not None and base.level == "clear" and len(base.pattern_ids) == 1
    soft = harmless.detect(text)
    assert soft is not None and soft.level == "possible" and soft.evidence == base.evidence
    assert soft.second_opinion is not None and soft.second_opinion < 0.01
    kept = alarmed.detect(text)
    assert kept is not None and kept.level == "clear" and kept.second_opinion is not None
    assert harmless.detect("подскажите про пособие на ребёнка") is None  # the model adds no signal here
    several = "муж угрожает убить"  # more than one pattern: the lexicon is trusted
    hit = harmless.detect(several)
    assert hit is not None and len(hit.pattern_ids) > 1 and hit.level == "clear"


@pytest.mark.parametrize(
    ("latin", "russian"),
    [
        (
            "u4itel trogaet moyu do4",
            "учитель трогает мою дочь",
        ),  # the soft sign left out; «do» is not English
        ("kakoi smisl jit dalwe", "какой смысл жить дальше"),  # й, ы and ь restored
        ("segodnia poslednii raz bolwe ne mogu", "сегодня последний раз больше не могу"),
        ("muzh menya bil", "муж меня бил"),  # «menya» is not «менья»
    ],
)
def test_latin_typed_russian_is_read_as_people_write_it(latin: str, russian: str) -> None:
    assert _russian_in_latin(latin) == russian


def test_short_and_inflected_typos(lexicon) -> None:  # type: ignore[no-untyped-def]
    detector = CrisisDetector(lexicon)
    plain = CrisisDetector(lexicon, typos=False)
    assert plain.detect("муж ибил") is None  # what typo tolerance adds, measured against it switched off
    hit = detector.detect("муж ибил")  # a 4-letter word with a letter left out
    assert hit is not None and "violence" in hit.categories
    assert detector.detect("ибис") is None and detector.detect("бил мяч") is None
    tired = detector.detect("i am so tired of liivng like this")  # a typo in an inflected English form
    assert tired is not None and "suicide" in tired.categories, tired


def test_second_opinion_raises_a_possible_signal_where_the_lexicon_is_silent(lexicon) -> None:  # type: ignore[no-untyped-def]
    text = "мужу плохо, он синий и не отвечает"
    alone = CrisisDetector(lexicon)
    assert alone.detect(text) is None
    sure = CrisisModel({"w:синий": 100.0}, 0.0, categories={"синий": "medical"})
    hit = CrisisDetector(lexicon, model=sure).detect(text)
    assert hit is not None and hit.level == "possible" and hit.pattern_ids == ["model"]
    assert hit.categories == ["medical"] and hit.evidence == ["синий"]
    assert hit.second_opinion is not None and hit.second_opinion >= RAISE_ABOVE
    unsure = CrisisModel({"w:синий": 0.2}, 0.0)  # about 0.51: below RAISE_ABOVE
    assert CrisisDetector(lexicon, model=unsure).detect(text) is None
    assert CrisisDetector(lexicon, model=sure).detect("   ") is None


def test_shipped_model_raises_only_above_the_threshold() -> None:
    detector = CrisisDetector.from_path()
    assert detector.model is not None
    for text in ("подскажите про пособие на второго ребёнка", "как записаться в детский сад", "спасибо"):
        assert detector.detect(text) is None, text


def test_the_shipped_model_is_read_line_by_line_as_json_would_read_it() -> None:
    """from_path reads the file line by line and keeps hashed names (memory); it must read what json.load reads."""
    import json

    raw = json.loads(DEFAULT_MODEL_PATH.read_text(encoding="utf-8"))
    shipped = CrisisModel.from_path(DEFAULT_MODEL_PATH)
    assert shipped.bias == raw["bias"] and shipped.version == raw["version"]
    assert shipped.categories == raw["categories"]
    assert len(shipped.weights) == len(raw["weights"])
    assert shipped.weights == raw["weights"]
    for name, weight in list(raw["weights"].items())[::97]:
        got = shipped.weights.get(name)
        assert got is not None and abs(got - weight) < 1e-4, name
    assert shipped.weights.get("w:несуществующееслово") is None
