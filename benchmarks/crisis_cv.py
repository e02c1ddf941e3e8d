"""The statistical second opinion, cross-validated on the TUNE part only: `python benchmarks/crisis_cv.py [-v]`.

Never reads the held-out part. Two estimates:

1. The model (bot/services/crisis_model.py) in 5 folds grouped by hand-written base: a fold never sees a variant of
   a wording it was trained on (the way the held-out part was split). Printed: what it finds alone, what it would add
   where the lexicon is silent, and what it does as the detector uses it (a clear signal of one pattern in a message
   it reads as harmless is softened to "possible", the safety check), per threshold.
2. The lexicon itself was tuned on the whole tune part, so its own tune figures are in-sample. A leave-one-base-out
   simulation of its false alarms: a harmless message on which a pattern fires and which only an exception written
   for that same base (an exception matching no other harmless base) silences would have been a false alarm had the
   base been unseen. This estimate is what the softening is measured on.
"""

from __future__ import annotations

import sys
import zlib
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.services.crisis import DEFAULT_LEXICON_PATH, CrisisDetector, load_lexicon  # noqa: E402
from bot.services.crisis_model import DOWNGRADE_BELOW, train  # noqa: E402
from bot.services.crisis_text import _russian_in_latin  # noqa: E402

TUNE = ROOT / "tests" / "data" / "danger_corpus" / "tune.yaml"
FOLDS = 5


def cross_validated(items: list[dict]) -> list[float]:
    fold = [zlib.crc32(i["base"].encode()) % FOLDS for i in items]
    prob = [0.0] * len(items)
    for k in range(FOLDS):
        train_part = [i for i, f in zip(items, fold, strict=True) if f != k]
        model = train([i["text"] for i in train_part], [i["danger"] for i in train_part])
        for n, (i, f) in enumerate(zip(items, fold, strict=True)):
            if f == k:
                prob[n] = model.probability(i["text"])
    return prob


def exceptions_matching(det: CrisisDetector, text: str) -> set[str]:
    out = set()
    for t in {text, _russian_in_latin(text)}:
        tokens = det.tokenize(t)
        index = det._index(tokens)
        for phrase, _reach in det._c.exceptions:
            if any(True for _ in det._match_phrase(phrase, tokens, index, {})):
                out.add(f"{phrase.owner}|{phrase.source}")
    return out


def main() -> None:
    items = yaml.safe_load(TUNE.read_text(encoding="utf-8"))["messages"]
    prob = cross_validated(items)
    lexicon = load_lexicon(DEFAULT_LEXICON_PATH)
    det = CrisisDetector(lexicon)
    bare = CrisisDetector(lexicon.model_copy(update={"exceptions": []}))
    hits = [det.detect(i["text"]) for i in items]
    raw = [bare.detect(i["text"]) if not i["danger"] else None for i in items]
    danger = [n for n, i in enumerate(items) if i["danger"]]
    benign = [n for n, i in enumerate(items) if not i["danger"]]
    print(f"tune: {len(danger)} danger, {len(benign)} harmless, {len({i['base'] for i in items})} bases")

    # Leave-one-base-out false alarms of the lexicon.
    saved_by: dict[int, set[str]] = {}
    bases_of: dict[str, set[str]] = defaultdict(set)
    for n in benign:
        if raw[n] is not None and hits[n] is None:
            saved_by[n] = exceptions_matching(det, items[n]["text"])
            for e in saved_by[n]:
                bases_of[e].add(items[n]["base"])
    simulated = [n for n in benign if hits[n] is not None]
    simulated += [n for n, ex in saved_by.items() if all(len(bases_of[e]) <= 1 for e in ex)]
    single = [n for n in simulated if (hits[n] or raw[n]) and len((hits[n] or raw[n]).pattern_ids) == 1]
    clear = [n for n in simulated if (hits[n] or raw[n]).clear]
    print(
        f"\nlexicon, leave-one-base-out false alarms: {len(simulated)}/{len(benign)} = "
        f"{len(simulated) / len(benign):.3f} (in-sample: {sum(hits[n] is not None for n in benign)}); "
        f"{len(clear)} of them clear, {len(single)} from a single pattern"
    )

    caught = [n for n in danger if hits[n] is not None]
    clear_d = [n for n in caught if hits[n].clear]
    print(
        f"lexicon on danger (in-sample): any level {len(caught)}/{len(danger)} = {len(caught) / len(danger):.3f}, "
        f"clear {len(clear_d) / len(danger):.3f}"
    )

    print("\nthe model alone (cross-validated):")
    for t in (0.3, 0.4, 0.5, 0.6, 0.7):
        r = sum(prob[n] >= t for n in danger) / len(danger)
        fa = sum(prob[n] >= t for n in benign) / len(benign)
        print(f"  p >= {t:.2f}: recall {r:.3f}, false alarms {fa:.3f}")

    missed = [n for n in danger if hits[n] is None]
    silent = [n for n in benign if hits[n] is None]
    print("\nadding 'possible' where the lexicon is silent (cross-validated):")
    for t in (0.5, 0.6, 0.7, 0.8):
        add = sum(prob[n] >= t for n in missed)
        fa = sum(prob[n] >= t for n in silent)
        print(f"  p >= {t:.2f}: finds {add}/{len(missed)} of the lexicon's misses, {fa} new false alarms")

    def softened(n: int, hit, t: float) -> bool:
        return hit is not None and hit.clear and len(hit.pattern_ids) == 1 and prob[n] < t

    print("\nsoftening a single-pattern clear signal to 'possible' below t (cross-validated):")
    for t in (0.25, 0.3, 0.35, 0.4, 0.45):
        lost = sum(softened(n, hits[n], t) for n in clear_d)
        soft = sum(softened(n, hits[n] or raw[n], t) for n in clear)
        mark = "   <- shipped" if abs(t - DOWNGRADE_BELOW) < 1e-9 else ""
        print(
            f"  t={t:.2f}: clear-only recall {(len(clear_d) - lost) / len(danger):.3f} ({lost} softened); "
            f"clear false alarms (leave-one-base-out) {(len(clear) - soft) / len(benign):.3f} "
            f"({soft} of {len(clear)} softened){mark}"
        )
    if "-v" in sys.argv:
        for n in missed:
            print(
                f"  missed p={prob[n]:.2f} {items[n]['category']}/{items[n]['level']}: {items[n]['text'][:80]}"
            )
        for n in simulated:
            h = hits[n] or raw[n]
            print(f"  simulated alarm p={prob[n]:.2f} {h.level} {h.pattern_ids}: {items[n]['text'][:80]}")


if __name__ == "__main__":
    main()
