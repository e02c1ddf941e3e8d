"""Counters for /status and /health: this process's update and error counts (in memory, since start) and
figures from the database (updates handled, relay backlog, broadcast progress). Nothing personal."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import utcnow
from bot.db.models import Broadcast, BroadcastRecipient, Case, OutboxItem, ProcessedUpdate
from bot.services.cases import OPEN_STATUSES

STARTED = time.time()
COUNTERS: Counter[str] = Counter()  # updates, errors, unhandled, flood_dropped, muted_dropped


def count(name: str, n: int = 1) -> None:
    COUNTERS[name] += n


@dataclass
class BroadcastProgress:
    id: int
    total: int
    done: int


@dataclass
class Status:
    uptime_seconds: float
    counters: dict[str, int]
    updates_last_hour: int
    updates_last_day: int
    relay_pending: int
    relay_oldest_pending: datetime | None
    relay_failed_last_day: int
    open_requests: int
    broadcasts: list[BroadcastProgress] = field(default_factory=list)


async def status(session: AsyncSession, now: datetime | None = None) -> Status:
    now = now or utcnow()

    async def scalar(query) -> int:
        return int(await session.scalar(query) or 0)

    updates = select(func.count()).select_from(ProcessedUpdate)
    pending = select(func.count(OutboxItem.id)).where(OutboxItem.status == "pending")
    broadcasts = []
    for b in (await session.scalars(select(Broadcast).where(Broadcast.status == "sending"))).all():
        done = await scalar(
            select(func.count(BroadcastRecipient.id)).where(
                BroadcastRecipient.broadcast_id == b.id,
                BroadcastRecipient.status.not_in(("pending", "sending")),
            )
        )
        broadcasts.append(BroadcastProgress(b.id, b.total, done))
    return Status(
        uptime_seconds=time.time() - STARTED,
        counters=dict(COUNTERS),
        updates_last_hour=await scalar(updates.where(ProcessedUpdate.at >= now - timedelta(hours=1))),
        updates_last_day=await scalar(updates.where(ProcessedUpdate.at >= now - timedelta(days=1))),
        relay_pending=await scalar(pending),
        relay_oldest_pending=await session.scalar(
            select(func.min(OutboxItem.created_at)).where(OutboxItem.status == "pending")
        ),
        relay_failed_last_day=await scalar(
            select(func.count(OutboxItem.id)).where(
                OutboxItem.status == "failed", OutboxItem.created_at >= now - timedelta(days=1)
            )
        ),
        open_requests=await scalar(select(func.count(Case.id)).where(Case.status.in_(OPEN_STATUSES))),
        broadcasts=broadcasts,
    )


async def database_ok(session: AsyncSession) -> bool:
    await session.execute(text("SELECT 1"))
    return True
