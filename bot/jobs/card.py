"""Scheduler job: write the «expired» status of offers past their validity, and tell card holders who opted in
about new offers that match their region and category (each notice claimed and committed before it is sent, so
a restart never sends it twice)."""

from __future__ import annotations

import asyncio
import logging

from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError
from aiogram.utils.i18n import gettext as _

from bot.db.models import Partner, PartnerOffer
from bot.i18n import locale_scope
from bot.scheduler import JobContext, job
from bot.services import card_partners
from bot.views.callbacks import CardAct, CardAction
from bot.views.card import offer_text
from bot.views.ui import kb

log = logging.getLogger(__name__)


@job("card_offers", lambda s: s.card_scan_seconds)
async def card_offers(ctx: JobContext) -> None:

    async with ctx.sessionmaker() as session:
        expired = await card_partners.expire_offers(session)
        notices = await card_partners.claim_notices(session)
        offers = {}
        for n in notices:
            if n.offer_id not in offers:
                offer = await session.get(PartnerOffer, n.offer_id)
                offers[n.offer_id] = (offer, await session.get(Partner, offer.partner_id))
        await session.commit()
    if expired:
        log.info("%d offer(s) expired", expired)
    rules = ctx.catalog.card
    pause = 1 / max(1.0, ctx.settings.private_messages_per_second * 20)
    for n in notices:
        offer, partner = offers[n.offer_id]
        with locale_scope(ctx.i18n, n.language):
            text = (
                _("<b>A new offer for your family card</b>")
                + "\n\n"
                + offer_text(offer, partner, rules, ctx.catalog, n.language, ctx.settings.tz)
            )
            markup = kb([(_("All offers"), CardAct(a=CardAction.OFFERS))])
        try:
            await ctx.bot.send_message(n.tg_user_id, text, reply_markup=markup)
        except TelegramForbiddenError:
            log.info("offer notice %s: the family blocked the bot", n.offer_id)
        except TelegramAPIError as exc:
            log.warning("offer notice for offer %s not sent: %s", n.offer_id, exc)
        await asyncio.sleep(pause)
    if notices:
        log.info("sent %d new-offer notice(s)", len(notices))
