"""/status: is the service healthy? Update and error counts, the relay's backlog, broadcasts in progress."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from bot.config import Settings
from bot.db.base import utcnow
from bot.db.session import AsyncSession
from bot.services import observability
from bot.services import staff as staff_service

router = Router(name="coordinators.status")


def status_text(s: observability.Status, settings: Settings) -> str:
    c = s.counters
    hours, rest = divmod(int(s.uptime_seconds), 3600)
    lines = [
        _("<b>Service status</b>"),
        _("This process: up {hours} h {minutes} min; updates {updates}, errors {errors}").format(
            hours=hours, minutes=rest // 60, updates=c.get("updates", 0), errors=c.get("error", 0)
        ),
        _("Held back by flood control: {flood}; from paused users: {muted}").format(
            flood=c.get("flood", 0), muted=c.get("muted", 0)
        ),
        _("Unreadable updates skipped (logged): {n}").format(n=c.get("unreadable", 0)),
        _("Updates handled: {hour} in the last hour, {day} in 24 hours").format(
            hour=s.updates_last_hour, day=s.updates_last_day
        ),
        _("Open requests: {n}").format(n=s.open_requests),
    ]
    relay = _("Relay backlog: {n} message(s) waiting").format(n=s.relay_pending)
    if s.relay_oldest_pending is not None:
        minutes = int((utcnow() - s.relay_oldest_pending).total_seconds() // 60)
        relay += " " + _("(the oldest for {minutes} min)").format(minutes=minutes)
    lines.append(relay)
    lines.append(_("Relay failures in 24 hours: {n}").format(n=s.relay_failed_last_day))
    if s.broadcasts:
        for b in s.broadcasts:
            lines.append(
                _("Broadcast № {id}: {done} of {total} delivered or settled").format(
                    id=b.id, done=b.done, total=b.total
                )
            )
    else:
        lines.append(_("No broadcast is being sent."))
    return "\n".join(lines)


def rights_text(rights: dict) -> str:
    """Where each person's rights come from: the settings (taken away by the settings) or the staff list."""

    def ids(values: list[int]) -> str:
        return ", ".join(str(v) for v in values) or "—"

    lines = [
        _("<b>Who has rights, and from where</b>"),
        _("From the settings, COORDINATOR_IDS: {ids}").format(ids=ids(rights["coordinator_ids"])),
        _("From the settings, ADMIN_IDS: {ids}").format(ids=ids(rights["admin_ids"])),
    ]
    for role, members in sorted(rights["table"].items()):
        lines.append(_("From the staff list ({role}): {ids}").format(role=role, ids=ids(members)))
    return "\n".join(lines)


@router.message(Command("status"))
async def status_cmd(message: Message, session: AsyncSession, settings: Settings) -> None:
    rights = await staff_service.rights_sources(session, settings.coordinator_ids, settings.admin_ids)
    await message.answer(
        status_text(await observability.status(session), settings) + "\n\n" + rights_text(rights)
    )
