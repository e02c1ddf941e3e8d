"""The start's migration on PostgreSQL: a new database is created by alembic, one at head is only read (alembic is
not even imported), one a revision behind is upgraded. tests/unit/test_migrations.py proves the same on SQLite."""

from __future__ import annotations

import subprocess
import sys

import pytest
from alembic import command
from alembic.script import ScriptDirectory

from bot.config import ROOT
from bot.db.migrate import alembic_config
from tests.e2e.harness import create_test_database
from tests.unit.test_migrations import _START

pytestmark = pytest.mark.postgres  # always PostgreSQL: run by make test-postgres, not twice


def test_a_start_on_a_postgres_database_at_head_does_not_import_alembic_and_one_behind_is_upgraded():
    url = create_test_database(empty=True)
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
