"""Who is behind an update, read in one statement: the family record (if consented), the active staff record and an
unexpired pause set by staff. The context middleware asks this at every update; it had been three statements (the
family, the staff record, the pause), and each statement is a large share of an update's cost (benchmarks/README.md,
issue 16)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import BigInteger, and_, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import utcnow
from bot.db.models import Family, Mute, Staff


@dataclass(frozen=True, slots=True)
class Person:
    family: Family | None
    staff: Staff | None
    mute: Mute | None  # unexpired at the time of reading


async def read(session: AsyncSession, tg_user_id: int, now: datetime | None = None) -> Person:
    now = now or utcnow()
    me = select(literal(tg_user_id, BigInteger).label("uid")).subquery()
    row = (
        await session.execute(
            select(Family, Staff, Mute)
            .select_from(me)
            .outerjoin(Family, Family.tg_user_id == me.c.uid)
            .outerjoin(Staff, and_(Staff.tg_user_id == me.c.uid, Staff.active.is_(True)))
            .outerjoin(Mute, and_(Mute.tg_user_id == me.c.uid, Mute.until > now))
        )
    ).first()
    if row is None:  # the one-row subquery always gives a row; kept for the type checker
        return Person(None, None, None)
    return Person(row[0], row[1], row[2])
