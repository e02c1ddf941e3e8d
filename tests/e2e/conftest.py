"""End-to-end fixtures: the fake Bot API in this process, the real bot as a child process."""

from __future__ import annotations

import itertools

import pytest

from tests.e2e.harness import POSTGRES, TOKEN, BotProcess, drop_test_databases
from tests.fake_telegram import FakeTelegram

OPERATOR_CHAT = -1001000000001
_user_ids = itertools.count(10_000)


@pytest.fixture(scope="session", autouse=True)
def _postgres_databases():
    """TEST_DATABASE=postgres: drop the per-test databases this worker created."""
    yield
    if POSTGRES:
        drop_test_databases()


@pytest.fixture
async def fake():
    server = FakeTelegram(token=TOKEN, record_polls=True)
    await server.start()
    yield server
    await server.stop()
    assert server.violations == [], f"Bot API specification violations: {server.violations}"


@pytest.fixture
async def bot(fake, tmp_path):
    proc = BotProcess(fake, tmp_path, OPERATOR_CHAT_ID=str(OPERATOR_CHAT))
    await proc.start()
    yield proc
    if proc.proc and proc.proc.poll() is None:
        await proc.stop()


@pytest.fixture
def new_user(fake):
    """A fresh family user (Russian Telegram client unless told otherwise)."""

    def make(language_code: str = "ru", first_name: str = "Анна"):
        return fake.user(next(_user_ids), first_name, language_code=language_code)

    return make
