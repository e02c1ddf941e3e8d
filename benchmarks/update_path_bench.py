"""The update path's goals that throughput_bench.py does not print: start-up, a burst of danger messages, fairness
under one family's flood, and resident memory, each for the real bot and for the bare aiogram echo bot
(benchmarks/echo_bot.py) in the same run, against the same fake Bot API.

- start-up: `python -m bot run` as a fresh interpreter (no pre-warmed zygote), a family's /start already waiting;
  seconds from the exec to the answer (the echo bot: to its echo). Our bot twice: the first start builds the
  danger detector and keeps it (``CACHE_DIR``, as after a change of data/ or of the code), the second reads it back
  (every other start);
- danger burst: N families write a danger message in the same instant; seconds from the burst to each family's
  emergency-contacts reply (the echo bot: to each echo); the fake enforces no flood limit here, so the figure is
  the bot's own work, not Telegram's 30 messages a second;
- mixed burst: N families at once, every tenth with a danger message, the others with /start: the danger answers
  against the others' (the danger lane: bot/telegram.py, urgent_sends);
- flood: one family sends M long messages at once while another family asks for a screen 8 times (ours: /menu,
  the echo bot: a text); the other family's p95 time to its answer before and during the flood;
- memory: VmRSS of the bot process after start and after the burst, and its peak (VmHWM).

    .venv/bin/python benchmarks/update_path_bench.py [--families 200] [--flood 200] [--database sqlite|postgres]

`BENCH_PYSPY=file` records a py-spy profile (collapsed stacks) of our bot during the danger burst;
`benchmarks/pyspy_top.py file` sums it by function.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ["E2E_ZYGOTE"] = "0"  # every start is a fresh interpreter, as in production

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.harness import TOKEN, BotProcess, create_test_database, drop_test_databases  # noqa: E402
from tests.fake_telegram import FakeTelegram  # noqa: E402

OPERATOR_CHAT = -1001000000001
DANGER = [
    "муж опять избил меня при детях",
    "не хочу больше жить",
    "нам с детьми негде ночевать, выгнали из квартиры",
    "ребенок не дышит что делать",
    "отчим бьет меня по голове",
]
_ids = itertools.count(3_000_000)
ASKS = 8  # the other family's requests per phase: 16 and its /start stay under FLOOD_MESSAGES_PER_MINUTE (20)


def _text(m) -> str:
    return (m or {}).get("text") or (m or {}).get("caption") or ""


def quantiles(xs: list[float]) -> str:
    xs = sorted(xs)
    p95 = xs[max(0, round(len(xs) * 0.95) - 1)]
    return f"p50 {statistics.median(xs):.3f} s, p95 {p95:.3f} s, max {xs[-1]:.3f} s (n={len(xs)})"


def memory_mb(pid: int) -> tuple[float, float]:
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line
    )
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


async def replied(user, contains: str, since: int, started: float, timeout: float = 120) -> float:
    """Seconds from ``started`` until ``user`` has a message after the first ``since`` that contains the text."""
    await user.fake.wait_for(
        lambda: any(contains in _text(m) for m in user.messages()[since:]), timeout, interval=0.02
    )
    return time.perf_counter() - started


async def all_replied(users: list, wants: list[str], started: float, timeout: float = 120) -> list[float]:
    """Seconds from ``started`` until each user has a message containing its text: one watcher for all of them
    (a waiting coroutine per family would keep this process, which also runs the fake Bot API, busy)."""
    times: list[float | None] = [None] * len(users)
    deadline = time.perf_counter() + timeout
    while None in times:
        now = time.perf_counter()
        if now > deadline:
            raise TimeoutError(f"{times.count(None)} families got no answer within {timeout} s")
        for i, (user, want) in enumerate(zip(users, wants, strict=True)):
            if times[i] is None and any(want in _text(m) for m in user.messages()):
                times[i] = now - started
        await asyncio.sleep(0.01)
    return [t for t in times if t is not None]


async def run(kind: str, families: int, flood: int, database: str) -> dict:
    async with FakeTelegram(token=TOKEN, record_polls=True) as fake:
        fake.forum_group(OPERATOR_CHAT, "Операторы")
        workdir = Path(tempfile.mkdtemp())
        env = {
            "OPERATOR_CHAT_ID": str(OPERATOR_CHAT),
            "PRIVATE_MESSAGES_PER_SECOND": "1000",
            "CACHE_DIR": str(workdir / "cache"),  # empty: the first start builds the detector and keeps it
        }
        if database == "postgres" and kind == "bot":
            env["DATABASE_URL"] = create_test_database()
        proc = BotProcess(fake, workdir, **env)
        if kind == "echo":
            proc.start_cmd = [sys.executable, str(ROOT / "benchmarks" / "echo_bot.py")]
        else:
            subprocess.run(
                [sys.executable, "-m", "bot", "migrate"],
                cwd=ROOT,
                env=proc.env,
                check=True,
                capture_output=True,
            )
        out: dict = {}
        # the first start after a change of data/ or code builds the detector (bot/services/compiled.py)
        if kind == "bot":
            first = fake.user(next(_ids), "Анна", language_code="ru")
            first.send_text("/start")
            started = time.perf_counter()
            await proc.start(timeout=120)
            out["start-up, detector built"] = await replied(first, "Семейное окно", 0, started)
            await proc.stop()
        first = fake.user(next(_ids), "Анна", language_code="ru")
        first.send_text("/start")  # waiting before the process exists: the start-up is measured to its answer
        started = time.perf_counter()
        await proc.start(timeout=120)
        out["start-up"] = await replied(first, "Семейное окно" if kind == "bot" else "/start", 0, started)
        await asyncio.sleep(2)
        out["memory after start"] = memory_mb(proc.proc.pid)
        try:
            # a burst of danger messages from families writing for the first time
            users = [fake.user(next(_ids), "Семья", language_code="ru") for _ in range(families)]
            spy = None
            if kind == "bot" and os.environ.get(
                "BENCH_PYSPY"
            ):  # profile the burst: collapsed stacks into a file
                spy = subprocess.Popen(
                    [
                        str(Path(sys.executable).parent / "py-spy"),
                        "record",
                        "-r",
                        "200",
                        "-f",
                        "raw",
                        "-o",
                        os.environ["BENCH_PYSPY"],
                        "-p",
                        str(proc.proc.pid),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                await asyncio.sleep(1)
            started = time.perf_counter()
            for i, user in enumerate(users):
                user.send_text(DANGER[i % len(DANGER)])
            want = "112" if kind == "bot" else ""
            out["danger burst"] = await all_replied(users, [want] * len(users), started)
            if spy is not None:
                spy.send_signal(signal.SIGINT)
                spy.wait(30)
            out["memory after burst"] = memory_mb(proc.proc.pid)
            await asyncio.sleep(8)  # the pacer's bucket for all chats refills
            # the danger lane: every tenth family of a burst writes danger, the others start the bot
            users = [fake.user(next(_ids), "Семья", language_code="ru") for _ in range(families)]
            started = time.perf_counter()
            for i, user in enumerate(users):
                user.send_text(DANGER[i % len(DANGER)] if i % 10 == 0 else "/start")
            wants = [
                ("112" if i % 10 == 0 else "Семейное окно") if kind == "bot" else ""
                for i in range(len(users))
            ]
            times = await all_replied(users, wants, started)
            out["mixed burst, danger"] = times[::10]
            out["mixed burst, the others"] = [t for i, t in enumerate(times) if i % 10]
            # another family's answers before and during one family's flood
            flooder, other = (fake.user(next(_ids), "Семья", language_code="ru") for _ in range(2))
            if kind == "bot":
                for user in (flooder, other):
                    await onboard(user)
            ask, expect = ("/menu", "Чем мы можем помочь") if kind == "bot" else ("ещё раз", "ещё раз")

            async def other_asks(n: int) -> list[float]:
                times = []
                for _ in range(n):
                    since = len(other.messages())
                    t0 = time.perf_counter()
                    other.send_text(ask)
                    times.append(await replied(other, expect, since, t0, 60))
                    await asyncio.sleep(0.05)
                return times

            out["other family, no flood"] = await other_asks(ASKS)
            long_text = "Здравствуйте, у нас вопрос о пособии. " * 100
            for i in range(flood):
                flooder.send_text(f"{i} {long_text}")
            out["other family, during a flood"] = await other_asks(ASKS)
        finally:
            await proc.stop()
            if database == "postgres" and kind == "bot":
                drop_test_databases()
        return out


async def onboard(user) -> None:
    from tests.e2e.flows import screen, tap

    user.send_text("/start")
    await user.wait_for_message("Семейное окно", 30)
    tap(user, "Продолжить")
    await screen(user, "согласны", timeout=30)
    tap(user, "Согласен(на)")
    await screen(user, "В каком регионе", timeout=30)
    tap(user, "Пензенская область")
    await screen(user, "Расскажите немного о семье", timeout=30)
    tap(user, "Позже, в меню")
    await screen(user, "Чем мы можем помочь", timeout=30)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--families", type=int, default=200)
    parser.add_argument("--flood", type=int, default=200)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()
    print(f"cpus: {os.cpu_count()}, database: {args.database}", flush=True)
    results = {kind: await run(kind, args.families, args.flood, args.database) for kind in ("bot", "echo")}
    print(
        f"{'start-up, detector built':>30}  our bot: {results['bot']['start-up, detector built']:.2f} s",
        flush=True,
    )
    names = ("start-up", "danger burst", "mixed burst, danger", "mixed burst, the others")
    for name in (*names, "other family, no flood", "other family, during a flood"):
        for kind in ("bot", "echo"):
            value = results[kind][name]
            shown = f"{value:.2f} s" if isinstance(value, float) else quantiles(value)
            print(f"{name:>30} {'our bot' if kind == 'bot' else 'echo bot':>8}: {shown}", flush=True)
    for name in ("memory after start", "memory after burst"):
        for kind in ("bot", "echo"):
            rss, peak = results[kind][name]
            print(
                f"{name:>30} {'our bot' if kind == 'bot' else 'echo bot':>8}: {rss:.0f} MB (peak {peak:.0f} MB)",
                flush=True,
            )


if __name__ == "__main__":
    asyncio.run(main())
