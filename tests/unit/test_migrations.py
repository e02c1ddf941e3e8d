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
