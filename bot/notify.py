"""Private messages to the coordinators (card applications, proposed offers): one rule for who they are."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.db.models import AidRequest, Event, EventRegistration, Family
from bot.i18n import locale_scope
from bot.services import aid, events, families
from bot.services.catalog import Catalog
from bot.services.staff import coordinator_ids
from bot.views import events as event_views
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


async def send_event_place(
    bot: Bot, chat_id: int, ev: Event, catalog: Catalog, locale: str, *, more: list[Event] | None = None
) -> None:
    """The place as a venue (a place of the directory) and the .ics file (of ``more`` sessions of the series when
    given); a failure is logged, not raised."""
    try:
        found = event_views.venue(ev, catalog, locale)
        if found is not None:
            lat, lon, title, address = found
            await bot.send_venue(chat_id, latitude=lat, longitude=lon, title=title, address=address)
        name, data = event_views.ics_file(more or [ev], catalog, locale)
        await bot.send_document(
            chat_id, BufferedInputFile(data, filename=name), caption=_("Add it to your calendar")
        )
    except TelegramAPIError as exc:
        log.info("event %s: the place was not sent to %s (%s)", ev.id, chat_id, exc)


async def tell_promoted(
    bot: Bot, session: AsyncSession, catalog: Catalog, reg: EventRegistration | None
) -> None:
    """The family promoted from the waiting list learns it has a seat, in its own language (after the commit); the
    claim makes it once, whether here or by the job (bot/jobs/events.py)."""
    if reg is None or not await events.claim_promotion(session, reg.id):
        return
    await session.commit()  # claimed: the job will not tell it again
    family: Family | None = await families.get(session, reg.family_id)
    ev = await events.get(session, reg.event_id)
    if family is None or ev is None or not family.is_active:
        return
    with locale_scope(get_i18n(), family.language):
        if family.discreet:  # neutral words, no place, no file
            await tell(bot, family.tg_user_id, *event_views.discreet_note("promoted", ev, reg.id, catalog))
            return
        await tell(
            bot,
            family.tg_user_id,
            event_views.promoted_text(ev, catalog, family.language),
            event_views.reminder_kb(reg.id),
        )
        await send_event_place(bot, family.tg_user_id, ev, catalog, family.language)
