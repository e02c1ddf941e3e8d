"""Offering a task to a volunteer from a coordinator's card (a material-help request, an event): one way for both."""

from __future__ import annotations

from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _

from bot.db.models import Assignment, Volunteer
from bot.db.session import AsyncSession
from bot.middlewares.context import UserContext
from bot.services import volunteers
from bot.services.volunteers import VolunteerError
from handlers.filters import role_of


async def offer_task(
    call: CallbackQuery,
    volunteer_id: str,
    *,
    kind: str,
    target_id: int,
    ctx: UserContext,
    session: AsyncSession,
) -> tuple[Assignment, Volunteer] | None:
    """Offer the task (committed) and answer the button; None when the button was stale or the volunteer cannot
    take tasks now (the coordinator is told why)."""
    vol = await volunteers.get(session, int(volunteer_id)) if volunteer_id.isdigit() else None
    if vol is None:
        await call.answer(_("This button no longer works."), show_alert=True)
        return None
    try:
        task = await volunteers.assign(
            session, vol, kind=kind, target_id=target_id, actor_tg_id=ctx.user.id, role=role_of(ctx)
        )
    except VolunteerError:
        await call.answer(_("This volunteer cannot take tasks now."), show_alert=True)
        return None
    await session.commit()
    await call.answer(_("The task is offered to the volunteer."))
    return task, vol
