"""Run Alembic programmatically (start-up, `python -m bot migrate`, tests).

A start finds the database at head almost always (a restart, or a deploy that ran `python -m bot migrate`). Then
alembic is not imported: its modules and the migration scripts are 12–15 MB that the process would keep for its
whole life (a module, once imported, is not given back), for a check that reads one row. The head is read from the
migration files themselves (:func:`script_heads`); when anything there does not read plainly, alembic decides.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.config import ROOT

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATION_LOCK = 0x5E3E1A0C  # pg_advisory_xact_lock key: «Семейное окно» migrations


def default_database_url() -> str:
    return f"sqlite+aiosqlite:///{ROOT / 'var' / 'bot.sqlite3'}"


def alembic_config(url: str | None = None) -> Config:
    from alembic.config import Config

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["skip_logging"] = True
    if url:
        cfg.attributes["url"] = url
    return cfg


def ensure_sqlite_dir(url: str) -> None:
    if url.startswith("sqlite") and ":///" in url:
        from pathlib import Path

        path = url.split(":///", 1)[1].split("?", 1)[0]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)


async def upgrade_to_head(engine: AsyncEngine, revision: str = "head") -> None:
    ensure_sqlite_dir(str(engine.url.render_as_string(hide_password=False)))

    def _run(connection: object) -> None:
        from alembic import command

        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)

    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # instances starting together on one database migrate one after the other (the lock is held until
            # this transaction commits; PostgreSQL's DDL is transactional): the first upgrades, the rest find head
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        if revision == "head" and await _at(conn, script_heads()):
            return
        await conn.run_sync(_run)


_REVISION = re.compile(r"^revision(?:: str)? = \"(\w+)\"$", re.M)
_DOWN_REVISION = re.compile(r"^down_revision(?:: str \| None)? = (?:None|\"(\w+)\")$", re.M)


def script_heads() -> set[str] | None:
    """The revisions no migration builds on, read from ``migrations/versions``; None when a file does not name its
    revision and the one before it in the plain one-line form (a merge, say): then alembic reads them."""
    revisions: set[str] = set()
    below: set[str] = set()
    for path in (ROOT / "migrations" / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        revision, down = _REVISION.findall(source), _DOWN_REVISION.findall(source)
        if len(revision) != 1 or len(down) != 1:
            return None
        revisions.add(revision[0])
        below.add(down[0])
    return (revisions - below) or None


async def _at(conn: AsyncConnection, heads: set[str] | None) -> bool:
    """The database is at these heads (False also when it has no version table yet)."""
    if heads is None or not await conn.run_sync(lambda c: inspect(c).has_table("alembic_version")):
        return False
    rows = await conn.execute(text("SELECT version_num FROM alembic_version"))
    return {row[0] for row in rows} == heads
