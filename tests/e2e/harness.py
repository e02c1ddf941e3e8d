"""Run the real bot process (`python -m bot run`) against the fake Bot API."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456:TEST-token-for-the-fake-bot-api"


class BotProcess:
    """The bot as a child process; its log goes to a file the test can read."""

    def __init__(self, fake, workdir: Path, **env: str) -> None:
        self.fake = fake
        self.workdir = workdir
        self.log_path = workdir / "bot.log"
        self.env = {
            **os.environ,
            "BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": fake.base_url,
            "DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'bot.sqlite3'}",
            "POLLING_TIMEOUT": "1",
            "LOG_LEVEL": "INFO",
            "REDIS_URL": "",
            "WEBHOOK_URL": "",
            **env,
        }
        self.proc: subprocess.Popen | None = None

    async def start(self, timeout: float = 30) -> BotProcess:
        polls_before = self._polls()
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = asyncio.get_running_loop().time() + timeout
        while self._polls() <= polls_before:
            if self.proc.poll() is not None:
                raise RuntimeError(f"bot exited with {self.proc.returncode}:\n{self.log()}")
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"bot did not start polling:\n{self.log()}")
            await asyncio.sleep(0.05)
        return self

    def _polls(self) -> int:
        return sum(1 for c in self.fake.calls if c.method == "getUpdates")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    async def stop(self, timeout: float = 15) -> int:
        """Graceful stop with SIGTERM; returns the exit code."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return await self._wait(timeout)

    async def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        await self._wait(10)

    async def _wait(self, timeout: float) -> int:
        assert self.proc is not None
        deadline = asyncio.get_running_loop().time() + timeout
        while self.proc.poll() is None:
            if asyncio.get_running_loop().time() > deadline:
                self.proc.kill()
                raise TimeoutError("bot did not stop in time")
            await asyncio.sleep(0.05)
        return self.proc.returncode

    def __del__(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
