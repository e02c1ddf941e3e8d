"""`python -m bot copy-db --from URL --to URL`: copy every table, e.g. from the SQLite file to PostgreSQL.

The target is migrated to the newest revision first and must be empty; the source must be at the same revision
(`python -m bot migrate` with the old DATABASE_URL first). Tables are copied in foreign-key order in chunks, row
counts are compared afterwards, and PostgreSQL's id sequences are moved past the copied ids. Stop the bot while
copying (nothing may write to the source).
"""

from __future__ import annotations

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db.base import Base
from bot.db.engine import make_engine
from bot.db.migrate import ensure_sqlite_dir, upgrade_to_head

CHUNK = 5000


class CopyError(Exception):
    pass


async def _revision(conn: AsyncConnection) -> str | None:
    try:
        return await conn.scalar(text("SELECT version_num FROM alembic_version"))
    except Exception:
        return None


async def copy_database(source_url: str, target_url: str, *, echo=print) -> dict[str, int]:
    import bot.db.models  # noqa: F401  (registers every table on Base.metadata)

    ensure_sqlite_dir(target_url)
    source, target = make_engine(source_url), make_engine(target_url)
    try:
        await upgrade_to_head(target)
        tables = Base.metadata.sorted_tables
        async with source.connect() as src, target.begin() as dst:
            have, want = await _revision(src), await _revision(dst)
            if have != want:
                raise CopyError(
                    f"the source is at revision {have}, the target at {want}: "
                    "migrate the source first (python -m bot migrate with its DATABASE_URL)"
                )
            for table in tables:
                if await dst.scalar(select(func.count()).select_from(table)):
                    raise CopyError(f"the target is not empty (table {table.name}); copy into a new database")
            counts: dict[str, int] = {}
            for table in tables:
                copied = 0
                result = await src.stream(select(table).order_by(*table.primary_key.columns))
                async for rows in result.partitions(CHUNK):
                    await dst.execute(insert(table), [dict(r._mapping) for r in rows])
                    copied += len(rows)
                counts[table.name] = copied
                echo(f"{table.name}: {copied} row(s)")
            for table in tables:
                if await dst.scalar(select(func.count()).select_from(table)) != counts[table.name]:
                    raise CopyError(f"row counts differ in {table.name}")
            if dst.dialect.name == "postgresql":
                for table in tables:
                    pk = list(table.primary_key.columns)
                    if (
                        len(pk) == 1
                        and pk[0].autoincrement in (True, "auto")
                        and pk[0].type.python_type is int
                    ):
                        seq = await dst.scalar(
                            text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": pk[0].name}
                        )
                        if seq:
                            await dst.execute(
                                text(
                                    f"SELECT setval('{seq}', COALESCE((SELECT max({pk[0].name}) FROM "
                                    f"{table.name}), 0) + 1, false)"
                                )
                            )
        return counts
    finally:
        await source.dispose()
        await target.dispose()
