"""Coordinators: broadcasts, reports, staff and the audit log — in a private chat with the bot or in the
coordinators' chat (COORDINATOR_CHAT_ID). Only coordinators and administrators enter; everyone else who tries a
coordinators' command or button is told so. The announcement buttons families tap live here too."""

from __future__ import annotations

from aiogram import Router
from aiogram.utils.i18n import gettext as _

from bot.config import Settings
from handlers.coordinators import (
    admin,
    aid,
    broadcast,
    content_import,
    content_review,
    event_wizard,
    events,
    family,
    monitoring,
    stats,
    status,
    volunteers,
)
from handlers.filters import IsCoordinator, refusals


def refusal() -> str:
    return _("This is only for the centre's coordinators.")


def get_router(settings: Settings) -> Router:
    root = Router(name="coordinators")
    staff_side = Router(name="coordinators.staff")
    for observer in (staff_side.message, staff_side.callback_query):
        observer.filter(IsCoordinator(settings))
    staff_side.include_routers(
        monitoring.router,
        broadcast.router,
        stats.router,
        admin.router,
        status.router,
        content_review.router,
        content_import.router,
        aid.router,
        volunteers.router,
        events.router,
        event_wizard.router,
    )
    # everyone else: the commands and buttons of staff_side, read off its handlers (no list to keep in sync)
    refuse = refusals(staff_side, refusal, name="coordinators.refuse")
    root.include_routers(staff_side, family.router, refuse)
    return root
