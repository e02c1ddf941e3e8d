"""The audit log: every staff action and every consent change."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import AuditLog


async def audit(
    session: AsyncSession,
    *,
    actor_tg_id: int | None,
    role: str | None,
    action: str,
    obj: tuple[str, object] | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditLog(
            actor_tg_id=actor_tg_id,
            actor_role=role,
            action=action,
            object_type=obj[0] if obj else None,
            object_id=str(obj[1]) if obj else None,
            details=details or {},
        )
    )
