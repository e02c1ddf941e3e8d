"""The social family card: texts shared by families, partners, coordinators and the offers job."""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiogram.types import BufferedInputFile
from aiogram.utils.i18n import gettext as _
from aiogram.utils.markdown import html_decoration as hd

from bot.config import Settings
from bot.db.models import FamilyCard, Partner, PartnerOffer
from bot.db.statuses import OfferStatus
from bot.middlewares.context import UserContext
from bot.services import card as card_service
from bot.services.card_rules import CardRules
from bot.services.catalog import Catalog
from bot.services.measures.formatting import format_date
from bot.views.callbacks import CardAct, CardAction
from bot.views.family import family_kb

log = logging.getLogger(__name__)


def when(moment: datetime, tz: ZoneInfo, locale: str) -> str:
    return format_date(card_service.local_date(moment, tz), locale)


def category_names(rules: CardRules, categories: list[str], locale: str) -> str:
    return ", ".join(rules.category_name(c, locale) for c in categories) or "—"


def region_name(catalog: Catalog, code: str | None, locale: str) -> str:
    region = catalog.region(code)
    return region.name.get(locale) if region else (code or "—")


def card_caption(
    card: FamilyCard, rules: CardRules, catalog: Catalog, locale: str, tz: ZoneInfo, *, discreet: bool
) -> str:
    status = card_service.card_status(card)
    until = when(card.valid_until, tz, locale)
    if discreet:
        head = _("Discount card")
    else:
        head = _("<b>Family card</b>")
    lines = [
        head,
        _("Number: <b>{number}</b>").format(number=card_service.format_number(card.number)),
        _("Category: {category}").format(category=category_names(rules, card.categories[:1], locale)),
        _("Region: {region}").format(region=hd.quote(region_name(catalog, card.region, locale))),
    ]
    if status == "active":
        lines.append(_("Valid until {date}").format(date=until))
        lines.append("")
        lines.append(
            _(
                "At a partner, show this QR code: staff scan it with the phone camera. "
                "Telling them the card number works too."
            )
        )
    elif status == "expired":
        lines.append(
            _("<b>The card expired on {date}.</b> Renew it to use the discounts again.").format(date=until)
        )
    else:
        lines.append(_("<b>The card is no longer valid.</b>"))
    return "\n".join(lines)


def offer_text(
    offer: PartnerOffer,
    partner: Partner | None,
    rules: CardRules,
    catalog: Catalog,
    locale: str,
    tz: ZoneInfo,
) -> str:
    head = f"<b>{hd.quote(partner.name)}</b> · " if partner else ""
    lines = [head + f"<b>{hd.quote(offer.discount)}</b>", hd.quote(offer.text)]
    if offer.conditions:
        lines.append(_("Conditions: {text}").format(text=hd.quote(offer.conditions)))
    where = []
    if offer.address:
        where.append(hd.quote(offer.address))
    if offer.online:
        where.append(_("online"))
    if where:
        lines.append(_("Where: {where}").format(where="; ".join(where)))
    lines.append(_("Valid until {date}").format(date=when(offer.valid_until, tz, locale)))
    return "\n".join(lines)


def offer_scope(offer: PartnerOffer, rules: CardRules, catalog: Catalog, locale: str) -> str:
    regions = (
        ", ".join(region_name(catalog, r, locale) for r in offer.regions)
        if offer.regions
        else _("all regions")
    )
    cats = (
        category_names(rules, offer.categories, locale) if offer.categories else _("every family with a card")
    )
    return "\n".join(
        [
            _("Kind: {kind}").format(kind=rules.kind_name(offer.kind, locale)),
            _("Regions: {regions}").format(regions=hd.quote(regions)),
            _("For: {categories}").format(categories=cats),
        ]
    )


def offer_status_label(status: str) -> str:
    labels: dict[str, str] = {
        OfferStatus.PROPOSED: _("waiting for review"),
        OfferStatus.LIVE: _("published"),
        OfferStatus.REJECTED: _("not approved"),
        OfferStatus.EXPIRED: _("expired"),
        OfferStatus.WITHDRAWN: _("withdrawn"),
    }
    return labels.get(status, status)


def short(text: str, limit: int = 28) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def card_kb(ctx: UserContext | None, card: FamilyCard, rules: CardRules, *, renewal_pending: bool):
    rows = []
    status = card_service.card_status(card)
    if status == "active":
        rows.append([(_("Offers"), CardAct(a=CardAction.OFFERS))])
        label = _("New offers: notify ✓") if card.notify_offers else _("Notify me of new offers")
        rows.append(
            [(label, CardAct(a=CardAction.NOTIFY_OFF if card.notify_offers else CardAction.NOTIFY_ON))]
        )
    if card_service.can_renew(card, rules) and not renewal_pending:
        rows.append([(_("Renew the card"), CardAct(a=CardAction.APPLY))])
    return family_kb(ctx, *rows)


async def send_card(
    bot: Bot,
    chat_id: int,
    card: FamilyCard,
    *,
    rules: CardRules,
    catalog: Catalog,
    settings: Settings,
    locale: str,
    is_discreet: bool,
    markup=None,
    note: str | None = None,
) -> None:
    """The card as a new photo message: its QR code (a deep link partners scan) and the details."""
    caption = card_caption(card, rules, catalog, locale, settings.tz, discreet=is_discreet)
    if note:
        caption = note + "\n\n" + caption
    if card.qr_file_id:
        try:
            await bot.send_photo(chat_id, card.qr_file_id, caption=caption, reply_markup=markup)
            return
        except Exception as exc:  # the stored file id no longer works: draw the code again
            log.info("card %s: stored QR not usable (%s)", card.id, exc)
    me = await bot.me()
    png = card_service.qr_png(card_service.deep_link(me.username, card.number))
    sent = await bot.send_photo(
        chat_id, BufferedInputFile(png, filename="card.png"), caption=caption, reply_markup=markup
    )
    if sent.photo:
        card.qr_file_id = sent.photo[-1].file_id
