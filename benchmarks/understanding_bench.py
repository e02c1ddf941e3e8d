"""The understanding layer: speed, memory and accuracy — `python benchmarks/understanding_bench.py`.

Prints, in one run:
  * latency of `Understander.understand()` for one message (p50 / p95 ms), with and without the word vectors (the
    baseline), cold (every word new to the caches: the first pass over the labelled messages) and warm;
  * the resident memory the word vectors add (anonymous and file-backed): RSS before loading them (everything else loaded: pymorphy3, the
    catalogue, the crisis detector) and after loading them and reading every labelled message;
  * intent accuracy on the labelled sets (tests/data/intents_tune.yaml — the part tuned on — and
    tests/data/intents_heldout.yaml — never tuned on), with and without the word vectors, and the misses of the
    held-out part.
Goals (issue 20): p95 ≤ 5 ms; the model adds ≤ 40 MB. A figure-printing script, not a test.
"""

from __future__ import annotations

import gc
import os
import statistics
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.services import embeddings as emb_mod  # noqa: E402
from bot.services.crisis import load_detector  # noqa: E402
from bot.services.measures import load_catalogue  # noqa: E402
from bot.services.morph import analyzer  # noqa: E402
from bot.services.understanding import Understander, load_intents  # noqa: E402

DATA = ROOT / "data"
SETS = {name: ROOT / "tests" / "data" / f"intents_{name}.yaml" for name in ("tune", "heldout")}
REGION = "RU-PNZ"


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


def rss_parts() -> str:
    """Anonymous (private) and file-backed (shared, reclaimable) resident memory."""
    fields = dict(
        line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line
    )
    anon, file = (int(fields[k].split()[0]) / 1024 for k in ("RssAnon", "RssFile"))
    return f"anonymous {anon:.1f} MB, file-backed {file:.1f} MB"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def load_set(path: Path) -> list[tuple[str, str]]:
    return [(str(item["text"]), str(item["intent"])) for item in yaml.safe_load(path.read_text())["items"]]


def timings(u: Understander, texts: list[str]) -> tuple[list[float], list[float]]:
    """(wall ms, CPU ms) per message. On a shared machine the wall clock also counts waiting for a core."""
    wall, cpu = [], []
    for text in texts:
        start, start_cpu = time.perf_counter(), time.thread_time()
        u.understand(text, "ru", REGION)
        cpu.append((time.thread_time() - start_cpu) * 1000)
        wall.append((time.perf_counter() - start) * 1000)
    return wall, cpu


def accuracy(u: Understander, items: list[tuple[str, str]]) -> tuple[float, list[tuple[str, str, str]]]:
    misses = []
    for text, label in items:
        got = u.understand(text, "ru", REGION).key
        if got != label:
            misses.append((text, label, got))
    return 1 - len(misses) / len(items), misses


def main() -> None:
    sets = {name: load_set(path) for name, path in SETS.items()}
    texts = [t for items in sets.values() for t, _l in items]
    spec, catalogue, detector = load_intents(DATA), load_catalogue(DATA), load_detector(DATA)
    analyzer()
    plain = Understander(spec, catalogue, detector=detector, embeddings=None)
    gc.collect()
    emb_mod._give_back_freed_memory()
    before = rss_mb()
    before_parts = rss_parts()

    cold_plain = timings(plain, texts)  # fills the lemma and typo caches the second model shares
    warm_plain = timings(plain, texts * 3)

    start = time.perf_counter()
    vectors = emb_mod.default_embeddings()
    load_s = time.perf_counter() - start
    if vectors is None:
        sys.exit("no navec file: install the `natasha` wheel (pip install -e .)")
    model = Understander(spec, catalogue, detector=detector, embeddings=vectors)
    del plain  # the production process holds one understander: with the vectors instead of without
    gc.collect()
    emb_mod._give_back_freed_memory()
    loaded = rss_mb()
    loaded_parts = rss_parts()
    warm_model = timings(model, texts * 3)
    fresh = [f"{t} {w}" for t in texts for w in ("сегодня", "вчера")][: len(texts)]  # new word combinations
    cold_model = timings(model, fresh)
    gc.collect()
    after = rss_mb()
    after_parts = rss_parts()
    plain = Understander(spec, catalogue, detector=detector, embeddings=None)

    print(f"messages: {len(texts)} labelled ({', '.join(f'{k} {len(v)}' for k, v in sets.items())})")
    print()
    load = Path("/proc/loadavg").read_text().split()[:3]
    print(
        f"latency of one message, ms (crisis check included; load average {' '.join(load)} on {os.cpu_count()} cores)"
    )
    print(
        "                                          CPU time: p50    p95    max  | wall clock: p50    p95    max"
    )
    for label, (wall, cpu) in (
        ("baseline (no vectors), cold caches", cold_plain),
        ("baseline (no vectors), warm", warm_plain),
        ("with navec vectors, new texts", cold_model),
        ("with navec vectors, warm", warm_model),
    ):
        print(
            f"  {label:36}      {statistics.median(cpu):6.2f} {pct(cpu, 0.95):6.2f} {max(cpu):6.2f}"
            f"  |           {statistics.median(wall):6.2f} {pct(wall, 0.95):6.2f} {max(wall):6.2f}"
        )
    print("  goal: p95 <= 5 ms")
    print()
    print(f"memory: RSS without the vectors {before:.1f} MB ({before_parts})")
    print(
        "        (baseline: pymorphy3, the catalogue, the crisis detector, the understander without vectors)"
    )
    print(
        f"        with them, loaded       {loaded:.1f} MB, +{loaded - before:.1f} MB ({loaded_parts}); load {load_s:.2f} s"
    )
    print(
        f"        after {len(texts) * 4} messages   {after:.1f} MB, +{after - before:.1f} MB ({after_parts})"
    )
    print(
        f"        the {vectors.index_bytes / 2**20:.0f} MB index stays in the file: one 100-byte row is read per word"
    )
    print("        goal: the model adds <= 40 MB")
    print()
    print("intent accuracy (the decided intent, or «unclear», equals the label)")
    misses_heldout: list[tuple[str, str, str]] = []
    for name, items in sets.items():
        acc_plain, _m = accuracy(plain, items)
        acc_model, misses = accuracy(model, items)
        if name == "heldout":
            misses_heldout = misses
        print(
            f"  {name:8} {len(items):4} messages: with vectors {acc_model:.3f}, baseline without {acc_plain:.3f}"
        )
    print()
    print("held-out misses (text → label, got):")
    for text, label, got in misses_heldout:
        print(f"  {text!r} → {label}, got {got}")


if __name__ == "__main__":
    main()
