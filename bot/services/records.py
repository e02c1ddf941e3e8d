"""What the bot records of a family's way through it, for the reports: a triage outcome and a danger signal."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import CrisisEvent, TriageResult
from bot.services.triage import Outcome


def record_triage(
    session: AsyncSession, family_id: int, region: str | None, outcome: Outcome, path: list[dict[str, Any]]
) -> None:
    """A consented family reached ``outcome`` by ``path`` (its answers, node by node)."""
    session.add(
        TriageResult(
            family_id=family_id,
            region=region,
            category=outcome.category,
            urgency=outcome.urgency,
            route=outcome.route.type,
            specialty=outcome.route.specialty,
            path=path,
        )
    )


def record_crisis(
    session: AsyncSession, *, family_id: int | None, region: str | None, categories: list[str], source: str
) -> None:
    """A danger signal was answered with emergency contacts (``source``: free_text or triage)."""
    session.add(CrisisEvent(family_id=family_id, region=region, categories=categories, source=source))
