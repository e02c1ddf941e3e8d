"""Run Alembic programmatically (start-up, `python -m bot migrate`, tests)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import ROOT

MIGRATION_LOCK = 0x5E3E1A0C  # pg_advisory_xact_lock key: «Семейное окно» migrations


def default_database_url() -> str:
    return f"sqlite+aiosqlite:///{ROOT / 'var' / 'bot.sqlite3'}"


def alembic_config(url: str | None = None) -> Config:
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
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)

    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # instances starting together on one database migrate one after the other (the lock is held until
            # this transaction commits; PostgreSQL's DDL is transactional): the first upgrades, the rest find head
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        await conn.run_sync(_run)
