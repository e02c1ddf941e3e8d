"""Timing of the danger-signal detector: `python benchmarks/crisis_bench.py`.

Prints the mean and p95 time of one ``CrisisDetector.detect()`` call over the labelled phrases and over
10,000-character texts (cold: words never seen before by the caches; warm: the same texts again).
A figure-printing script, not a test.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.services.crisis import DEFAULT_LEXICON_PATH, CrisisDetector  # noqa: E402

PHRASES = ROOT / "tests" / "data" / "crisis_phrases.yaml"
DOCS = Path("/work/shared/docs")
LONG = 10_000


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _time(detect: Callable[[str], object], texts: list[str]) -> list[float]:
    out = []
    for text in texts:
        start = time.perf_counter()
        detect(text)
        out.append((time.perf_counter() - start) * 1000)
    return out


def _report(label: str, ms: list[float]) -> None:
    print(
        f"{label:<46} n={len(ms):<5} mean={statistics.mean(ms):7.3f} ms  p95={_p95(ms):7.3f} ms  max={max(ms):7.3f} ms"
    )


def _long_texts(phrases: list[str], n: int, seed: int) -> list[str]:
    """10,000-character texts of mixed phrases, with random invented words so the caches are cold."""
    rng = random.Random(seed)
    letters = "абвгдежзиклмнопрстуфхцчшщыэюя"
    texts = []
    for _ in range(n):
        parts: list[str] = []
        size = 0
        while size < LONG:
            if rng.random() < 0.3:
                part = "".join(rng.choice(letters) for _ in range(rng.randint(4, 11)))
            else:
                part = rng.choice(phrases)
            parts.append(part)
            size += len(part) + 1
        texts.append(" ".join(parts)[:LONG])
    return texts


def main() -> None:
    start = time.perf_counter()
    detector = CrisisDetector.from_path(DEFAULT_LEXICON_PATH)
    print(f"lexicon {detector.version}: loaded and compiled in {(time.perf_counter() - start) * 1000:.0f} ms")

    phrases = [p["text"] for p in yaml.safe_load(PHRASES.read_text(encoding="utf-8"))["phrases"]]
    _report("labelled phrases, first pass (cold caches)", _time(detector.detect, phrases))
    _report("labelled phrases, warm", _time(detector.detect, phrases * 5))

    safe = [
        p["text"]
        for p in yaml.safe_load(PHRASES.read_text(encoding="utf-8"))["phrases"]
        if p["expect"] == "none"
    ]
    texts = _long_texts(safe, 30, seed=7)
    _report("10,000-char texts of safe phrases, cold", _time(detector.detect, texts))
    _report("10,000-char texts of safe phrases, warm", _time(detector.detect, texts))
    mixed = _long_texts(phrases, 30, seed=11)
    _report("10,000-char texts with danger phrases, cold", _time(detector.detect, mixed))

    docs = sorted(DOCS.glob("*.md")) if DOCS.exists() else []
    prose = [d.read_text(encoding="utf-8")[i : i + LONG] for d in docs for i in range(0, 40_000, LONG)]
    prose = [t for t in prose if len(t) == LONG]
    if prose:
        _report("10,000-char slices of project docs, cold", _time(detector.detect, prose))

    needle = "ребёнок не дышит"
    long_one = (
        ("Подскажите про пособия на детей. " * 400)[: LONG // 2] + needle + (" Спасибо." * 1000)[: LONG // 2]
    )
    hit = detector.detect(long_one)
    print(f"one danger clause in the middle of {len(long_one)} chars: {hit.categories if hit else 'MISSED'}")


if __name__ == "__main__":
    main()
