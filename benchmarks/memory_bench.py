"""Memory and size: the real bot process over a database of 100,000 families and 1,000,000 relayed-message links.

Seeds a fresh SQLite file (families, one closed request each with its topic, ten message links per request, and the
processed-update guard), starts `python -m bot run` against the fake Bot API, lets families with history write again
(their message links and cases are looked up in the large tables), and prints the bot's resident memory (VmRSS and
its peak VmHWM from /proc) and the database size. Also the start-up cost: CPU seconds of importing aiogram.types and
of the whole application in a fresh interpreter.

    .venv/bin/python benchmarks/memory_bench.py [--families 100000] [--links 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# a freshly exec'd bot, as in production (the tests' zygote has imported and built more before forking)
os.environ["E2E_ZYGOTE"] = "0"

from sqlalchemy import create_engine, insert  # noqa: E402

from bot.db.models import Case, CaseMessageLink, Family  # noqa: E402
from tests.e2e.harness import TOKEN, BotProcess  # noqa: E402
from tests.fake_telegram import FakeTelegram  # noqa: E402

OPERATOR_CHAT = -1001000000001
FIRST = 5_000_000
CHUNK = 50_000


def seed(db: Path, families: int, links: int) -> None:
    engine = create_engine(f"sqlite:///{db}")
    now = datetime.now(UTC) - timedelta(days=30)
    per_case = max(1, links // families)
    with engine.begin() as conn:
        for start in range(0, families, CHUNK):
            ids = range(start, min(families, start + CHUNK))
            conn.execute(
                insert(Family),
                [
                    {
                        "tg_user_id": FIRST + i,
                        "language": "ru",
                        "region": "RU-PNZ",
                        "consent_at": now,
                        "consent_version": "1.0",
                        "profile": {"children": 2},
                        "created_at": now,
                        "last_seen_at": now,
                    }
                    for i in ids
                ],
            )
            conn.execute(
                insert(Case),
                [
                    {
                        "id": i + 1,
                        "family_id": i + 1,
                        "region": "RU-PNZ",
                        "tier": 2,
                        "category": "other",
                        "urgency": "routine",
                        "route": "consultant",
                        "source": "message",
                        "status": "closed",
                        "chat_id": OPERATOR_CHAT,
                        "thread_id": 1000 + i,
                        "summary": {},
                        "unmet_needs": [],
                        "opened_at": now,
                        "closed_at": now,
                    }
                    for i in ids
                ],
            )
        for start in range(0, links, CHUNK):
            conn.execute(
                insert(CaseMessageLink),
                [
                    {
                        "case_id": k // per_case % families + 1,
                        "from_chat_id": FIRST + k // per_case % families,
                        "from_message_id": k,
                        "to_chat_id": OPERATOR_CHAT,
                        "to_message_id": k,
                        "direction": "in",
                        "created_at": now,
                    }
                    for k in range(start, min(links, start + CHUNK))
                ],
            )
    engine.dispose()


def proc_status(pid: int) -> dict[str, int]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) // 1024  # MB
    return out


def import_cpu(code: str) -> float:
    cmd = [
        sys.executable,
        "-c",
        f"import resource, time; {code}; r = resource.getrusage(resource.RUSAGE_SELF); "
        "print(r.ru_utime + r.ru_stime)",
    ]
    return float(subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()[-1])


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--families", type=int, default=100_000)
    parser.add_argument("--links", type=int, default=1_000_000)
    parser.add_argument("--active", type=int, default=20, help="families with history that write again")
    args = parser.parse_args()
    print(
        f"start-up CPU: bare interpreter {import_cpu('pass'):.2f} s, "
        f"import aiogram.types {import_cpu('import aiogram.types'):.2f} s (eager: aiogram alone), "
        f"import bot.app {import_cpu('import bot.app'):.2f} s (aiogram's models deferred: bot/lazy_aiogram.py)",
        flush=True,
    )
    fake = FakeTelegram(token=TOKEN, record_polls=True)
    await fake.start()
    try:
        fake.forum_group(OPERATOR_CHAT, "Операторы")
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            # the group minute shrunk to a second: the new requests' topics and cards are not what is measured
            proc = BotProcess(
                fake,
                workdir,
                OPERATOR_CHAT_ID=str(OPERATOR_CHAT),
                LOG_LEVEL="WARNING",
                GROUP_WINDOW_SECONDS="1",
            )
            subprocess.run(
                [sys.executable, "-m", "bot", "migrate"],
                cwd=ROOT,
                env=proc.env,
                check=True,
                capture_output=True,
            )
            started = time.monotonic()
            seed(workdir / "bot.sqlite3", args.families, args.links)
            print(
                f"seeded {args.families:,} families, {args.families:,} closed requests, {args.links:,} message "
                f"links in {time.monotonic() - started:.0f} s",
                flush=True,
            )
            await proc.start(timeout=120)
            idle = proc_status(proc.proc.pid)
            users = [
                fake.user(FIRST + i * (args.families // args.active), "Семья", started=True)
                for i in range(args.active)
            ]
            for i, user in enumerate(users):
                user.send_text(f"Снова пишем, семья {i}, нужна консультация специалиста")  # asks for a person
            topics = lambda: len(fake.world.chats[OPERATOR_CHAT].topics)  # noqa: E731
            await fake.wait_for(lambda: topics() >= args.active, timeout=300)
            await asyncio.sleep(3)
            busy = proc_status(proc.proc.pid)
            await proc.stop()
            files = sorted(workdir.glob("bot.sqlite3*"))
            size = sum(f.stat().st_size for f in files) / 2**20
        print(
            f"bot RSS idle after start: {idle['VmRSS']} MB; after {args.active} families wrote again: "
            f"{busy['VmRSS']} MB (peak {busy['VmHWM']} MB); goal <= 150 MB",
            flush=True,
        )
        print(f"SQLite database: {size:.0f} MB ({', '.join(f.name for f in files)})", flush=True)
    finally:
        await fake.stop()


if __name__ == "__main__":
    asyncio.run(main())
