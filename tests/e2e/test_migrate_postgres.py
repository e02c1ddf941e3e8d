"""The start's migration on PostgreSQL: a new database is created by alembic, one at head is only read (alembic is
not even imported), one a revision behind is upgraded. tests/unit/test_migrations.py proves the same on SQLite."""

from __future__ import annotations

import pytest

from tests.e2e.harness import create_test_database
from tests.unit.test_migrations import check_start_paths

pytestmark = pytest.mark.postgres  # always PostgreSQL: run by make test-postgres, not twice


def test_a_start_on_a_postgres_database_at_head_does_not_import_alembic_and_one_behind_is_upgraded():
    check_start_paths(create_test_database(empty=True))
