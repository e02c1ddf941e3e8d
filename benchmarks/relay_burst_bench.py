"""Relay under a burst: N families write at once (each a new request) into the operators' forum group(s).

The real bot process (`python -m bot run`) against the fake Bot API with Telegram's flood limits enforced. Every
new request costs the group three sends: the topic, the card at its top, and the family's message. Telegram allows
20 messages a minute per group, shared by all topics; to keep the run short the minute is shrunk on both sides
(GROUP_WINDOW_SECONDS for the bot, Limits(group_window=…) for the fake) and the drain time is scaled back to real
minutes by the same factor (a rate limit scales linearly in the window).

Scenario 1: one operators' group. Scenario 2: the same families split over two regions, the second region with its
own group (operator_chat_id in a copy of data/regions.yaml, DATA_DIR). Prints: drain time, the most sends the fake
saw in any window (must be ≤ 20), 429s, messages lost and duplicated.

    .venv/bin/python benchmarks/relay_burst_bench.py [--families 100] [--window 3]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert  # noqa: E402

from bot.db.models import Family  # noqa: E402
from tests.e2e.harness import TOKEN, BotProcess  # noqa: E402
from tests.fake_telegram import FakeTelegram  # noqa: E402
from tests.fake_telegram.limits import Limits  # noqa: E402

GROUP_A, GROUP_B = -1001000000001, -1001000000003
FIRST = 3_000_000
PER_WINDOW = 20


def seed(db: Path, n: int, regions: list[str]) -> None:
    engine = create_engine(f"sqlite:///{db}")
    now = datetime.now(UTC)
    rows = [
        {
            "tg_user_id": FIRST + i,
            "language": "ru",
            "region": regions[i % len(regions)],
            "consent_at": now,
            "consent_version": "1.0",
            "profile": {},
            "created_at": now,
            "last_seen_at": now,
        }
        for i in range(n)
    ]
    with engine.begin() as conn:
        conn.execute(insert(Family), rows)
    engine.dispose()


def relayed(fake: FakeTelegram, groups: list[int]) -> Counter:
    got: Counter = Counter()
    for g in groups:
        for m in fake.world.chats[g].messages.values():
            text = m.text or ""
            if text.endswith(" here: I want to talk to a specialist"):
                got[text] += 1
    return got


async def run(n: int, window: float, two_groups: bool) -> dict:
    fake = FakeTelegram(
        token=TOKEN,
        record_polls=True,
        enforce_limits=True,
        limits=Limits(group_per_minute=PER_WINDOW, group_window=window),
    )
    await fake.start()
    try:
        groups = [GROUP_A, GROUP_B] if two_groups else [GROUP_A]
        fake.forum_group(GROUP_A, "Операторы")
        if two_groups:
            fake.forum_group(GROUP_B, "Операторы, Свердловская область")
        users = [fake.user(FIRST + i, "Семья", started=True) for i in range(n)]
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            env = {
                "OPERATOR_CHAT_ID": str(GROUP_A),
                "GROUP_MESSAGES_PER_WINDOW": str(PER_WINDOW),
                "GROUP_WINDOW_SECONDS": str(window),
                "LOG_LEVEL": "WARNING",
            }
            if two_groups:  # a copy of data/ where RU-SVE has its own operators' group
                data = workdir / "data"
                shutil.copytree(ROOT / "data", data)
                regions = yaml.safe_load((data / "regions.yaml").read_text())
                for region in regions["regions"]:
                    if region["code"] == "RU-SVE":
                        region["operator_chat_id"] = GROUP_B
                (data / "regions.yaml").write_text(
                    yaml.safe_dump(regions, allow_unicode=True, sort_keys=False)
                )
                env["DATA_DIR"] = str(data)
            proc = BotProcess(fake, workdir, **env)
            subprocess.run(
                [sys.executable, "-m", "bot", "migrate"],
                cwd=ROOT,
                env=proc.env,
                check=True,
                capture_output=True,
            )
            seed(workdir / "bot.sqlite3", n, ["RU-PNZ", "RU-SVE"] if two_groups else ["RU-PNZ"])
            await proc.start(timeout=90)
            fake.limiter.reset()
            started = time.monotonic()
            for i, user in enumerate(users):
                user.send_text(f"Family {i} here: I want to talk to a specialist")  # a request for a person
            await fake.wait_for(
                lambda: len(relayed(fake, groups)) >= n, timeout=3 * n / PER_WINDOW * window + 120
            )
            drained = time.monotonic() - started

            def quiet() -> bool:  # no group send for two windows: topics and cards are out too
                last = max(fake.group_sends.get(g, [0.0])[-1] for g in groups)
                return time.monotonic() - last > 2 * window

            await fake.wait_for(quiet, timeout=3 * n / PER_WINDOW * window + 120)
            all_sent = max(fake.group_sends[g][-1] for g in groups) - started
            got = relayed(fake, groups)
            await proc.stop()
        return {
            "groups": len(groups),
            "messages_in_s": round(drained, 1),
            "messages_in_real_min": round(drained / window, 1),
            "all_sent_s": round(all_sent, 1),
            "all_sent_real_min": round(all_sent / window, 1),
            "group_sends": {g: len(fake.group_sends.get(g, [])) for g in groups},
            "max_sends_in_window": {g: fake.max_group_sends(g, window) for g in groups},
            "limit": PER_WINDOW,
            "429s": fake.rate_limited,
            "lost": n - len(got),
            "duplicated": sum(1 for v in got.values() if v > 1),
        }
    finally:
        await fake.stop()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--families", type=int, default=100)
    parser.add_argument("--window", type=float, default=3.0, help="seconds standing for Telegram's minute")
    args = parser.parse_args()
    print(
        f"{args.families} families at once; the group minute shrunk to {args.window} s (x{60 / args.window:g})"
    )
    for two in (False, True):
        result = await run(args.families, args.window, two)
        print(("two groups (per region): " if two else "one group: ") + str(result), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
