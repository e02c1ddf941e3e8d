"""Scheduler job: events' reminders (the day before at 18:00 local, two hours before), «было полезно?» after, and
the news of a seat from the waiting list when nobody could tell it at once (a family erased its data, a crash).

Each scan claims what is due (the registration's mark is set and committed before anything goes out, so a
restart or a second instance never sends it twice), then sends it in the family's language with the place and
the calendar file. Times are the region's (data/regions.yaml), read on the service's clock (bot/services/clock.py).
"""

from __future__ import annotations

import logging

from aiogram.exceptions import TelegramAPIError

from bot.i18n import locale_scope
from bot.notify import send_event_place
from bot.scheduler import JobContext, job
from bot.services import events
from bot.views import events as views

log = logging.getLogger(__name__)


@job("event_reminders", lambda s: s.events_scan_seconds)
async def send_event_reminders(ctx: JobContext) -> None:
    zones = {r.code: r.tz for r in ctx.catalog.regions}
    async with ctx.sessionmaker() as session:
        due = await events.claim_due(session, zones)
        await session.commit()
    for item in due:
        try:
            with locale_scope(ctx.i18n, item.language):
                if item.discreet:
                    text, markup = views.discreet_note(item.what, item.event, item.reg_id, ctx.catalog)
                elif item.what == "feedback":
                    text, markup = views.feedback_text(item.event), views.feedback_kb(item.reg_id)
                elif item.what == "promoted":
                    text = views.promoted_text(item.event, ctx.catalog, item.language)
                    markup = views.reminder_kb(item.reg_id)
                else:
                    text = views.reminder_text(item.what, item.event, ctx.catalog, item.language)
                    markup = views.reminder_kb(item.reg_id)
                await ctx.bot.send_message(item.tg_user_id, text, reply_markup=markup)
                if item.what in ("day", "promoted") and not item.discreet:
                    await send_event_place(ctx.bot, item.tg_user_id, item.event, ctx.catalog, item.language)
        except TelegramAPIError as exc:  # claimed: not sent again (a duplicate is worse than a gap)
            log.info(
                "event %s: %s reminder to %s not sent (%s)", item.event.id, item.what, item.tg_user_id, exc
            )
        else:
            log.info("event %s: %s reminder sent (registration %s)", item.event.id, item.what, item.reg_id)
