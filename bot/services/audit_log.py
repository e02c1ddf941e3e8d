"""Reading the audit log (coordinators only): everything about one case, one family or one person."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import AuditLog, Case, Staff


async def for_case(session: AsyncSession, case_id: int, limit: int = 30) -> list[AuditLog]:
    query = select(AuditLog).where(AuditLog.object_type == "case", AuditLog.object_id == str(case_id))
    return list((await session.scalars(query.order_by(AuditLog.id.desc()).limit(limit))).all())[::-1]


async def for_family(session: AsyncSession, family_id: int, limit: int = 30) -> list[AuditLog]:
    """The family's own record, its consent changes and every action on its requests."""
    case_ids = [
        str(i) for i in (await session.scalars(select(Case.id).where(Case.family_id == family_id))).all()
    ]
    query = select(AuditLog).where(
        or_(
            (AuditLog.object_type == "family") & (AuditLog.object_id == str(family_id)),
            (AuditLog.object_type == "case") & (AuditLog.object_id.in_(case_ids)),
        )
    )
    return list((await session.scalars(query.order_by(AuditLog.id.desc()).limit(limit))).all())[::-1]


async def for_person(session: AsyncSession, tg_user_id: int, limit: int = 30) -> list[AuditLog]:
    """What a person (staff or family, by Telegram id) did, and the changes made to their staff record."""
    staff_ids = [
        str(i) for i in (await session.scalars(select(Staff.id).where(Staff.tg_user_id == tg_user_id))).all()
    ]
    query = select(AuditLog).where(
        or_(
            AuditLog.actor_tg_id == tg_user_id,
            (AuditLog.object_type == "staff") & (AuditLog.object_id.in_(staff_ids)),
        )
    )
    return list((await session.scalars(query.order_by(AuditLog.id.desc()).limit(limit))).all())[::-1]
