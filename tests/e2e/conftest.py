"""End-to-end fixtures: the fake Bot API in this process, the real bot as a child process."""

from __future__ import annotations

import itertools
import os

import pytest

from tests.e2e.harness import (
    POSTGRES,
    REDIS_SERVER,
    TOKEN,
    BotProcess,
    drop_test_databases,
    kill_leftovers,
    pg_admin,
)
from tests.fake_telegram import FakeTelegram

OPERATOR_CHAT = -1001000000001
_user_ids = itertools.count(10_000)


@pytest.fixture
def postgres_and_redis():
    """The local PostgreSQL and Redis, for the scale-out tests. Missing: a failure in CI (which starts them) and
    with TEST_DATABASE=postgres, a skip for a newcomer's `make test` on a machine without them."""
    try:
        pg_admin("SELECT 1")
        import redis

        client = redis.Redis.from_url(REDIS_SERVER, socket_connect_timeout=2)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:
        if os.environ.get("CI") or POSTGRES:
            pytest.fail(f"PostgreSQL or Redis is not reachable: {exc}")
        pytest.skip(f"needs the local PostgreSQL and Redis ({exc})")


@pytest.fixture(autouse=True)
def _no_bot_outlives_its_test():
    yield
    kill_leftovers()


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
    fake.forum_group(OPERATOR_CHAT, "Операторы")  # the operators' forum, with the bot as its administrator
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
