"""Quality, speed and memory of the danger-signal detector.

    python benchmarks/crisis_bench.py [--no-cv] [--judges-only]


Prints:
  - the grouped cross-validation estimate (benchmarks/crisis_cv.py; skipped with --no-cv, it takes a minute):
    the detector as shipped with the second opinion of a fold that never saw the message's base, and the estimate
    on unseen wordings (the lexicon before it was edited for them);
  - for the tune corpus (tests/data/danger_corpus/tune.yaml: all tuning data, in-sample), per part, and the older
    tests/data/crisis_phrases.yaml set: recall (a danger message gets any answer: the emergency reply or the safety
    check), recall of the clear level alone, and the false-alarm rate on harmless messages; per category; next to
    it the lexicon alone and a baseline (typo tolerance and the Latin reading switched off);
  - the same figures on the judges, independent sets 2, 3 and 4 (tests/data/danger_independent{2,3,4}/independent.yaml,
    each written by a session that never saw the detector; never tuned on) — alone with --judges-only.
    Independent set 1 (the judge until December 2026) is tuning data now: part «indep1» of tune.yaml;
then the time of one ``detect()`` call (p50/p95, first pass with cold caches and warm), the 10,000-character
worst case, the load time and the resident memory the detector adds. A figure-printing script, not a test.
"""

from __future__ import annotations

import gc
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.services.crisis import DEFAULT_LEXICON_PATH, CrisisDetector, load_lexicon  # noqa: E402
from bot.services.crisis_model import DEFAULT_MODEL_PATH, CrisisModel, training_items  # noqa: E402
from bot.services.morph import analyzer  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "danger_corpus"
INDEPENDENT = ROOT / "tests" / "data" / "danger_independent2" / "independent.yaml"
# The third independent set (written 2026-12-06 by a session that read none of the detector, its corpus or set 2):
# a second judge, read for totals only, like set 2.
INDEPENDENT3 = ROOT / "tests" / "data" / "danger_independent3" / "independent.yaml"
# The fourth (written 2026-12-07 by two sessions that read no file of the project): first looked at after round 13
# and the four safety fixes, when sets 2 and 3 had been looked at ten and five times.
INDEPENDENT4 = ROOT / "tests" / "data" / "danger_independent4" / "independent.yaml"
JUDGES = (
    ("independent set 2 (the judge)", INDEPENDENT),
    ("independent set 3 (the judge)", INDEPENDENT3),
    ("independent set 4 (the judge)", INDEPENDENT4),
)
PHRASES = ROOT / "tests" / "data" / "crisis_phrases.yaml"
LONG = 10_000


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def load_tune() -> list[dict]:
    return training_items()


def load_independent(path: Path = INDEPENDENT) -> list[dict] | None:
    """A judge set when it is present: messages with text and danger (and category), as in the corpus, or with
    expect as in tests/data/crisis_phrases.yaml."""
    if not path.exists():
        return None
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if isinstance(raw, dict):
        raw = raw.get("messages") or raw.get("phrases") or []
    out = []
    for i in raw:
        if "danger" in i:
            danger = bool(i["danger"])
            category = i.get("category") or ("danger" if danger else "benign")
        else:  # the format of tests/data/crisis_phrases.yaml: expect: none | a category | a list of them
            exp = i["expect"]
            cats = [] if exp == "none" else ([exp] if isinstance(exp, str) else list(exp))
            danger, category = bool(cats), (cats[0] if cats else "benign")
        out.append({"text": i["text"], "danger": danger, "category": category, "level": i.get("level")})
    return out


def old_set() -> list[dict]:
    out = []
    for p in yaml.safe_load(PHRASES.read_text(encoding="utf-8"))["phrases"]:
        exp = p["expect"]
        cats = [] if exp == "none" else ([exp] if isinstance(exp, str) else list(exp))
        out.append(
            {
                "text": p["text"],
                "danger": bool(cats),
                "category": cats[0] if cats else "benign",
                "level": "clear",
            }
        )
    return out


def evaluate(detector: CrisisDetector, items: list[dict]) -> dict:
    caught = clear = alarms = clear_alarms = 0
    danger = [i for i in items if i["danger"]]
    benign = [i for i in items if not i["danger"]]
    per_cat: dict[str, Counter] = {}
    for item in danger:
        hit = detector.detect(item["text"])
        c = per_cat.setdefault(item["category"], Counter())
        c["n"] += 1
        if hit is not None:
            caught += 1
            c["caught"] += 1
            clear += hit.level == "clear"
    for item in benign:
        hit = detector.detect(item["text"])
        alarms += hit is not None
        clear_alarms += hit is not None and hit.level == "clear"
    return {
        "danger": len(danger),
        "benign": len(benign),
        "recall": caught / len(danger) if danger else float("nan"),
        "clear": clear / len(danger) if danger else float("nan"),
        "fa": alarms / len(benign) if benign else float("nan"),
        "alarms": alarms,
        "fa_clear": clear_alarms / len(benign) if benign else float("nan"),
        "clear_alarms": clear_alarms,
        "caught": caught,
        "per_cat": per_cat,
    }


def report(
    name: str, items: list[dict], detector: CrisisDetector, baseline: CrisisDetector, alone: CrisisDetector
) -> None:
    r, b, a = evaluate(detector, items), evaluate(baseline, items), evaluate(alone, items)
    print(
        f"\n[{name}] {r['danger']} danger, {r['benign']} harmless   (lexicon alone = without the second opinion)\n"
        f"  recall (any level)        {r['recall']:.3f} ({r['caught']}/{r['danger']})   lexicon alone {a['recall']:.3f}"
        f"   baseline {b['recall']:.3f}\n"
        f"  recall (clear only)       {r['clear']:.3f}   lexicon alone {a['clear']:.3f}   baseline {b['clear']:.3f}\n"
        f"  false alarms (any level)  {r['fa']:.3f} ({r['alarms']}/{r['benign']})   lexicon alone {a['fa']:.3f}"
        f"   baseline {b['fa']:.3f}\n"
        f"  false alarms (clear only) {r['fa_clear']:.3f} ({r['clear_alarms']}/{r['benign']})   lexicon alone"
        f" {a['fa_clear']:.3f}   baseline {b['fa_clear']:.3f}"
    )
    for cat, c in sorted(r["per_cat"].items()):
        bc = b["per_cat"].get(cat, c)
        print(
            f"    {cat:<16} recall {c['caught'] / c['n']:.3f} ({c['caught']}/{c['n']})   baseline {bc['caught'] / bc['n']:.3f}"
        )


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(detect: Callable[[str], object], texts: list[str]) -> list[float]:
    out = []
    for text in texts:
        start = time.perf_counter()
        detect(text)
        out.append((time.perf_counter() - start) * 1000)
    return out


def time_line(label: str, ms: list[float]) -> None:
    print(
        f"  {label:<44} n={len(ms):<5} p50={p(ms, 0.5):6.3f} ms  p95={p(ms, 0.95):6.3f} ms  "
        f"mean={statistics.mean(ms):6.3f} ms  max={max(ms):7.3f} ms"
    )


def long_texts(phrases: list[str], n: int, seed: int) -> list[str]:
    """10,000-character texts of mixed phrases, with invented words so the caches are cold."""
    rng = random.Random(seed)
    letters = "абвгдежзиклмнопрстуфхцчшщыэюя"
    texts = []
    for _ in range(n):
        parts: list[str] = []
        size = 0
        while size < LONG:
            part = (
                "".join(rng.choice(letters) for _ in range(rng.randint(4, 11)))
                if rng.random() < 0.3
                else rng.choice(phrases)
            )
            parts.append(part)
            size += len(part) + 1
        texts.append(" ".join(parts)[:LONG])
    return texts


def judges(detector: CrisisDetector, baseline: CrisisDetector, alone: CrisisDetector) -> None:
    for name, path in JUDGES:
        items = load_independent(path)
        if items is None:
            print(f"\n[{name}] {path.relative_to(ROOT)} is not here")
        else:
            report(name, items, detector, baseline, alone)


def main() -> None:
    if "--judges-only" in sys.argv:  # a look at the judges: their totals and nothing else
        lexicon = load_lexicon(DEFAULT_LEXICON_PATH)
        model = CrisisModel.from_path(DEFAULT_MODEL_PATH)
        judges(
            CrisisDetector(lexicon, model=model),
            CrisisDetector(lexicon, typos=False, latin=False),
            CrisisDetector(lexicon),
        )
        return
    analyzer()  # the morphological dictionaries are shared with measure search: not the detector's memory
    gc.collect()
    before = rss_mb()
    start = time.perf_counter()
    lexicon = load_lexicon(DEFAULT_LEXICON_PATH)
    detector = CrisisDetector(lexicon, model=CrisisModel.from_path(DEFAULT_MODEL_PATH))
    load_ms = (time.perf_counter() - start) * 1000
    gc.collect()
    after = rss_mb()
    print(
        f"lexicon {detector.version}: {len(lexicon.patterns)} patterns, {len(lexicon.exceptions)} exceptions"
    )
    print(
        f"loaded and compiled in {load_ms:.0f} ms; resident memory +{after - before:.1f} MB (process {after:.0f} MB)"
    )
    baseline = CrisisDetector(lexicon, typos=False, latin=False)
    alone = CrisisDetector(lexicon)

    tune = load_tune()
    texts = [i["text"] for i in tune]
    print("\nTime of one detect() call (this machine):")
    time_line("corpus messages, first pass (cold caches)", timed(detector.detect, texts))
    time_line("corpus messages, warm", timed(detector.detect, texts))
    time_line("lexicon alone (no second opinion), warm", timed(alone.detect, texts))
    time_line("baseline, warm", timed(baseline.detect, texts))
    safe = [i["text"] for i in tune if not i["danger"]]
    time_line("10,000-char texts of harmless messages, cold", timed(detector.detect, long_texts(safe, 20, 7)))
    time_line(
        "10,000-char texts with danger messages, cold", timed(detector.detect, long_texts(texts, 20, 11))
    )

    if "--no-cv" not in sys.argv:
        from crisis_cv import estimate, line

        cv = estimate()
        print(
            "\nGROUPED CROSS-VALIDATION (5 folds by base; the second opinion never saw the base it scores):"
        )
        print(line("detector as shipped (lexicon in-sample)", cv["all"]))
        print("  ESTIMATE on unseen wordings (each lexicon on the bases it was not yet edited for):")
        for commit, parts, det_f, lex_f in cv["rounds"]:
            print(line(f"  {commit} on {'+'.join(parts)}: detector", det_f))
            print(line(f"  {commit} on {'+'.join(parts)}: lexicon alone", lex_f))

    print(
        "\nBaseline: the same lexicon without typo tolerance and without reading Latin-typed Russian, and without"
        " the second opinion."
    )
    judges(detector, baseline, alone)
    report("tune (all tuning data: in-sample)", tune, detector, baseline, alone)
    for part in dict.fromkeys(i["part"] for i in tune):  # the parts in the corpus's order
        report(
            f"tune, part {part}"
            + (" (independent set 1, the judge until Dec 2026)" if part == "indep1" else ""),
            [i for i in tune if i["part"] == part],
            detector,
            baseline,
            alone,
        )
    report("older set tests/data/crisis_phrases.yaml", old_set(), detector, baseline, alone)

    needle = "ребёнок не дышит"
    long_one = (
        ("Подскажите про пособия на детей. " * 400)[: LONG // 2] + needle + (" Спасибо." * 1000)[: LONG // 2]
    )
    hit = detector.detect(long_one)
    print(
        f"  one danger clause in the middle of {len(long_one)} chars: {hit.categories if hit else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
