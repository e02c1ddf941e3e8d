"""The understanding layer: its data file, the word-vector loader and what it reads in everyday messages."""

from __future__ import annotations

import gzip
import io
import shutil
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
import yaml

from bot.config import ROOT
from bot.services import embeddings, understanding
from bot.services.catalog import check_catalog, load_catalog
from bot.services.crisis import load_detector
from bot.services.measures import load_catalogue
from bot.services.understanding import SMALL_TALK, Understander, load_intents

DATA = ROOT / "data"
SETS = {name: ROOT / "tests" / "data" / f"intents_{name}.yaml" for name in ("tune", "heldout")}


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(DATA)


@pytest.fixture(scope="module")
def understander(catalog) -> Understander:
    return catalog.understander


def labelled(name: str) -> list[tuple[str, str]]:
    return [(i["text"], i["intent"]) for i in yaml.safe_load(SETS[name].read_text())["items"]]


# --- the navec file ------------------------------------------------------------------------------------------


def navec_tar(path: Path, words: list[str], vectors: np.ndarray, qdim: int = 2, centroids: int = 4) -> None:
    """A tiny navec-format file: each vector's halves are exact centroids, so lookups can be checked exactly."""
    n, dim = vectors.shape
    sub = dim // qdim
    codes = np.zeros((qdim, centroids, sub), dtype=np.float32)
    indexes = np.zeros((n, qdim), dtype=np.uint8)
    for q in range(qdim):
        seen: list[tuple] = []
        for row in range(n):
            part = tuple(vectors[row, q * sub : (q + 1) * sub])
            if part not in seen:
                seen.append(part)
                codes[q, len(seen) - 1] = part
            indexes[row, q] = seen.index(part)
    pq = np.array([n, dim, qdim, centroids], np.uint32).tobytes() + indexes.tobytes() + codes.tobytes()
    counts = np.arange(1, n + 1, dtype=np.uint32)
    vocab = gzip.compress(np.array([n], np.uint32).tobytes() + counts.tobytes() + "\n".join(words).encode())
    with tarfile.open(path, "w") as tar:
        for name, payload in (("meta.json", b"{}"), ("vocab.bin", vocab), ("pq.bin", pq)):
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))


def test_the_navec_file_is_read_per_word_and_looked_up_by_word(tmp_path):
    words = ["мама", "папа", "пособие", "ok"]
    vectors = np.array([[1, 0, 0, 1], [1, 0, 1, 0], [0, 2, 0, 1], [3, 3, 1, 0]], dtype=np.float32)
    path = tmp_path / "tiny.tar"
    navec_tar(path, words, vectors)
    emb = embeddings.Embeddings(path)
    assert emb.index_bytes == 4 * 2 and not any(  # the index is read per word, never held
        isinstance(v, np.ndarray) and v.dtype == np.uint8 for v in vars(emb).values()
    )
    assert len(emb) == 4 and emb.dim == 4
    for word, vec in zip(words, vectors, strict=True):
        assert np.array_equal(emb.vector(word), vec), word
    assert emb.vector("тётя") is None and emb.row("") is None
    mean = emb.sentence(["мама", "никто"])
    assert mean is not None and np.isclose(np.linalg.norm(mean), 1.0)
    assert emb.sentence(["никто"]) is None


def test_a_missing_or_broken_file_means_no_vectors_not_a_crash(tmp_path, monkeypatch):
    broken = tmp_path / "broken.tar"
    broken.write_bytes(b"not a tar")
    monkeypatch.setenv(embeddings.ENV_PATH, str(broken))
    embeddings.default_embeddings.cache_clear()
    try:
        assert embeddings.default_embeddings() is None
        monkeypatch.setenv(embeddings.ENV_PATH, "off")
        embeddings.default_embeddings.cache_clear()
        assert embeddings.default_path() is None and embeddings.default_embeddings() is None
    finally:
        embeddings.default_embeddings.cache_clear()


def test_the_installed_package_ships_the_russian_vectors():
    path = embeddings.default_path()
    assert path is not None and path.name == Path(embeddings.NAVEC_FILE).name
    emb = embeddings.Embeddings(path)
    near, far = emb.vector("адвокат"), emb.vector("ипотека")
    lawyer = emb.vector("юрист")
    assert near is not None and far is not None and lawyer is not None
    cos = lambda a, b: float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))  # noqa: E731
    assert cos(lawyer, near) > cos(lawyer, far) + 0.3


# --- the data file -------------------------------------------------------------------------------------------


def test_intents_file_is_valid_and_covers_every_routing_action():
    spec = load_intents(DATA)
    actions = {i.action for i in spec.intents}
    assert set(understanding.ACTIONS) <= actions
    specialties = {i.specialty for i in spec.intents if i.action == "specialist"}
    assert specialties == set(understanding.SPECIALTIES)
    assert check_catalog(DATA, strict=False)[0] == []


def broken_copy(tmp_path: Path, edit) -> Path:
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    raw = yaml.safe_load((data / "intents.yaml").read_text())
    edit(raw)
    (data / "intents.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True))
    return data


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (lambda raw: raw["intents"][0]["examples"]["en"].clear(), "needs at least one en example"),
        (lambda raw: raw["intents"].append(dict(raw["intents"][0])), "intent ids repeat: greeting"),
        (
            lambda raw: raw["intents"][1]["examples"]["ru"].append(raw["intents"][0]["examples"]["ru"][0]),
            "stands under both",
        ),
        (lambda raw: raw["intents"][0].update(action="specialist"), "needs `specialty`"),
        (lambda raw: raw["intents"][0].update(action="shout"), "action"),
        (lambda raw: raw["intents"][0].update(measure="matkapital"), "means nothing for action greeting"),
        (
            lambda raw: next(i for i in raw["intents"] if i["action"] == "measure").update(measure="nope"),
            "unknown measure nope",
        ),
        (
            lambda raw: next(i for i in raw["intents"] if i.get("org_kind")).update(org_kind="nokind"),
            "unknown kind of help nokind",
        ),
        (
            lambda raw: next(i for i in raw["intents"] if i["action"] == "situation").update(
                situation="nope"
            ),
            "unknown life situation nope",
        ),
    ],
)
def test_check_names_each_mistake_in_the_intents_file(tmp_path, edit, problem):
    errors, _warnings = check_catalog(broken_copy(tmp_path, edit), strict=False)
    assert any("intents.yaml" in e and problem in e for e in errors), errors


# --- reading messages ----------------------------------------------------------------------------------------


def test_small_talk_is_never_read_as_a_request_for_a_person(understander):
    """Greetings, thanks, «ок» of both labelled sets: never a specialist (a request) nor an offer of one."""
    small = [t for name in SETS for t, label in labelled(name) if label in SMALL_TALK]
    assert len(small) >= 30
    for text in small:
        decided = understander.understand(text, "ru").decided
        assert decided is None or decided.action not in ("specialist", "suggest"), (text, decided)


def read_as(understander: Understander, text: str, label: str) -> str | None:
    """The key the family's message is routed by: a possible danger signal gets the safety check and the message
    goes on (handlers/family/crisis.py), so a message not labelled danger is routed by its other readings."""
    reading = understander.understand(text, "ru", "RU-PNZ")
    return reading.key if label == "danger" else reading.apart_from_danger().key


def test_the_tuning_set_is_read_as_labelled(understander):
    items = labelled("tune")
    wrong = [(t, label, read_as(understander, t, label)) for t, label in items]
    wrong = [w for w in wrong if w[1] != w[2]]
    assert len(wrong) / len(items) <= 0.15, wrong


def test_few_everyday_questions_get_the_safety_check(catalog):
    """Every-day messages of both labelled sets, none of them about danger: few are asked «Вы сейчас в
    безопасности?» (the question is still answered after it), none gets the emergency reply. 2026-12-07: 12 of 265
    (6 at RAISE_ABOVE 0.90 before the model was trained with every-day messages; 18 at 0.60 without them)."""
    everyday = [t for name in SETS for t, label in labelled(name) if label != "danger"]
    hits = [(t, h) for t in everyday if (h := catalog.detector.detect(t)) is not None]
    assert not [t for t, h in hits if h.clear], hits
    assert len(hits) / len(everyday) <= 0.05, hits


def test_a_greeting_with_a_question_is_the_question(understander):
    reading = understander.understand("Здравствуйте! Сколько сейчас маткапитал?", "ru")
    assert reading.key == "measure:matkapital"
    assert understander.understand("Здравствуйте, у меня вопрос", "ru").key == "greeting"


def test_evidence_shows_the_words_and_the_typos_corrected(understander):
    reading = understander.understand("единое пасобие", "ru")
    assert reading.best is not None and reading.best.key == "measure:edinoe-posobie"
    assert "пасобие→пособие" in reading.best.evidence
    assert 0 < reading.best.confidence <= 1


def test_english_is_read_with_english_examples(understander):
    assert understander.understand("thanks a lot!", "en").key == "thanks"
    assert understander.understand("how much is maternity capital", "en").key == "measure:matkapital"
    assert understander.understand("connect me with a lawyer please", "en").key == "lawyer"


def test_another_regions_measure_is_not_offered(understander, catalog):
    regional = next(m for m in catalog.measures.measures.values() if m.level == "regional" and m.region)
    title = regional.title.ru
    keys = lambda region: {g.key for g in understander.understand(title, "ru", region).guesses}  # noqa: E731
    assert f"measure:{regional.id}" in keys(regional.region)
    other = next(code for code in ("RU-MOW", "RU-PNZ") if code != regional.region)
    assert f"measure:{regional.id}" not in keys(other)


def test_unclear_offers_a_few_guesses_but_no_small_talk(understander):
    reading = understander.understand("вопрос по деньгам", "ru")
    assert reading.decided is None
    options = reading.options(3)
    assert 1 <= len(options) <= 3 and all(o.action not in SMALL_TALK for o in options)
    assert understander.understand("абырвалг", "ru").options() == []
    assert understander.understand("", "ru").guesses == ()


@dataclass
class Hit:
    categories: list[str]
    matched: list[str] = field(default_factory=list)
    level: str = "clear"
    evidence: list[str] = field(default_factory=list)


class StubDetector:
    """The crisis detector's interface (detect → hit or None), with and without the newer `level`."""

    def __init__(self, hit):
        self.hit = hit

    def detect(self, text):
        return self.hit


def test_danger_is_delegated_to_the_crisis_detector_and_ranked_first():
    spec, measures = load_intents(DATA), load_catalogue(DATA)
    real = Understander(spec, measures, detector=load_detector(DATA))
    reading = real.understand("муж бьёт меня, спасибо", "ru")
    assert reading.best is not None and reading.best.action == "danger"
    assert reading.decided is reading.best and reading.best.params["level"] == "clear"

    possible = Understander(
        spec, measures, detector=StubDetector(Hit(["suicide"], level="possible", evidence=["устала"]))
    )
    best = possible.understand("устала от всего", "ru").best
    assert best is not None and best.key == "danger" and best.confidence < 1
    assert best.params == {"categories": ["suicide"], "level": "possible"} and best.evidence == ("устала",)

    @dataclass
    class OldHit:  # a detector without `level` and `evidence`
        categories: list[str]
        matched: list[str]

    old = Understander(spec, measures, detector=StubDetector(OldHit(["violence"], ["бьёт"])))
    best = old.understand("бьёт", "ru").best
    assert best is not None and best.params["level"] == "clear" and best.evidence == ("бьёт",)
    assert (
        Understander(spec, measures, detector=StubDetector(None)).understand("спасибо", "ru").key == "thanks"
    )


def test_a_button_guess_and_titles_for_staff(understander, catalog):
    assert understander.guess("lawyer") is not None and understander.guess("nope") is None
    assert understander.specialist_key("psychologist") == "psychologist"
    assert understander.title(
        "measure:matkapital", "ru"
    ) == "Материнский (семейный) капитал" or understander.title("measure:matkapital", "ru").startswith(
        "Материнский"
    )
    assert understander.title("no-such-intent", "en") == "no-such-intent"


def test_routing_reads_past_a_danger_signal_the_crisis_path_already_answered():
    spec, measures = load_intents(DATA), load_catalogue(DATA)
    u = Understander(spec, measures, detector=StubDetector(Hit(["exhaustion"], level="possible")))
    reading = u.understand("устала от всего, сколько сейчас маткапитал", "ru")
    assert reading.key == "danger"
    assert reading.apart_from_danger().key == "measure:matkapital"
