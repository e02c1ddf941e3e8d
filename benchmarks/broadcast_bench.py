"""Broadcast benchmark: N families through the fake Bot API with Telegram's flood limits enforced.

Runs the real bot process (`python -m bot run`) twice on fresh SQLite files:
  1. a plain run;
  2. the same with `kill -9` of the bot halfway through the broadcast, then a restart.
For each it prints the achieved rate as a share of BROADCAST_RATE, the 429s the fake issued, duplicates (a family
with more than one copy), lost families (none delivered), and after the kill the recipients left «unknown».

    .venv/bin/python benchmarks/broadcast_bench.py [--families 10000] [--rate 25]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert  # noqa: E402

from bot.db.models import Broadcast, Family  # noqa: E402
from tests.e2e.harness import TOKEN, BotProcess  # noqa: E402
from tests.fake_telegram import FakeTelegram  # noqa: E402
from tests.fake_telegram.limits import Limits  # noqa: E402

COORD = 600_000
FIRST_FAMILY = 1_000_000
TEXT = "Benchmark announcement"


def seed(db: Path, n: int) -> None:
    engine = create_engine(f"sqlite:///{db}")
    now = datetime.now(UTC)
    rows = [
        {
            "tg_user_id": FIRST_FAMILY + i,
            "language": "ru",
            "region": "RU-PNZ",
            "consent_at": now,
            "consent_version": "1",
            "profile": {},
            "created_at": now,
            "last_seen_at": now,
        }
        for i in range(n)
    ]
    with engine.begin() as conn:
        conn.execute(insert(Family), rows)
        conn.execute(
            insert(Broadcast),
            [
                {
                    "created_by": COORD,
                    "chat_id": COORD,
                    "status": "scheduled",
                    "content": {"kind": "text", "text": TEXT, "entities": [], "buttons": []},
                    "poll": [],
                    "segment": {},
                    "send_at": now,
                    "timezone": "Europe/Moscow",
                    "created_at": now,
                }
            ],
        )
    engine.dispose()


def delivered(fake: FakeTelegram) -> Counter:
    return Counter(
        c.params.get("chat_id")
        for c in fake.calls
        if c.method == "sendMessage" and c.ok and str(c.params.get("chat_id")) != str(COORD)
    )


async def run(n: int, rate: float, *, kill: bool) -> dict:
    fake = FakeTelegram(token=TOKEN, enforce_limits=True, limits=Limits(), record_polls=True)
    await fake.start()
    try:
        fake.user(COORD, "Coordinator", started=True)
        for i in range(n):
            fake.user(FIRST_FAMILY + i, "Family", started=True)
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            proc = BotProcess(
                fake,
                workdir,
                BROADCAST_RATE=str(rate),
                BROADCAST_PROGRESS_SECONDS="5",
                LOG_LEVEL="WARNING",
            )
            import subprocess

            subprocess.run(
                [sys.executable, "-m", "bot", "migrate"],
                cwd=ROOT,
                env=proc.env,
                check=True,
                capture_output=True,
            )
            seed(workdir / "bot.sqlite3", n)
            await proc.start(timeout=60)
            killed_at = None
            if kill:
                await fake.wait_for(
                    lambda: len(delivered(fake)) >= n // 2, timeout=n / rate * 3 + 60, interval=0.05
                )
                await proc.kill()
                killed_at = len(delivered(fake))
                await proc.start(timeout=60)
            await fake.wait_for(
                lambda: sum(delivered(fake).values()) >= n or "report" in _last_coord_text(fake),
                timeout=n / rate * 3 + 120,
                interval=0.2,
            )
            await asyncio.sleep(2)
            import sqlite3

            with sqlite3.connect(workdir / "bot.sqlite3") as conn:
                statuses = dict(
                    conn.execute("SELECT status, count(*) FROM broadcast_recipients GROUP BY status")
                )
            await proc.stop()
        sends = sorted(
            c.time
            for c in fake.calls
            if c.method == "sendMessage" and c.ok and str(c.params.get("chat_id")) != str(COORD)
        )
        got = delivered(fake)
        span = (sends[-1] - sends[0]) if len(sends) > 1 else 0.0
        achieved = (len(sends) - 1) / span if span else 0.0
        gap = max((b - a for a, b in itertools.pairwise(sends)), default=0.0)
        sending = span - gap if kill else span  # the kill run: without the restart pause
        achieved_sending = (len(sends) - 2 if kill else len(sends) - 1) / sending if sending else 0.0
        return {
            "families": n,
            "configured_rate": rate,
            "achieved_rate": round(achieved, 2),
            "share": round(achieved / rate, 3),
            "share_while_sending": round(achieved_sending / rate, 3),
            "restart_pause_s": round(gap, 1) if kill else None,
            "429s": fake.rate_limited,
            "duplicates": sum(1 for v in got.values() if v > 1),
            "lost": n - len(got),
            "killed_after": killed_at,
            "statuses": statuses,
            "seconds": round(span, 1),
        }
    finally:
        await fake.stop()


def _last_coord_text(fake: FakeTelegram) -> str:
    chat = fake.world.chats.get(COORD)
    if chat is None:
        return ""
    texts = [m.text or "" for m in chat.messages.values()]
    return "report" if any("отчёт" in t or "report" in t for t in texts) else ""


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--families", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=25.0)
    args = parser.parse_args()
    for kill in (False, True):
        started = time.monotonic()
        result = await run(args.families, args.rate, kill=kill)
        label = "kill -9 halfway + restart" if kill else "plain run"
        print(f"{label}: {result}  (wall {time.monotonic() - started:.0f}s)", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
