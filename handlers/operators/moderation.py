"""In the staff groups: messages of non-members (an anonymous admin, a channel) are ignored safely, and staff
can pause an abusive family for a while (/mute, /unmute in the request's topic; audited, with an expiry)."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _

from bot.config import Settings
from bot.db.models import Case, Staff
from bot.db.session import AsyncSession
from bot.services import dates, moderation

log = logging.getLogger(__name__)
router = Router(name="operators.moderation")

DEFAULT_MUTE_MINUTES = 60


@router.message(Command("mute"))
async def mute_cmd(
    message: Message,
    staff: Staff,
    case: Case | None,
    command: CommandObject,
    session: AsyncSession,
    settings: Settings,
) -> None:
    limit = settings.mute_max_hours * 60
    try:
        minutes = float((command.args or "").strip() or DEFAULT_MUTE_MINUTES)
    except ValueError:
        minutes = -1
    if case is None or not 0 < minutes <= limit:
        await message.reply(
            _(
                "In a request's topic: /mute minutes (up to {limit}) pauses the family's messages; "
                "/unmute lifts it. Danger signals still get emergency contacts."
            ).format(limit=int(limit))
        )
        return
    until = await moderation.mute_case_family(
        session, case, minutes, actor_tg_id=message.from_user.id, role=staff.role
    )
    if until is None:
        await message.reply(_("The family has deleted its data; there is no one to pause."))
        return
    await message.reply(
        _(
            "The family of request № {number} is paused until {until}. Their messages are not passed on "
            "meanwhile; danger signals still get emergency contacts. /unmute lifts it."
        ).format(
            number=case.id,
            until=dates.day_month_time(until.astimezone(settings.tz), get_i18n().current_locale),
        )
    )


@router.message(Command("unmute"))
async def unmute_cmd(message: Message, staff: Staff, case: Case | None, session: AsyncSession) -> None:
    if case is None:
        await message.reply(_("Write /unmute in the request's topic."))
        return
    lifted = await moderation.unmute_case_family(
        session, case, actor_tg_id=message.from_user.id, role=staff.role
    )
    await message.reply(
        _("The family of request № {number} can write again.").format(number=case.id)
        if lifted
        else _("This family was not paused.")
    )
