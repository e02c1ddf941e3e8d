"""The yardstick of the danger detector: grouped cross-validation over the whole labelled corpus.

    python benchmarks/crisis_cv.py [-v]

The corpus (tests/data/danger_corpus/tune.yaml) is all tuning data; the judge is an independent set this script
never reads. The statistical second opinion (bot/services/crisis_model.py) is trained in 5 folds grouped by
hand-written base: a fold is never scored on a variant of a base it was trained on. Each message is then run
through the detector exactly as shipped (lexicon, softening, raising) with the probability of the fold that did
not see it. Printed:

1. the model alone per threshold, and the choice of RAISE_ABOVE (a "possible" signal where the lexicon is silent)
   and DOWNGRADE_BELOW (a single-pattern clear signal softened to "possible");
2. the detector per part of the corpus. The lexicon is hand-written on all of it, so these figures are in-sample
   for the lexicon and cross-validated for the model only;
3. the estimate on unseen wordings: for each round of bases written in December 2026, the lexicon as it was
   BEFORE it was edited for them (read with git) on those bases, with the cross-validated model:
   - the lexicon of 990a602 on parts «own» (never seen by it) and «second» (the old held-out part: looked at
     before, not tuned on);
   - the lexicon of 0bc9db7 (with the general patterns and the raising model) on part «own2»;
   - the lexicon of f34380e on part «own3» (longer, indirect danger; harmless messages built to look like danger);
   - the lexicon of 1cddb4a on part «own4» (ordinary first messages; it was shipped unchanged until ea7d72d);
   - the lexicon of ea7d72d on part «indep1» (independent set 1, another author's bases: the judge twice, tuning
     data since; this is its last clean figure, with a cross-validated model instead of the shipped one).
   - the lexicon of 0164b80 (edited for independent set 1) on part «own5» (new kinds, written after it and
     measured before any change for them);
   - the lexicon of 24a2ca8 (edited for own5 too) on part «own6» (written as other people write, measured
     before any change for it);
   - the lexicon of 07774ed on part «own7» (short, fragmentary first messages). The lexicon was not edited for this
     round afterwards.
   - the lexicon of c92528c on parts «own8a», «own8b», «own8c» (three more authors, sessions that read nothing of
     the project, from a brief of kinds and voices; measured before any change for them, then tuned on);
   - the lexicon of f6e1d28 (edited for round 8) on parts «own9a», «own9b», «own9c» (three more such authors: typed in
     a hurry, long messages with several troubles, less common lives).
   - the lexicon of 74b8036 (edited for round 9) on parts «own10a», «own10b», «own10c» (three more such authors: no
     food or shelter and medical emergencies in everyday words; danger never named; messenger typing, danger in
     passing among other words).
   - the lexicon of 9916f48 (edited for round 10) on parts «own11a», «own11b», «own11c» (pregnancy, newborns and early
     parenthood; teenagers about themselves; older people and carers).
   - the lexicon of f839dfd (edited for round 11) on parts «own12a», «own12b», «own12c» (near misses: dangers past
     or other people's, feelings and figures of speech, bodies, homes and money — beside live danger worded the same).
   - the lexicon of 947a8ed (edited for round 12) on parts «own13a», «own13b», «own13c» (near misses again:
     hypotheticals, plans, fears and questions; work, institutions and official language; short careless messages).
   - the lexicon of 7f04ae8 (round 13 and four safety fixes) on parts «own14a», «own14b» (near misses again:
     quoted, forwarded and copied text; non-native Russian and mixed languages).
   Each lexicon was improved afterwards, so these are estimates for the detector of that time; the later one is
   the closer to today's. They are the figures to compare with the independent judge set.
4. the same, all rounds together, for each raise threshold, with the share of every-day questions (tests/data/
   intents_tune.yaml) that get a signal: how RAISE_ABOVE is chosen (the largest recall minus the mean of the two
   false-alarm rates).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zlib
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.services.crisis import DEFAULT_LEXICON_PATH, CrisisDetector, CrisisHit, load_lexicon  # noqa: E402
from bot.services.crisis_model import (  # noqa: E402
    DOWNGRADE_BELOW,
    RAISE_ABOVE,
    CrisisModel,
    Opinion,
    train_on,
    training_items,
)

FOLDS = 5
EVERYDAY_QUESTIONS = ROOT / "tests" / "data" / "intents_tune.yaml"
RAISE_CHOICES = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.9, 1.01)  # 1.01: no raise
# (the lexicon before it was edited for them, the parts of the corpus it had never been edited for)
ROUNDS = (
    ("990a602", ("own", "second")),
    ("0bc9db7", ("own2",)),
    ("f34380e", ("own3",)),
    ("1cddb4a", ("own4",)),
    ("ea7d72d", ("indep1",)),
    ("0164b80", ("own5",)),
    ("24a2ca8", ("own6",)),
    ("07774ed", ("own7",)),
    ("c92528c", ("own8a", "own8b", "own8c")),
    ("f6e1d28", ("own9a", "own9b", "own9c")),
    ("74b8036", ("own10a", "own10b", "own10c")),
    ("9916f48", ("own11a", "own11b", "own11c")),
    ("f839dfd", ("own12a", "own12b", "own12c")),
    ("947a8ed", ("own13a", "own13b", "own13c")),
    ("7f04ae8", ("own14a", "own14b")),
    ("2178cdf", ("own15a", "own15b")),
)


class _FoldOpinion(CrisisModel):
    """The probability of the fold that did not see the message (as the shipped model would be asked)."""

    def __init__(self, probs: dict[str, float], real: list[CrisisModel], fold_of: dict[str, int]) -> None:
        super().__init__({}, 0.0, "cv")
        self.probs, self.real, self.fold_of = probs, real, fold_of

    def opinion(self, text: str) -> Opinion:
        got = self.real[self.fold_of[text]].opinion(text)
        return Opinion(self.probs[text], got.evidence)

    def category(self, evidence: list[str]) -> str | None:
        return self.real[0].category(evidence)


def fold_of(base: str) -> int:
    return zlib.crc32(base.encode()) % FOLDS


def cross_validated(items: list[dict]) -> tuple[list[float], list[CrisisModel]]:
    prob = [0.0] * len(items)
    models = []
    for k in range(FOLDS):
        model = train_on([i for i in items if fold_of(i["base"]) != k])
        models.append(model)
        for n, i in enumerate(items):
            if fold_of(i["base"]) == k:
                prob[n] = model.probability(i["text"])
    return prob, models


def cv_detector(lexicon_path: Path, items: list[dict], prob: list[float], models: list) -> CrisisDetector:
    probs = {i["text"]: p for i, p in zip(items, prob, strict=True)}
    folds = {i["text"]: fold_of(i["base"]) for i in items}
    return CrisisDetector(load_lexicon(lexicon_path), model=_FoldOpinion(probs, models, folds))


def figures(hits: list, items: list[dict], parts: tuple[str, ...] | None = None) -> dict:
    sel = [n for n, i in enumerate(items) if parts is None or i["part"] in parts]
    danger = [n for n in sel if items[n]["danger"]]
    benign = [n for n in sel if not items[n]["danger"]]

    def share(ns: list[int], counted: Callable[[CrisisHit | None], bool]) -> float:
        # part «everyday» has no danger message: its recall is no figure
        return sum(counted(hits[n]) for n in ns) / len(ns) if ns else float("nan")

    return {
        "danger": len(danger),
        "benign": len(benign),
        "recall": share(danger, lambda h: h is not None),
        "clear": share(danger, lambda h: h is not None and h.clear),
        "fa": share(benign, lambda h: h is not None),
        "fa_clear": share(benign, lambda h: h is not None and h.clear),
    }


def line(label: str, f: dict) -> str:
    return (
        f"  {label:<44} recall {f['recall']:.3f} (clear {f['clear']:.3f})   false alarms {f['fa']:.3f} "
        f"(clear {f['fa_clear']:.3f})   [{f['danger']} danger, {f['benign']} harmless]"
    )


def lexicon_before(commit: str) -> Path | None:
    """The lexicon file of a commit, from git (None without git history)."""
    try:
        text = subprocess.run(
            ["git", "show", f"{commit}:data/crisis_lexicon.yaml"],
            cwd=ROOT,
            capture_output=True,
            check=True,
            text=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    path = Path(tempfile.mkdtemp()) / "crisis_lexicon.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def estimate(verbose: bool = False) -> dict:
    """Every figure of the cross-validation (printed by main and by benchmarks/crisis_bench.py)."""
    items = training_items()
    prob, models = cross_validated(items)
    out: dict = {"items": items, "prob": prob}
    det = cv_detector(DEFAULT_LEXICON_PATH, items, prob, models)
    hits = [det.detect(i["text"]) for i in items]
    out["all"] = figures(hits, items)
    out["parts"] = {p: figures(hits, items, (p,)) for p in dict.fromkeys(i["part"] for i in items)}
    alone = CrisisDetector(det.lexicon)
    lex_hits = [alone.detect(i["text"]) for i in items]
    out["lexicon_alone"] = figures(lex_hits, items)
    out["rounds"] = []
    unseen: list[tuple[CrisisDetector, list[dict]]] = []
    for commit, parts in ROUNDS:
        before = lexicon_before(commit)
        if before is None:
            continue
        old = cv_detector(before, items, prob, models)
        sel = [i for i in items if i["part"] in parts]
        unseen.append((old, sel))
        old_alone = CrisisDetector(old.lexicon)
        out["rounds"].append(
            (
                commit,
                parts,
                figures([old.detect(i["text"]) for i in sel], sel),
                figures([old_alone.detect(i["text"]) for i in sel], sel),
            )
        )
    # 4. the raise threshold on all of them together (how RAISE_ABOVE is chosen), and on every-day questions
    out["raise"] = []
    shipped = CrisisDetector.from_path()
    everyday = [
        i["text"]
        for i in yaml.safe_load(EVERYDAY_QUESTIONS.read_text(encoding="utf-8"))["items"]
        if i["intent"] != "danger"
    ]
    for t in RAISE_CHOICES:
        shipped.raise_above = t
        asked = sum(shipped.detect(text) is not None for text in everyday) / len(everyday)
        hits_t: list = []
        sel_t: list[dict] = []
        for det, sel in unseen:
            det.raise_above = t
            hits_t += [det.detect(i["text"]) for i in sel]
            sel_t += sel
        if sel_t:
            out["raise"].append((t, figures(hits_t, sel_t), asked))
    out["hits"], out["lex_hits"] = hits, lex_hits
    return out


def main() -> None:
    verbose = "-v" in sys.argv
    r = estimate(verbose)
    items, prob, lex_hits = r["items"], r["prob"], r["lex_hits"]
    danger = [n for n, i in enumerate(items) if i["danger"]]
    benign = [n for n, i in enumerate(items) if not i["danger"]]
    print(f"corpus: {len(danger)} danger, {len(benign)} harmless, {len({i['base'] for i in items})} bases")

    print(f"\n1. the model alone ({FOLDS} folds grouped by base):")
    for t in (0.5, 0.7, 0.8, 0.9, 0.95, 0.97):
        rec = sum(prob[n] >= t for n in danger) / len(danger)
        fa = sum(prob[n] >= t for n in benign) / len(benign)
        print(f"  p >= {t:.2f}: recall {rec:.3f}, false alarms {fa:.3f}")
    missed = [n for n in danger if lex_hits[n] is None]
    silent = [n for n in benign if lex_hits[n] is None]
    print(f"  raising 'possible' where the lexicon is silent ({len(missed)} danger, {len(silent)} harmless):")
    for t in (0.5, 0.6, 0.7, 0.8, 0.9, 0.95):
        mark = "   <- shipped (RAISE_ABOVE)" if abs(t - RAISE_ABOVE) < 1e-9 else ""
        print(
            f"    p >= {t:.2f}: finds {sum(prob[n] >= t for n in missed)}, "
            f"{sum(prob[n] >= t for n in silent)} new false alarms ({sum(prob[n] >= t for n in silent) / len(benign):.3f}){mark}"
        )
    print("  softening a single-pattern clear signal below t (clear-only figures, the lexicon in-sample):")
    for t in (0.2, 0.35, 0.5):
        soft_d = sum(
            1
            for n in danger
            if lex_hits[n] and lex_hits[n].clear and len(lex_hits[n].pattern_ids) == 1 and prob[n] < t
        )
        soft_b = sum(
            1
            for n in benign
            if lex_hits[n] and lex_hits[n].clear and len(lex_hits[n].pattern_ids) == 1 and prob[n] < t
        )
        mark = "   <- shipped (DOWNGRADE_BELOW)" if abs(t - DOWNGRADE_BELOW) < 1e-9 else ""
        print(f"    t={t:.2f}: {soft_d} danger and {soft_b} harmless messages softened to 'possible'{mark}")

    print("\n2. the detector as shipped, model cross-validated, lexicon IN-SAMPLE (written on all of it):")
    print(line("all", r["all"]))
    for part, f in r["parts"].items():
        print(line(f"part {part}", f))
    print(line("lexicon alone, all", r["lexicon_alone"]))

    if r["rounds"]:
        print(
            "\n3. ESTIMATE on unseen wordings: each lexicon on the bases it was not yet edited for, model cross-validated:"
        )
        for commit, parts, det_f, lex_f in r["rounds"]:
            print(line(f"{commit} on {'+'.join(parts)}: detector", det_f))
            print(line(f"{commit} on {'+'.join(parts)}: lexicon alone", lex_f))
    else:
        print("\n3. no git history: the estimate on unseen wordings needs the lexicons of " + str(ROUNDS))
    if r["raise"]:

        def score(f: dict, asked: float) -> float:
            return f["recall"] - (f["fa"] + asked) / 2

        best = max(r["raise"], key=lambda x: score(x[1], x[2]))[0]
        print(
            "\n4. RAISE_ABOVE on unseen wordings (all of part 3 together) and on every-day questions (the shipped "
            "detector on tests/data/intents_tune.yaml, none about danger): the threshold with the largest recall minus "
            "the mean of the two false-alarm rates (a missed danger message weighs as much as a false alarm)"
        )
        for t, f, asked in r["raise"]:
            label = "no raise" if t > 1 else f"p >= {t:.2f}"
            mark = "   <- the choice" if t == best else ""
            mark += "   <- shipped (RAISE_ABOVE)" if abs(t - RAISE_ABOVE) < 1e-9 else ""
            print(line(f"{label} ({score(f, asked):.3f})", f) + f"   every-day asked {asked:.3f}" + mark)

    if verbose:
        hits = r["hits"]
        for n in danger:
            if hits[n] is None:
                print(f"  missed p={prob[n]:.2f} {items[n]['category']}: {items[n]['text'][:90]}")
        for n in benign:
            if hits[n] is not None:
                print(
                    f"  alarm p={prob[n]:.2f} {hits[n].level} {hits[n].pattern_ids}: {items[n]['text'][:90]}"
                )


if __name__ == "__main__":
    main()
