"""Scheduler job: ask families, once, whether they applied for the support measures they saw.

Each scan claims the due follow-ups (marked «sent» and committed before anything goes out, so a restart or a
second instance never asks twice), then sends the questions in each family's language. A blocked bot closes
the follow-up and marks the family inactive; a passing Telegram failure puts it back for the next scan.
"""

from __future__ import annotations

import logging

from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
)

from bot.i18n import locale_scope
from bot.scheduler import JobContext, job
from bot.services import followup
from bot.views.followup import question

log = logging.getLogger(__name__)


@job("followups", lambda s: s.followup_scan_seconds)
async def send_followups(ctx: JobContext) -> None:
    async with ctx.sessionmaker() as session:
        due = await followup.claim_due(session)
        await session.commit()
    for item in due:
        try:
            with locale_scope(ctx.i18n, item.language):
                text, markup = question(item, ctx.catalog.measures)
            await ctx.bot.send_message(item.tg_user_id, text, reply_markup=markup)
        except TelegramForbiddenError:
            log.info("follow-up %s: the family blocked the bot; closed", item.id)
            await _settle(ctx, followup.undeliverable, item.id, blocked=True)
        except TelegramBadRequest as exc:
            log.warning("follow-up %s could not be sent (%s); closed", item.id, exc.message)
            await _settle(ctx, followup.undeliverable, item.id, blocked=False)
        except (TelegramRetryAfter, TelegramServerError) as exc:
            log.warning("follow-up %s: Telegram refused for now (%s); next scan", item.id, type(exc).__name__)
            await _settle(ctx, followup.release, item.id)
        except Exception:  # not known whether it arrived: it stays «sent», so it is never asked twice
            log.exception("follow-up %s: sending failed", item.id)
        else:
            log.info("follow-up %s sent", item.id)


async def _settle(ctx: JobContext, action, followup_id: int, **kwargs: bool) -> None:
    async with ctx.sessionmaker() as session:
        await action(session, followup_id, **kwargs)
        await session.commit()
