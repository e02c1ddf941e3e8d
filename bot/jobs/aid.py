"""Scheduler job: material-help notices a family has not got yet.

A coordinator's or volunteer's change is committed, then the family is told at once (bot/notify.py). When that
send was cut off — a restart between the commit and the send, Telegram refusing for a while — the request still
counts a notice not told, and this job sends the latest status (not each step missed) once the grace period has
passed. A notice is marked told only after Telegram accepted it, so at worst a family reads one twice.
"""

from __future__ import annotations

import logging

from bot.notify import tell_family_of_aid
from bot.scheduler import JobContext, job
from bot.services import aid

log = logging.getLogger(__name__)


@job("aid_notices", lambda s: s.aid_notice_scan_seconds)
async def send_untold(ctx: JobContext) -> None:
    with ctx.i18n.context():
        async with ctx.sessionmaker() as session:
            for req in await aid.untold(session, grace_seconds=ctx.settings.aid_notice_grace_seconds):
                log.info(
                    "aid %s: telling the family of «%s» (a notice not delivered before)", req.id, req.status
                )
                await tell_family_of_aid(ctx.bot, session, req)
