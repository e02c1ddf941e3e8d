"""Background jobs on APScheduler.

Every job is a periodic scan of what is due in the database, so nothing lives only in memory: after a
restart or a crash the same scans pick up where the last process stopped ("jobs rebuilt from the
database at start"). Job modules register themselves with :func:`job`; :data:`JOB_MODULES` lists them.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from aiogram import Bot
from aiogram.utils.i18n import I18n
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.config import Settings
from bot.services.catalog import Catalog

log = logging.getLogger(__name__)

# Modules whose import registers jobs (each calls @job at import time).
JOB_MODULES: list[str] = [
    "bot.jobs.followup",
    "bot.jobs.desk",
    "bot.jobs.card",
    "bot.jobs.retention",
    "bot.jobs.checkin",
    "bot.jobs.content_digest",
    "bot.jobs.aid",
    "bot.jobs.events",
]


@dataclass
class JobContext:
    bot: Bot
    sessionmaker: async_sessionmaker
    settings: Settings
    catalog: Catalog
    i18n: I18n  # render with bot.i18n.locale_scope(ctx.i18n, locale)


JobFunc = Callable[[JobContext], Awaitable[None]]
_JOBS: dict[str, tuple[JobFunc, Callable[[Settings], float]]] = {}


def job(name: str, every: Callable[[Settings], float]) -> Callable[[JobFunc], JobFunc]:
    """Register ``func`` to run every ``every(settings)`` seconds (one run at a time, missed runs merged)."""

    def register(func: JobFunc) -> JobFunc:
        _JOBS[name] = (func, every)
        return func

    return register


def start_scheduler(ctx: JobContext) -> AsyncIOScheduler:
    for module in JOB_MODULES:
        importlib.import_module(module)
    scheduler = AsyncIOScheduler(timezone=ctx.settings.tz)
    for name, (func, every) in _JOBS.items():
        scheduler.add_job(
            _guarded(name, func),
            "interval",
            seconds=every(ctx.settings),
            args=[ctx],
            id=name,
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(ctx.settings.tz),
        )
    scheduler.start()
    log.info("scheduler started with %d job(s): %s", len(_JOBS), ", ".join(sorted(_JOBS)) or "none")
    return scheduler


_running: set[asyncio.Task] = set()


def _guarded(name: str, func: JobFunc) -> JobFunc:
    async def run(ctx: JobContext) -> None:
        task = asyncio.current_task()
        if task is not None:
            _running.add(task)
        try:
            await func(ctx)
        except asyncio.CancelledError:  # stopped at shutdown after the grace period: its open work rolls back
            log.warning("job %s was interrupted by the shutdown", name)
        except Exception:  # a failing job must not stop the others or the bot
            log.exception("job %s failed", name)
        finally:
            _running.discard(task)

    return run


async def stop_scheduler(scheduler: AsyncIOScheduler, grace: float = 10.0) -> None:
    """No new runs; the jobs that are running get ``grace`` seconds to finish, then the scheduler stops."""
    scheduler.pause()
    running = [t for t in _running if not t.done()]
    if running:
        await asyncio.wait(running, timeout=grace)
    scheduler.shutdown(wait=False)
