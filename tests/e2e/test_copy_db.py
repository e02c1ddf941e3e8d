"""`python -m bot copy-db`: a SQLite file copied into a new PostgreSQL database (needs the local PostgreSQL)."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, insert

from bot.db.models import Case, CaseMessageLink, Family
from tests.e2e.harness import create_test_database, query, run_cli

pytestmark = pytest.mark.postgres  # always PostgreSQL (+ Redis): run by make test-postgres, not twice


def _cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    return run_cli({"BOT_TOKEN": "123456:copy-db-test-token", "PATH": "/usr/bin:/bin", **env}, *args)


def _seed(path) -> None:
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(
            insert(Family),
            [
                {
                    "tg_user_id": 100 + i,
                    "region": "RU-PNZ",
                    "consent_at": now,
                    "profile": {"children": i},
                    "discreet": i % 2 == 0,
                    "display_name": "Анна",
                }
                for i in range(30)
            ],
        )
        conn.execute(
            insert(Case),
            [
                {"family_id": i + 1, "chat_id": -100, "thread_id": 7 + i, "summary": {"a": [1]}}
                for i in range(30)
            ],
        )
        conn.execute(
            insert(CaseMessageLink),
            [
                {
                    "case_id": 1 + k % 30,
                    "from_chat_id": 100,
                    "from_message_id": k,
                    "to_chat_id": -100,
                    "to_message_id": 1000 + k,
                    "direction": "in",
                }
                for k in range(200)
            ],
        )
    engine.dispose()


def test_copy_sqlite_to_postgres_keeps_every_row_and_moves_the_sequences(tmp_path, postgres_and_redis):
    source = f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}"
    out = _cli("migrate", DATABASE_URL=source)
    assert out.returncode == 0, out.stderr
    _seed(tmp_path / "bot.sqlite3")
    target = create_test_database()

    out = _cli("copy-db", "--from", source, "--to", target)
    assert out.returncode == 0, out.stderr
    assert "counts verified" in out.stdout
    assert query(target, "SELECT count(*) FROM families") == [(30,)]
    assert query(target, "SELECT count(*) FROM cases") == [(30,)]
    assert query(target, "SELECT count(*) FROM case_message_links") == [(200,)]
    [(profile, discreet, consent_at, name)] = query(
        target, "SELECT profile, discreet, consent_at, display_name FROM families WHERE tg_user_id = ?", 104
    )
    assert '"children": 4' in profile and discreet is True and name == "Анна"
    assert consent_at.year == 2026
    # the id sequences moved past the copied rows: a new family gets a fresh id, not a duplicate-key error
    assert query(
        target,
        "INSERT INTO families (tg_user_id, created_at, last_seen_at) VALUES (?, now(), now()) RETURNING id",
        999,
    ) == [(31,)]
    # the bot runs on the copy: the migration is a no-op and the data checks pass
    assert _cli("migrate", DATABASE_URL=target).returncode == 0

    again = _cli("copy-db", "--from", source, "--to", target)
    assert again.returncode == 1 and "not empty" in again.stderr
