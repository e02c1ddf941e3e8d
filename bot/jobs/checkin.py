"""Scheduler job: the gentle reminder to repeat «Как дела у семьи?», for families who switched it on.

Each scan claims the due reminders (moved to their next date and committed before anything goes out, so a restart
or a second instance never sends one twice), then sends them in each family's language. A blocked bot switches
the reminder off and marks the family inactive; a passing Telegram failure puts it back for the next scan.
Like the support-measure follow-up (bot/jobs/followup.py) it is a message to a family outside any request, so it
goes straight through the bot's paced session rather than the relay outbox, which carries a request's messages.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
)

from bot.scheduler import JobContext, job
from bot.services import checkin

log = logging.getLogger(__name__)


@job("wellbeing_reminders", lambda s: s.wellbeing_scan_seconds)
async def send_reminders(ctx: JobContext) -> None:
    from bot.views.checkin import reminder

    async with ctx.sessionmaker() as session:
        due = await checkin.claim_due(session, timedelta(days=ctx.settings.wellbeing_remind_days))
        await session.commit()
    for item in due:
        try:
            with ctx.i18n.context(), ctx.i18n.use_locale(item.language):
                text, markup = reminder(item)
            await ctx.bot.send_message(item.tg_user_id, text, reply_markup=markup)
        except TelegramForbiddenError:
            log.info("wellbeing reminder %s: the family blocked the bot; switched off", item.id)
            await _settle(ctx, checkin.undeliverable, item.id, blocked=True)
        except TelegramBadRequest as exc:
            log.warning("wellbeing reminder %s could not be sent (%s); switched off", item.id, exc.message)
            await _settle(ctx, checkin.undeliverable, item.id, blocked=False)
        except (TelegramRetryAfter, TelegramServerError) as exc:
            log.warning(
                "wellbeing reminder %s: Telegram refused for now (%s); next scan", item.id, type(exc).__name__
            )
            await _settle(ctx, checkin.release, item.id)
        except Exception:  # not known whether it arrived: the next one is months away, so nothing is repeated
            log.exception("wellbeing reminder %s: sending failed", item.id)
        else:
            log.info("wellbeing reminder %s sent", item.id)


async def _settle(ctx: JobContext, action, reminder_id: int, **kwargs: bool) -> None:
    async with ctx.sessionmaker() as session:
        await action(session, reminder_id, **kwargs)
        await session.commit()
