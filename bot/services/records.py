"""What the bot records of a family's way through it, for the reports: a triage outcome and a danger signal."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import CrisisEvent, TriageResult
from bot.services.crisis import CrisisHit
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
    session: AsyncSession,
    *,
    family_id: int | None,
    region: str | None,
    categories: list[str],
    source: str,
    level: str = "clear",
) -> None:
    """A danger signal was answered (``source``: free_text, triage or checkin; ``level``: clear or possible)."""
    session.add(
        CrisisEvent(family_id=family_id, region=region, categories=categories, source=source, level=level)
    )


def _signal(hit: CrisisHit) -> dict[str, Any]:
    """What the case card shows about a danger signal: level, categories and the words that matched."""
    return {
        "level": hit.level,
        "categories": list(hit.categories),
        "evidence": [w[:60] for w in hit.evidence[:5]],
    }


def mark_danger(case: Any, hit: CrisisHit) -> bool:
    """Put the signal on the case (a clear one is never replaced by a possible one); True when it changed."""
    summary = dict(case.summary or {})
    old = summary.get("danger") or {}
    if old.get("level") == "clear" and not hit.clear:
        return False
    new = _signal(hit)
    if old == new:
        return False
    summary["danger"] = new
    case.summary = summary
    return True
