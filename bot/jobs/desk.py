"""Scheduler job: the desk's reminders, escalations, "still waiting" messages and crisis check-ins.

Every decision is taken from the cases table (timestamps and a reminder stage), so a restart rebuilds the
schedule by itself. Messages into topics and to families go through the relay outbox (limits, retries).
"""

from __future__ import annotations

import logging

from aiogram.exceptions import TelegramAPIError, TelegramNetworkError
from aiogram.utils.i18n import gettext as _
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import utcnow
from bot.db.models import Case, Family, Staff
from bot.i18n import locale_scope
from bot.scheduler import JobContext, job
from bot.services import desk, relay, staff
from bot.services.cases import OPEN_STATUSES
from bot.views.callbacks import CheckIn
from bot.views.ui import kb

log = logging.getLogger(__name__)


@job("desk", lambda s: s.desk_scan_seconds)
async def desk_scan(ctx: JobContext) -> None:
    async with ctx.sessionmaker() as session:
        escalations = await _reminders(session, ctx)
        await _still_waiting(session, ctx)
        await _check_ins(session, ctx)
        await session.commit()
    for chat_id, text in escalations:
        try:
            await ctx.bot.send_message(chat_id, text)
        except (TelegramAPIError, TelegramNetworkError) as exc:
            log.warning("escalation to %s not delivered: %s", chat_id, exc)


async def _reminders(session: AsyncSession, ctx: JobContext) -> list[tuple[int, str]]:
    settings, now = ctx.settings, utcnow()
    escalations: list[tuple[int, str]] = []
    rows = (await session.scalars(select(Case).where(Case.status.in_(OPEN_STATUSES)))).all()
    coordinators = await staff.coordinator_ids(session, ctx.settings, supervisors=True)
    for case in rows:
        waited = desk.minutes_since(case.opened_at, now)
        untaken = case.owner_id is None and case.status in desk.WAITING_STATUSES
        with locale_scope(ctx.i18n, settings.default_locale):
            if (
                untaken
                and case.reminder_stage < 1
                and waited >= settings.desk_take_reminder_minutes[case.urgency]
            ):
                case.reminder_stage = 1
                text = _(
                    "⏰ Request № {number} has been waiting {minutes} min and nobody has taken it."
                ).format(number=case.id, minutes=max(1, round(waited)))
                relay.enqueue_text(session, case, target="staff", text=text, notice="take")
            if untaken and case.reminder_stage < 2 and waited >= settings.desk_escalate_minutes[case.urgency]:
                case.reminder_stage = 2
                text = _(
                    "⚠️ Request № {number} ({urgency}, region {region}) has been waiting {minutes} min without "
                    "an owner. Please find someone to take it."
                ).format(
                    number=case.id, urgency=case.urgency, region=case.region or "—", minutes=round(waited)
                )
                escalations += [(tg_id, text) for tg_id in coordinators]
            family_waiting = desk.minutes_since(case.last_family_at, now)
            if (
                case.owner_id is not None
                and case.last_family_at is not None
                and (case.last_staff_at is None or case.last_family_at > case.last_staff_at)
                and case.answer_reminded_at is None
                and family_waiting >= settings.desk_answer_reminder_minutes[case.urgency]
            ):
                case.answer_reminded_at = now
                owner = await session.get(Staff, case.owner_id)
                text = _("⏰ The family has been waiting {minutes} min for an answer.").format(
                    minutes=max(1, round(family_waiting))
                )
                if owner is not None:
                    text += f' <a href="tg://user?id={owner.tg_user_id}">{owner.name or owner.tg_user_id}</a>'
                relay.enqueue_text(session, case, target="staff", text=text, notice="answer")
    return escalations


async def _still_waiting(session: AsyncSession, ctx: JobContext) -> None:
    """A gentle word to families whose request nobody has taken yet, with their place in the queue."""
    now = utcnow()
    every = ctx.settings.desk_still_waiting_minutes
    for case in await desk.waiting_queue(session):
        if case.family_id is None or case.urgency == "emergency":
            continue
        if desk.minutes_since(case.family_notice_at or case.opened_at, now) < every:
            continue
        family = await session.get(Family, case.family_id)
        if family is None or not family.is_active:
            continue
        case.family_notice_at = now
        position = await desk.queue_position(session, case)
        wait = await desk.estimated_wait(session, position)
        with locale_scope(ctx.i18n, family.language):
            text = _("We have not forgotten you: request № {number}, place in the queue: {position}.").format(
                number=case.id, position=position
            )
            if wait is not None:
                minutes = max(1, round(wait.total_seconds() / 60))
                text += " " + _("Usually the answer comes in about {minutes} min.").format(minutes=minutes)
            text += "\n\n" + _("If you are in danger, call <b>112</b>.")
        relay.enqueue_text(session, case, target="family", text=text, notice="still_waiting")


async def _check_ins(session: AsyncSession, ctx: JobContext) -> None:
    """A day (configurable) after a crisis request is closed: are you safe, do you need anything?"""

    now = utcnow()
    due = (
        await session.scalars(
            select(Case).where(
                Case.checkin_due_at.is_not(None), Case.checkin_due_at <= now, Case.checkin_sent_at.is_(None)
            )
        )
    ).all()
    for case in due:
        case.checkin_sent_at = now
        family = await session.get(Family, case.family_id) if case.family_id else None
        if family is None or not family.is_active:
            continue
        with locale_scope(ctx.i18n, family.language):
            if family.discreet:
                text = _("Hello! We wanted to ask how you are doing.")
            else:
                text = _(
                    "Hello! We wanted to ask how you are. Are you and the children safe now? Do you need anything?"
                )
            markup = kb(
                [(_("All is well"), CheckIn(case=case.id, a="safe"))],
                [(_("I need help"), CheckIn(case=case.id, a="help"))],
            )
        relay.enqueue_text(
            session,
            case,
            target="family",
            text=text,
            markup=markup.model_dump(exclude_none=True),
            notice="checkin",
        )
