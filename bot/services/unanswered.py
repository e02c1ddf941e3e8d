"""Questions the bot could not answer by itself, counted by theme for coordinators (no text, no family)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import utcnow
from bot.db.models import UnansweredQuestion


async def record(session: AsyncSession, *, theme: str, locale: str) -> None:
    session.add(UnansweredQuestion(day=utcnow().date(), theme=theme[:64], locale=(locale or "")[:8]))


async def by_theme(session: AsyncSession, start: date, end: date) -> list[tuple[str, int]]:
    """(theme, count) for days start..end inclusive, most frequent first."""
    count = func.count(UnansweredQuestion.id)
    rows = await session.execute(
        select(UnansweredQuestion.theme, count)
        .where(UnansweredQuestion.day >= start, UnansweredQuestion.day <= end)
        .group_by(UnansweredQuestion.theme)
        .order_by(count.desc(), UnansweredQuestion.theme)
    )
    return [(theme, int(n)) for theme, n in rows.all()]
