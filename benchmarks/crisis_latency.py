"""End-to-end crisis reply latency: the real bot process, the fake Bot API, danger messages from many families.

Prints p50 / p95 / max seconds from a family's message to the emergency-contacts reply (the promise: < 1 s).
Run: .venv/bin/python benchmarks/crisis_latency.py [families]
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
# a freshly exec'd bot, as in production (the tests' zygote has imported and built more before forking)
os.environ["E2E_ZYGOTE"] = "0"

from tests.e2e.harness import TOKEN, BotProcess
from tests.fake_telegram import FakeTelegram

PHRASES = [
    "муж опять избил меня при детях",
    "не хочу больше жить",
    "нам с детьми негде ночевать, выгнали из квартиры",
    "ребенок не дышит что делать",
    "отчим бьет меня по голове",
]


async def main(families: int) -> None:
    async with FakeTelegram(token=TOKEN, record_polls=True) as fake:
        proc = await BotProcess(fake, Path(tempfile.mkdtemp())).start()
        try:
            latencies = []
            for i in range(families):
                user = fake.user(50_000 + i, "Семья", language_code="ru")
                started = time.perf_counter()
                user.send_text(PHRASES[i % len(PHRASES)])
                await user.wait_for_message("112", timeout=10)
                latencies.append(time.perf_counter() - started)
            burst_users = [fake.user(60_000 + i, "Семья", language_code="ru") for i in range(families)]
            started = time.perf_counter()
            for i, user in enumerate(burst_users):
                user.send_text(PHRASES[i % len(PHRASES)])
            burst = []
            for user in burst_users:
                await user.wait_for_message("112", timeout=30)
                burst.append(time.perf_counter() - started)
        finally:
            await proc.stop()
    for name, xs in (("one at a time", latencies), (f"{families} at once", burst)):
        xs = sorted(xs)
        p95 = xs[max(0, int(len(xs) * 0.95) - 1)]
        print(
            f"{name:>16}: p50 {statistics.median(xs):.3f} s, p95 {p95:.3f} s, max {xs[-1]:.3f} s (n={len(xs)})"
        )


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 50))
