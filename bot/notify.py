"""Private messages to the coordinators (card applications, proposed offers): one rule for who they are."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import get_i18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.db.models import AidRequest
from bot.i18n import locale_scope
from bot.services import aid, families
from bot.services.staff import coordinator_ids
from bot.views.aid import card_kb, status_note
from bot.views.volunteers import erased_note

log = logging.getLogger(__name__)


async def notify_coordinators(
    bot: Bot, session: AsyncSession, settings: Settings, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """A new message to every coordinator's private chat; one who never started the bot is skipped."""
    for chat_id in await coordinator_ids(session, settings):
        try:
            await bot.send_message(chat_id, text, reply_markup=markup)
        except TelegramAPIError as exc:
            log.info("coordinator %s not notified: %s", chat_id, exc)


async def tell(bot: Bot, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None) -> bool:
    """A new private message to one person (a family, a volunteer); one who blocked the bot is logged, not raised."""
    try:
        await bot.send_message(chat_id, text, reply_markup=markup)
    except TelegramAPIError as exc:
        log.info("%s not told: %s", chat_id, exc)
        return False
    return True


async def tell_family_of_aid(bot: Bot, session: AsyncSession, req: AidRequest) -> None:
    """A family learns its material-help request's new status, in its own language (call after the commit).
    Delivered, the notice is marked told; one that does not go out now is sent by the job bot/jobs/aid.py."""
    family = await families.get(session, req.family_id) if req.family_id else None
    if family is None or not family.is_active:
        return
    seq = req.notice_seq
    with locale_scope(get_i18n(), family.language):
        text, markup = status_note(req)
    try:
        await bot.send_message(family.tg_user_id, text, reply_markup=markup)
    except TelegramForbiddenError as exc:  # blocked: nobody to tell, now or later
        log.info("aid %s: family not told (%s)", req.id, exc)
    except TelegramAPIError as exc:
        log.warning("aid %s: family not told now (%s); the notices job retries", req.id, exc)
        return
    await aid.mark_told(session, req.id, seq)
    await session.commit()


async def tell_aid_taker(
    bot: Bot, session: AsyncSession, settings: Settings, req: AidRequest, text: Callable[[], str]
) -> None:
    """The coordinator who took a material-help request (or, before anyone took it, every coordinator) reads
    ``text()`` in the service's language, with the request's card buttons."""
    with locale_scope(get_i18n(), settings.default_locale):
        body, markup = text(), card_kb(req)
    for chat_id in [req.taken_by] if req.taken_by else await coordinator_ids(session, settings):
        await tell(bot, chat_id, body, markup)


async def tell_of_erased_volunteer(
    bot: Bot, session: AsyncSession, settings: Settings, vol_id: int, still_open: list[tuple[int, str, int]]
) -> None:
    """A volunteer erased their data: whoever answers for each unfinished task learns it has no volunteer now
    (a material-help request's coordinator, else every coordinator). Call after the commit."""
    for task_id, kind, target in still_open:
        req = await aid.get(session, target) if kind == "aid" else None
        if req is not None:
            note = partial(erased_note, vol_id, task_id, kind, target)
            await tell_aid_taker(bot, session, settings, req, note)
            continue
        with locale_scope(get_i18n(), settings.default_locale):
            text = erased_note(vol_id, task_id, kind, target)
        await notify_coordinators(bot, session, settings, text)
