"""Time of screening one family against all shipped measures (goal: < 20 ms).

.venv/bin/python benchmarks/screener_bench.py [--n 3000] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.services import measures as ms

ON = date(2026, 11, 22)
REGIONS = ["RU-VGG", "RU-PNZ", "RU-SVE", "RU-MOW", None, "other"]


def _maybe(rng: random.Random, value, p_unknown: float = 0.2, p_absent: float = 0.2):
    r = rng.random()
    if r < p_absent:
        return ...
    if r < p_absent + p_unknown:
        return None
    return value


def random_profile(rng: random.Random) -> dict:
    facts: dict = {}
    n = rng.choice([0, 1, 1, 2, 2, 3, 3, 4, 5])
    if rng.random() < 0.3:
        facts["children_birth_dates"] = [
            (ON - timedelta(days=rng.randint(0, 25 * 365))).isoformat() for _ in range(n)
        ]
    elif rng.random() < 0.85:
        facts["children_birth_years"] = [rng.randint(2001, 2026) for _ in range(n)]
        if rng.random() < 0.2:
            facts["children_count"] = n + rng.randint(0, 2)
    else:
        facts["children_count"] = n
    pregnant = rng.random() < 0.2
    candidates = {
        "pregnant": pregnant,
        "pregnancy_weeks": rng.choice([[0, 11], [12, 25], [26, 42], 8, 27]) if pregnant else ...,
        "registered_before_12w": rng.random() < 0.7 if pregnant else ...,
        "applicant_activity": rng.choice(["employed", "self_employed", "student", "not_working"]),
        "adults_count": rng.choice([1, 2, 2, 3]),
        "income_level": rng.choice(["below_pm", "pm_to_1_1", "pm_1_1_to_1_5", "above_1_5"]),
        "zero_income_ok": rng.random() < 0.8,
        "property_ok": rng.random() < 0.8,
        "child_disability": rng.random() < 0.05,
        "military_service": rng.choice(["conscript", "contract", "none", "none", "none"]),
        "has_mortgage": rng.random() < 0.4,
        "single_parent": rng.random() < 0.2,
        "adult_child_student": rng.random() < 0.3,
    }
    for key, value in candidates.items():
        v = _maybe(rng, value) if value is not ... else ...
        if v is not ...:
            facts[key] = v
    return facts


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    cat = ms.default_catalogue()
    screened = sum(1 for m in cat.measures.values() if m.screen)
    profiles = [(random_profile(rng), rng.choice(REGIONS)) for _ in range(args.n)]
    ms.screen(*profiles[0], ON, cat)  # warm-up (lazy imports, caches)
    times = []
    groups = {"likely": 0, "maybe": 0, "other": 0}
    for facts, region in profiles:
        t0 = time.perf_counter()
        r = ms.screen(facts, region, ON, cat)
        times.append((time.perf_counter() - t0) * 1000)
        groups["likely"] += len(r.likely)
        groups["maybe"] += len(r.maybe)
        groups["other"] += len(r.other)
    times.sort()
    p95 = times[int(0.95 * (len(times) - 1))]
    mean = statistics.fmean(times)
    print(f"profiles: {args.n}, measures screened per family: {screened} (catalogue: {len(cat.measures)})")
    print(
        f"mean {mean:.3f} ms, p50 {times[len(times) // 2]:.3f} ms, p95 {p95:.3f} ms, max {times[-1]:.3f} ms"
    )
    total = sum(groups.values())
    print("results: " + ", ".join(f"{k} {v / total:.0%}" for k, v in groups.items()))
    print("goal < 20 ms:", "OK" if p95 < 20 else "MISSED")


if __name__ == "__main__":
    main()
