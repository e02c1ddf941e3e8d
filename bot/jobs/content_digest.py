"""Scheduler job: once a week, coordinators get the list of content past its review date (if there is any).

The week is claimed in `content_digests` before anything is sent, so a restart or a second instance never sends
it twice; a week with nothing due sends nothing (and claims nothing, so an item falling due later that week is
still reported).
"""

from __future__ import annotations

import logging

from aiogram.exceptions import TelegramAPIError

from bot.scheduler import JobContext, job
from bot.services import clock
from bot.services import content_review as cr
from bot.services.staff import coordinator_ids
from bot.views import content_review as views
from bot.views.ui import clip

log = logging.getLogger(__name__)


@job("content_digest", lambda s: s.content_digest_scan_seconds)
async def send_content_digest(ctx: JobContext) -> None:
    today = clock.today(ctx.settings.tz)
    items = cr.review_items(ctx.catalog.data_dir)
    async with ctx.sessionmaker() as session:
        due = await cr.due(session, items, today)
        if not due:
            return
        recipients = await coordinator_ids(session, ctx.settings)
        if not recipients or not await cr.claim_digest(session, today, len(due)):
            return
    locale = ctx.settings.default_locale
    with ctx.i18n.context(), ctx.i18n.use_locale(locale):
        text = clip(views.review_text(due, len(items), today, locale, digest=True))
    for tg_id in recipients:
        try:
            await ctx.bot.send_message(tg_id, text)
        except TelegramAPIError as exc:
            log.warning("content digest to %s not sent: %s", tg_id, exc)
    log.info(
        "content digest for %s sent to %d coordinator(s): %d item(s)",
        cr.week_key(today),
        len(recipients),
        len(due),
    )
