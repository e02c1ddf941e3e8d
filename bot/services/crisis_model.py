"""A second, statistical opinion on danger: logistic regression over lemma uni- and bigrams and letter n-grams.

The lexicon (:mod:`bot.services.crisis`) explains itself and is what staff see; it learns the wordings it was shown
better than it generalises. This model is trained on the labelled tune part of the corpus only
(``tests/data/danger_corpus/tune.yaml``; never the held-out part) and shipped as data
(``data/crisis_model.json``: feature → weight, built by ``python -m bot.services.crisis_model``). It is used two
ways by the detector: to silence a weak ("possible") lexicon signal in a message it finds clearly harmless, and to
raise a "possible" signal (the gentle safety check) for a message the lexicon misses but that reads like the
danger examples. The evidence shown for such a signal is the words that weighed most towards danger.

Training is deterministic (full-batch gradient descent from zero weights, fixed steps), takes a few seconds and
needs numpy only; scoring a message is a dictionary lookup per feature (no numpy).
"""

from __future__ import annotations

import itertools
import json
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bot.services.crisis_text import _CYR, _russian_in_latin, _yo
from bot.services.morph import analyzer

MODEL_FILE = "crisis_model.json"
DEFAULT_MODEL_PATH = Path(__file__).resolve().parent.parent.parent / "data" / MODEL_FILE

_WORD = re.compile(r"[a-zа-яё0-9']+")
_REPEAT3 = re.compile(r"(.)\1{2,}")
_LOOKALIKE = str.maketrans("aeopcxyk", "аеорсхук")
CHAR_N = 4
# A clear signal from one pattern in a message the model gives less than this is shown as "possible" (the safety
# check). Chosen by 5-fold cross-validation on the tune part grouped by base (benchmarks/crisis_cv.py).
DOWNGRADE_BELOW = 0.35
CHAR_WEIGHT = 0.5  # letter n-grams weigh less than whole words: many of them per word


def _lemma(word: str) -> str:
    if _CYR.search(word):
        return _yo(analyzer().parse(word)[0].normal_form)
    return word


_lemma_cache: dict[str, str] = {}


def words(text: str) -> list[str]:
    """Lower-case words of the text; Russian typed in Latin letters read as Russian."""
    text = unicodedata.normalize("NFC", text).lower()
    text = _russian_in_latin(text)
    out = []
    for w in _WORD.findall(text):
        w = _REPEAT3.sub(r"\1", _yo(w))
        if _CYR.search(w) and re.search(r"[a-z]", w):
            w = w.translate(_LOOKALIKE)
        out.append(w)
    return out


def features(text: str) -> dict[str, float]:
    """Feature → value: lemma unigrams (w:), adjacent lemma bigrams (b:), letter 4-grams of each word (c:)."""
    ws = words(text)
    lemmas = []
    for w in ws:
        lem = _lemma_cache.get(w)
        if lem is None:
            lem = _lemma(w)
            if len(_lemma_cache) < 100_000:
                _lemma_cache[w] = lem
        lemmas.append(lem)
    feats: dict[str, float] = {}
    for lem in lemmas:
        feats["w:" + lem] = 1.0
    for a, b in itertools.pairwise(lemmas):
        feats["b:" + a + " " + b] = 1.0
    for w in ws:
        padded = f"<{w}>"
        for i in range(max(1, len(padded) - CHAR_N + 1)):
            feats["c:" + padded[i : i + CHAR_N]] = CHAR_WEIGHT
    if not feats:
        return {}
    norm = 1.0 / math.sqrt(sum(v * v for v in feats.values()))
    return {k: v * norm for k, v in feats.items()}


@dataclass(frozen=True, slots=True)
class Opinion:
    probability: float
    evidence: list[str]  # the words that weighed most towards danger, as lemmas


class CrisisModel:
    def __init__(self, weights: dict[str, float], bias: float, version: str = "") -> None:
        self.weights = weights
        self.bias = bias
        self.version = version

    @classmethod
    def from_path(cls, path: Path | str = DEFAULT_MODEL_PATH) -> CrisisModel:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(
            {str(k): float(v) for k, v in raw["weights"].items()}, float(raw["bias"]), str(raw["version"])
        )

    def opinion(self, text: str) -> Opinion:
        feats = features(text)
        z = self.bias
        contrib: dict[str, float] = {}
        for k, v in feats.items():
            w = self.weights.get(k)
            if w is None:
                continue
            z += w * v
            if k[0] != "c":
                contrib[k[2:]] = contrib.get(k[2:], 0.0) + w * v
        prob = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
        top = sorted((c for c in contrib.items() if c[1] > 0), key=lambda c: -c[1])[:3]
        return Opinion(prob, [k for k, _ in top])

    def probability(self, text: str) -> float:
        return self.opinion(text).probability


def train(
    texts: Iterable[str], labels: Iterable[bool], *, l2: float = 1e-3, steps: int = 400, rate: float = 2.0
) -> CrisisModel:
    """Logistic regression by full-batch gradient descent (deterministic); needs numpy."""
    import numpy as np

    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    index: dict[str, int] = {}
    ys = []
    for r, (text, label) in enumerate(zip(texts, labels, strict=True)):
        for k, v in sorted(features(text).items()):
            rows.append(r)
            cols.append(index.setdefault(k, len(index)))
            vals.append(v)
        ys.append(1.0 if label else 0.0)
    n, f = len(ys), len(index)
    row_a, col_a, val_a = np.array(rows), np.array(cols), np.array(vals)
    y = np.array(ys)
    pos = y.mean() if n else 0.5
    sample_w = np.where(y > 0, 0.5 / max(pos, 1e-9), 0.5 / max(1 - pos, 1e-9))  # both classes weigh alike
    w = np.zeros(f)
    b = 0.0
    for _ in range(steps):
        z = np.bincount(row_a, weights=w[col_a] * val_a, minlength=n) + b
        p = 1.0 / (1.0 + np.exp(-z))
        g = (p - y) * sample_w / n
        grad_w = np.bincount(col_a, weights=g[row_a] * val_a, minlength=f) + l2 * w
        w -= rate * grad_w
        b -= rate * float(g.sum())
    names = sorted(index, key=index.__getitem__)
    weights = {name: round(float(w[i]), 4) for i, name in enumerate(names) if abs(w[i]) >= 5e-4}
    return CrisisModel(weights, round(b, 4))


def save(model: CrisisModel, path: Path, version: str, source: str) -> None:
    data = {
        "version": version,
        "source": source,
        "bias": model.bias,
        "weights": dict(sorted(model.weights.items())),
    }
    path.write_text(json.dumps(data, ensure_ascii=False, indent=0, sort_keys=False) + "\n", encoding="utf-8")


def main() -> None:  # pragma: no cover - a build step: `python -m bot.services.crisis_model`
    """Train on the tune part of the labelled corpus (never the held-out part) and write data/crisis_model.json."""
    import yaml

    root = DEFAULT_MODEL_PATH.parent.parent
    tune = root / "tests" / "data" / "danger_corpus" / "tune.yaml"
    items = yaml.safe_load(tune.read_text(encoding="utf-8"))["messages"]
    model = train([i["text"] for i in items], [bool(i["danger"]) for i in items])
    save(model, DEFAULT_MODEL_PATH, version=f"tune-{len(items)}", source="tests/data/danger_corpus/tune.yaml")
    print(f"{DEFAULT_MODEL_PATH}: {len(model.weights)} weights from {len(items)} tune messages")


if __name__ == "__main__":
    main()
