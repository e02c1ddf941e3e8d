"""Migrations: every revision goes up, down and up again; models and migrations agree; data survives."""

from __future__ import annotations

import sqlite3

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from bot.db.base import Base
from bot.db.migrate import alembic_config


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "m.sqlite3"
    return path, f"sqlite+aiosqlite:///{path}"


def revisions():
    script = ScriptDirectory.from_config(alembic_config())
    return list(reversed(list(script.walk_revisions("base", "heads"))))


def test_single_head():
    assert len(ScriptDirectory.from_config(alembic_config()).get_heads()) == 1


def test_stairway(db):
    _, url = db
    cfg = alembic_config(url)
    for rev in revisions():
        command.upgrade(cfg, rev.revision)
        command.downgrade(cfg, rev.down_revision or "base")
        command.upgrade(cfg, rev.revision)


def test_no_drift_between_models_and_migrations(db):
    path, url = db
    command.upgrade(alembic_config(url), "head")
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"render_as_batch": True}), Base.metadata
        )
    assert diff == []


def test_upgrade_keeps_existing_rows(db):
    """Each later revision is applied to a database that already holds rows of the earlier ones."""
    path, url = db
    revs = revisions()
    command.upgrade(alembic_config(url), revs[0].revision)
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO families (tg_user_id, language, profile, share_name, discreet, is_active, reminders_off,"
            " broadcasts_off, created_at, last_seen_at) VALUES (7, 'ru', '{}', 0, 0, 1, 0, 0,"
            " '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
        )
    command.upgrade(alembic_config(url), "head")
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT tg_user_id FROM families").fetchall() == [(7,)]


def test_the_heads_read_from_the_files_are_alembics():
    from bot.db.migrate import script_heads

    assert script_heads() == set(ScriptDirectory.from_config(alembic_config()).get_heads())


_START = """
import asyncio, sys
from sqlalchemy import text
from bot.db.engine import make_engine
from bot.db.migrate import upgrade_to_head

async def go():
    engine = make_engine(sys.argv[1])
    await upgrade_to_head(engine)
    async with engine.connect() as conn:
        version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    await engine.dispose()
    print(version, "alembic" in sys.modules)

asyncio.run(go())
"""


def check_start_paths(url: str) -> None:
    """Each start in a fresh interpreter, as `python -m bot run` is: on a new database alembic creates it, at head
    one row is read and alembic never imported, one revision behind alembic upgrades it (also run on PostgreSQL:
    tests/e2e/test_migrate_postgres.py)."""
    import subprocess
    import sys

    from bot.config import ROOT

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()

    def start() -> list[str]:
        done = subprocess.run(
            [sys.executable, "-c", _START, url], cwd=ROOT, capture_output=True, text=True, check=True
        )
        return done.stdout.split()

    assert start() == [head, "True"]  # a new database: alembic creates it
    assert start() == [head, "False"]  # at head: one row read, alembic never imported
    command.downgrade(alembic_config(url), "-1")
    assert start() == [head, "True"]  # one behind: alembic upgrades it


def test_a_start_on_a_database_at_head_does_not_import_alembic_and_one_behind_is_upgraded(db):
    _, url = db
    check_start_paths(url)
