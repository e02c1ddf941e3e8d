"""Families: language, consent, region, profile. No Telegram here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import utcnow
from bot.db.models import Family
from bot.services.audit import audit


async def get_family(session: AsyncSession, tg_user_id: int) -> Family | None:
    return await session.scalar(select(Family).where(Family.tg_user_id == tg_user_id))


async def give_consent(
    session: AsyncSession, tg_user_id: int, *, language: str, version: str, at: datetime | None = None
) -> Family:
    """Create the family record at the moment of consent (nothing personal is stored before)."""
    family = await get_family(session, tg_user_id)
    if family is None:
        family = Family(tg_user_id=tg_user_id, language=language, profile={})
        session.add(family)
    family.consent_at = at or utcnow()
    family.consent_version = version
    family.is_active = True
    await session.flush()
    await audit(
        session,
        actor_tg_id=tg_user_id,
        role="family",
        action="consent.given",
        obj=("family", family.id),
        details={"version": version},
    )
    return family


async def set_language(session: AsyncSession, family: Family, language: str) -> None:
    family.language = language
    await session.flush()


async def set_region(session: AsyncSession, family: Family, region: str) -> None:
    family.region = region
    await session.flush()


async def update_profile(session: AsyncSession, family: Family, **changes: Any) -> dict[str, Any]:
    """Merge answers into the profile; a value of None removes the answer (the family skipped it)."""
    profile = dict(family.profile or {})
    for key, value in changes.items():
        if value is None:
            profile.pop(key, None)
        else:
            profile[key] = value
    family.profile = profile
    await session.flush()
    return profile


async def touch(session: AsyncSession, family: Family) -> None:
    family.last_seen_at = utcnow()


async def get(session: AsyncSession, family_id: int | None) -> Family | None:
    return await session.get(Family, family_id) if family_id else None
