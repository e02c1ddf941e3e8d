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
    """The staff record a person acts under in the operators' group.

    Coordinators and admins named in the settings (COORDINATOR_IDS, ADMIN_IDS) need a record to own requests and
    sign notes, but their rights come from the settings alone and must go with them: their record is created
    inactive (``active`` is what grants a role from the table), so removing them from the settings and restarting
    takes every right away. Only an explicit, audited act (/staff, ``python -m bot staff add``) makes an active
    record."""
    staff = await session.scalar(select(Staff).where(Staff.tg_user_id == tg_user_id))
    if staff is None and roles & {"coordinator", "admin"}:
        staff = Staff(
            tg_user_id=tg_user_id,
            role="admin" if "admin" in roles else "coordinator",
            active=False,
            name=(name or "")[:128] or None,
        )
        session.add(staff)
        await session.flush()
        await audit(
            session,
            actor_tg_id=tg_user_id,
            role=staff.role,
            action="staff.settings_record",
            obj=("staff", staff.id),
            details={"rights": "settings only"},
        )
    if staff is not None and not staff.active and not roles & {"coordinator", "admin"}:
        return None  # a removed member, and no longer in the settings either
    if staff is not None and not staff.name and name:
        staff.name = name[:128]
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


async def rights_sources(session: AsyncSession, coordinator_ids: list[int], admin_ids: list[int]) -> dict:
    """Where each person's rights come from, for /status: the settings, and the staff table (active records,
    each created by an audited act) by role."""
    table: dict[str, list[int]] = {}
    for member in await members(session):
        table.setdefault(member.role, []).append(member.tg_user_id)
    return {"coordinator_ids": sorted(coordinator_ids), "admin_ids": sorted(admin_ids), "table": table}
