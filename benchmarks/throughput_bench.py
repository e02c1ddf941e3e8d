"""Update throughput and handler latency: the real bot against a bare aiogram echo bot, same harness, same run.

N families act at once, each in a closed loop (act, wait for the bot's answer, act again), as fast as the bot
answers. Our bot gets a realistic mix: /start, consent, region, the support-measures screener (first option of
every question), triage to a consultant (which opens a case and a topic), then free text in the case. The echo
bot (benchmarks/echo_bot.py) gets the same number of updates per family, messages and button presses alike.
Both log one JSON line per update with its handler time ("ms"); the figures come from those lines. The CPU time
of each bot process over the run (/proc, all its threads) divided by its updates gives its cost per update,
which depends less on what else the machine is doing than updates per second do.

The private-chat pace of the bot (PRIVATE_MESSAGES_PER_SECOND, Telegram's 1 a second per chat) is lifted for this
run: it would measure Telegram's limit, not our code. The fake Bot API runs in this process and costs CPU too.

With --think S every family takes S seconds (0.5–1.5 × S, at random) to read each screen before its next step,
as people do: the load is then what the families offer, not what the bot can take, and the latency is what a
family would see at that load.

    .venv/bin/python benchmarks/throughput_bench.py [--families 50 200] [--texts 3] [--think 0] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.flows import buttons  # noqa: E402
from tests.e2e.harness import TOKEN, BotProcess, create_test_database, drop_test_databases  # noqa: E402
from tests.e2e.test_family import _walks  # noqa: E402
from tests.fake_telegram import FakeTelegram  # noqa: E402

OPERATOR_CHAT = -1001000000001
TIMEOUT = 120.0
_ids = itertools.count(2_000_000)
THINK = 0.0  # --think: seconds a family takes (on average) to read a screen before its next step
SCREENS: list[float] = []  # seconds from a family's action to its next screen, as the family sees it


async def _think() -> None:
    if THINK:
        await asyncio.sleep(random.uniform(0.5, 1.5) * THINK)


def _text(m) -> str:
    return (m or {}).get("text") or (m or {}).get("caption") or ""


async def _until(fake, check, timeout: float = TIMEOUT, chat_id: int | None = None):
    # looked at each time the bot calls the Bot API (for this chat), not at intervals
    return await fake.wait_for_change(check, timeout, chat_id)


async def _screen(user, contains: str) -> dict:
    return await _until(
        user.fake, lambda: (m := user.last_message()) and contains in _text(m) and m, chat_id=user.chat_id
    )


async def _tap(user, label: str | None = None, data_prefix: tuple[str, ...] = ()) -> None:
    """Press a button (by label or the first with a data prefix) and wait until the screen changes."""
    for msg in reversed(user.messages()):
        for b in buttons(msg):
            if (label and b["text"] == label) or (
                data_prefix and b.get("callback_data", "").startswith(data_prefix)
            ):
                before = (_text(user.last_message()), json.dumps(user.last_message().get("reply_markup")))
                await _think()
                pressed = time.monotonic()
                user.press(msg, b["callback_data"])
                await _until(
                    user.fake,
                    lambda b=before: (
                        (m := user.last_message()) and (_text(m), json.dumps(m.get("reply_markup"))) != b
                    ),
                    chat_id=user.chat_id,
                )
                SCREENS.append(time.monotonic() - pressed)
                return
    raise AssertionError(f"no button {label or data_prefix}: {_text(user.last_message())[:80]!r}")


async def _send(user, text: str, contains: str) -> None:
    """Send a message and wait for the screen that answers it."""
    sent = time.monotonic()
    user.send_text(text)
    await _screen(user, contains)
    SCREENS.append(time.monotonic() - sent)


def _consultant_path() -> list[str]:
    return next(a for a, o in _walks() if o.route.type == "consultant")


async def family_flow(fake, user, texts: int) -> int:
    """The realistic mix; returns the number of updates this family sent (negative: it got stuck waiting)."""
    try:
        return await _family_flow(fake, user, texts)
    except TimeoutError:
        return -1


async def _family_flow(fake, user, texts: int) -> int:
    sent = 0
    await _think()  # with --think the families also arrive over time, not all in the same instant
    await _send(user, "/start", "Семейное окно")
    sent += 1
    for label in ("Продолжить", "Согласен(на)", "Пензенская область", "Позже, в меню"):
        await _tap(user, label)
        sent += 1
    await _tap(user, "Меры поддержки")
    await _tap(user, data_prefix=("ms:start:",))
    sent += 2
    for _ in range(30):  # the screener: the first option of every question until the results
        if not any(
            b.get("callback_data", "").startswith(("msq:", "msy:")) for b in buttons(user.last_message())
        ):
            break
        await _tap(user, data_prefix=("msq:", "msy:"))
        sent += 1
    await _think()
    await _send(user, "/menu", "Чем мы можем помочь")
    sent += 1
    await _tap(user, "Что случилось")
    sent += 1
    for label in _consultant_path():
        await _tap(user, label)
        sent += 1
    await _tap(user, "Передать мой запрос")
    sent += 1
    for i in range(texts):
        await _think()
        user.send_text(f"Вопрос {i}: нам нужна консультация по пособию")
        sent += 1
        await asyncio.sleep(0.2)
    return sent


async def echo_flow(fake, user, n: int) -> int:
    await _think()
    await _send(user, "hello", "hello")
    for i in range(n - 1):
        if i % 2:
            await _think()
            await _send(user, f"text {i}", f"text {i}")
        else:
            await _tap(user, "next")
    return n


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the process has used so far, all its threads together."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def handler_lines(log: str) -> list[dict]:
    out = []
    for line in log.splitlines():
        start = line.find('{"update_id"')
        if start >= 0:
            try:
                out.append(json.loads(line[start:]))
            except ValueError:
                pass
    return out


def figures(lines: list[dict], seconds: float) -> dict:
    ms = sorted(x["ms"] for x in lines)
    q = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else [ms[0]] * 99
    return {
        "updates": len(ms),
        "updates_per_s": round(len(ms) / seconds, 1),
        "p50_ms": round(q[49], 1),
        "p95_ms": round(q[94], 1),
        "p99_ms": round(q[98], 1),
        "max_ms": max(ms),
    }


async def run_one(
    kind: str, families: int, texts: int, per_family: int | None, database: str = "sqlite"
) -> tuple[dict, int]:
    fake = FakeTelegram(token=TOKEN, record_polls=True)
    await fake.start()
    try:
        fake.forum_group(OPERATOR_CHAT, "Операторы")
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            proc = BotProcess(
                fake,
                workdir,
                OPERATOR_CHAT_ID=str(OPERATOR_CHAT),
                PRIVATE_MESSAGES_PER_SECOND="1000",
                LOG_LEVEL="INFO",
                **({"DATABASE_URL": create_test_database()} if database == "postgres" else {}),
            )
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
            await proc.start(timeout=90)
            spy = None
            if kind == "bot" and os.environ.get(
                "BENCH_PYSPY"
            ):  # profile our bot: collapsed stacks into this file
                exe = str(Path(sys.executable).parent / "py-spy")
                out = os.environ["BENCH_PYSPY"]
                spy = subprocess.Popen(
                    [
                        exe,
                        "record",
                        "-r",
                        os.environ.get("BENCH_PYSPY_RATE", "50"),
                        "-f",
                        "raw",
                        "-o",
                        out,
                        "-p",
                        str(proc.proc.pid),
                    ]
                )
            users = [fake.user(next(_ids), "Анна", language_code="ru") for _ in range(families)]
            SCREENS.clear()
            cpu_before = cpu_seconds(proc.proc.pid)
            calls_before = len(fake.calls)
            started = time.monotonic()
            if kind == "echo":
                counts = await asyncio.gather(*(echo_flow(fake, u, per_family or 20) for u in users))
            else:
                counts = await asyncio.gather(*(family_flow(fake, u, texts) for u in users))
            stuck = sum(1 for c in counts if c < 0)
            expected = sum(c for c in counts if c > 0)
            if not stuck:
                await fake.wait_for(lambda: len(handler_lines(proc.log())) >= expected, 120, interval=0.05)
            seconds = time.monotonic() - started
            cpu = cpu_seconds(proc.proc.pid) - cpu_before
            api_calls = sum(1 for c in fake.calls[calls_before:] if c.method.lower() != "getupdates")
            lines = handler_lines(proc.log())
            log_text = proc.log()
            if spy is not None:
                spy.send_signal(signal.SIGINT)
                spy.wait(30)
            await proc.stop()
        result = figures(lines, seconds)
        screens = statistics.quantiles(SCREENS, n=100, method="inclusive")
        result["screen_p50_ms"] = round(screens[49] * 1000, 1)
        result["screen_p95_ms"] = round(screens[94] * 1000, 1)
        result["cpu_ms_per_update"] = round(cpu * 1000 / max(1, len(lines)), 1)
        result["cpu_share_of_a_core"] = round(cpu / seconds, 2)
        # every Bot API call costs the client a request and a parsed answer: the echo bot makes one per update
        result["bot_api_calls_per_update"] = round(api_calls / max(1, len(lines)), 2)
        slow: dict[str, list[float]] = {}
        for x in lines:
            slow.setdefault(str(x.get("handler")).rsplit(".", 1)[-1], []).append(x["ms"])
        # where the long handler times are: the five handlers with the largest, with their count and median
        result["slowest_handlers"] = [
            f"{name} max {max(ms):.0f} ms, median {statistics.median(ms):.0f} ms, n={len(ms)}"
            for name, ms in sorted(slow.items(), key=lambda kv: -max(kv[1]))[:5]
        ]
        result["errors"] = sum(1 for x in lines if x.get("outcome") == "error")
        result["database_locked"] = log_text.count("database is locked")
        result["families_stuck"] = stuck
        return result, expected // max(1, families - stuck)
    finally:
        await fake.stop()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--families", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--texts", type=int, default=3)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--rounds", type=int, default=1, help="run both bots this many times in turn; medians"
    )
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="seconds a family reads each screen before its next step (0: as fast as the bot answers)",
    )
    args = parser.parse_args()
    global THINK
    THINK = args.think
    print(f"cpus: {os.cpu_count()}, database: {args.database}, think: {args.think} s", flush=True)
    for n in args.families:
        rounds: list[tuple[dict, dict]] = []
        for _ in range(args.rounds):  # ours and the echo bot in turn: the machine's mood reaches both alike
            try:
                ours, per_family = await run_one("bot", n, args.texts, None, args.database)
            finally:
                drop_test_databases()
            echo, _ = await run_one("echo", n, args.texts, per_family)
            rounds.append((ours, echo))
            ratio = ours["updates_per_s"] / echo["updates_per_s"]
            print(f"{n} families, {per_family} updates each", flush=True)
            print(f"  our bot : {ours}", flush=True)
            print(f"  echo bot: {echo}", flush=True)
            print(
                f"  throughput ratio {ratio:.2f}; CPU per update {ours['cpu_ms_per_update']} ms against the echo "
                f"bot's {echo['cpu_ms_per_update']} ms: ratio "
                f"{echo['cpu_ms_per_update'] / ours['cpu_ms_per_update']:.2f} (goal >= 0.33); time to the next "
                f"screen p95 {ours['screen_p95_ms']} ms against {echo['screen_p95_ms']} ms: "
                f"{ours['screen_p95_ms'] / echo['screen_p95_ms']:.1f}x (goal <= 4x in a closed loop; <= 50 ms with "
                f"--think 10)",
                flush=True,
            )
        if len(rounds) > 1:
            med = {
                key: (
                    statistics.median(o[key] for o, _ in rounds),
                    statistics.median(e[key] for _, e in rounds),
                )
                for key in ("cpu_ms_per_update", "screen_p95_ms", "bot_api_calls_per_update")
            }
            cpu, screen = med["cpu_ms_per_update"], med["screen_p95_ms"]
            print(
                f"  median of {len(rounds)} rounds: CPU per update {cpu[0]} ms against {cpu[1]} ms, ratio "
                f"{cpu[1] / cpu[0]:.2f} (goal >= 0.33); time to the next screen p95 {screen[0]} ms against "
                f"{screen[1]} ms, {screen[0] / screen[1]:.1f}x; Bot API calls per update "
                f"{med['bot_api_calls_per_update'][0]} against {med['bot_api_calls_per_update'][1]}",
                flush=True,
            )


if __name__ == "__main__":
    asyncio.run(main())
