"""Scheduler job: remove what is past its retention period (see bot/services/retention.py)."""

from __future__ import annotations

import logging

from aiogram.utils.i18n import gettext as _

from bot.i18n import locale_scope
from bot.scheduler import JobContext, job
from bot.services import retention

log = logging.getLogger(__name__)


@job("retention", lambda s: s.retention_scan_seconds)
async def apply_retention(ctx: JobContext) -> None:
    periods = retention.periods(ctx.settings, ctx.catalog.content.privacy.retention)
    with locale_scope(ctx.i18n, ctx.settings.default_locale):
        note = _(
            "The family did not use the bot for the period our privacy notice names, so its data was erased. "
            "This request is closed."
        )
    async with ctx.sessionmaker() as session:
        counts = await retention.apply(session, periods, staff_note=note)
        await session.commit()
    removed = {k: v for k, v in counts.items() if v}
    if removed:
        log.info("retention: %s", ", ".join(f"{k} {v}" for k, v in sorted(removed.items())))
