"""Questions the bot could not answer by itself, counted by theme for coordinators (no text, no family)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import utcnow
from bot.db.models import UnansweredQuestion


async def record(session: AsyncSession, *, theme: str, locale: str, region: str | None) -> None:
    """One unanswered message: its theme (the best guess's intent key, or `none`), language, region and day."""
    session.add(
        UnansweredQuestion(
            day=utcnow().date(), theme=theme[:64], locale=(locale or "")[:8], region=(region or None)
        )
    )


async def by_theme(
    session: AsyncSession, start: date, end: date, region: str | None = None
) -> list[tuple[str, int]]:
    """(theme, count) for days start..end inclusive (UTC days), most frequent first."""
    count = func.count(UnansweredQuestion.id)
    query = select(UnansweredQuestion.theme, count).where(
        UnansweredQuestion.day >= start, UnansweredQuestion.day <= end
    )
    if region:
        query = query.where(UnansweredQuestion.region == region)
    rows = await session.execute(
        query.group_by(UnansweredQuestion.theme).order_by(count.desc(), UnansweredQuestion.theme)
    )
    return [(theme, int(n)) for theme, n in rows.all()]
