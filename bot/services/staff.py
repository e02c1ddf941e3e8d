"""Staff members and their roles. Every change is audited."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.db.models import Staff
from bot.services.audit import audit

ROLES = ("operator", "specialist", "crisis", "supervisor", "coordinator", "admin")
SPECIALTIES = ("lawyer", "psychologist", "social_consultant")


async def upsert(
    session: AsyncSession,
    tg_user_id: int,
    role: str,
    *,
    specialty: str | None = None,
    region: str | None = None,
    name: str | None = None,
    actor_tg_id: int | None = None,
    actor_role: str = "admin",
) -> Staff:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if specialty is not None and specialty not in SPECIALTIES:
        raise ValueError(f"specialty must be one of {', '.join(SPECIALTIES)}")
    staff = await session.scalar(select(Staff).where(Staff.tg_user_id == tg_user_id))
    if staff is None:
        staff = Staff(tg_user_id=tg_user_id, role=role)
        session.add(staff)
    staff.role, staff.specialty, staff.region, staff.active = role, specialty, region, True
    if name:
        staff.name = name
    await session.flush()
    await audit(
        session,
        actor_tg_id=actor_tg_id,
        role=actor_role,
        action="staff.set",
        obj=("staff", staff.id),
        details={"role": role, "specialty": specialty, "region": region},
    )
    return staff


async def deactivate(
    session: AsyncSession, tg_user_id: int, *, actor_tg_id: int | None = None, actor_role: str = "admin"
) -> bool:
    staff = await session.scalar(select(Staff).where(Staff.tg_user_id == tg_user_id))
    if staff is None or not staff.active:
        return False
    staff.active = False
    await audit(
        session,
        actor_tg_id=actor_tg_id,
        role=actor_role,
        action="staff.removed",
        obj=("staff", staff.id),
        details={"role": staff.role},
    )
    return True


async def members(session: AsyncSession, *, include_inactive: bool = False) -> list[Staff]:
    """Staff by role, then name. Partner staff live with the family-card feature (handlers/partners/)."""
    query = select(Staff)
    if not include_inactive:
        query = query.where(Staff.active.is_(True))
    rows = (await session.scalars(query)).all()
    order = {role: i for i, role in enumerate(ROLES)}
    return sorted(rows, key=lambda s: (order.get(s.role, 99), (s.name or "").lower(), s.tg_user_id))


async def ensure_for_roles(
    session: AsyncSession, tg_user_id: int, roles: frozenset[str], name: str | None
) -> Staff | None:
    """Coordinators and admins named in the settings act as staff too: give them a record on first use."""
    staff = await session.scalar(select(Staff).where(Staff.tg_user_id == tg_user_id, Staff.active.is_(True)))
    if staff is None and roles & {"coordinator", "admin"}:
        staff = await upsert(session, tg_user_id, "admin" if "admin" in roles else "coordinator", name=name)
    if staff is not None and not staff.name and name:
        staff.name = name
    return staff


# Who is a coordinator: the people named in COORDINATOR_IDS and ADMIN_IDS (an administrator is a coordinator too,
# as UserContext.is_coordinator says) and active staff records with the role coordinator or admin. Supervisors
# oversee the desk, not the service: they are added only where asked (the desk's escalations of untaken requests).
COORDINATOR_ROLES = ("coordinator", "admin")


async def coordinator_ids(
    session: AsyncSession, settings: Settings, *, supervisors: bool = False
) -> list[int]:
    """Telegram ids of the coordinators (and administrators; and supervisors when ``supervisors``), sorted."""
    roles = (*COORDINATOR_ROLES, "supervisor") if supervisors else COORDINATOR_ROLES
    ids = set(settings.coordinator_ids) | set(settings.admin_ids)
    rows = await session.scalars(
        select(Staff.tg_user_id).where(Staff.active.is_(True), Staff.role.in_(roles))
    )
    ids.update(rows.all())
    return sorted(ids)
