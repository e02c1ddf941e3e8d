"""The family card desk's screens and steps for coordinators: the programme's figures, an application with its
document, the decision told to the family, partner organisations and their invitations, offers to review. The
routes that call them: handlers/coordinators/cards.py."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.markdown import html_decoration as hd

from bot.config import Settings
from bot.db.models import CardApplication, Partner, PartnerOffer
from bot.db.session import AsyncSession
from bot.db.statuses import ApplicationStatus, OfferStatus
from bot.i18n import locale_scope
from bot.middlewares.context import UserContext
from bot.services import card as card_service
from bot.services import card_partners, families
from bot.services.card import CardError
from bot.services.catalog import Catalog
from bot.views.callbacks import (
    CardAct,
    CardAction,
    CardDecision,
    CardDecisionAction,
    CoordCards,
    OfferMod,
    OfferModAction,
    PartnerAdm,
    PartnerAdmAction,
)
from bot.views.card import (
    category_names,
    offer_scope,
    offer_status_label,
    offer_text,
    region_name,
    send_card,
    when,
)
from bot.views.ui import Row, chunk, kb, show

log = logging.getLogger(__name__)


def home_kb(stats: card_partners.ProgrammeStats):
    return kb(
        [(_("Applications ({count})").format(count=stats.applications_waiting), CoordCards(to="apps"))],
        [(_("Offers to review ({count})").format(count=stats.offers_waiting), CoordCards(to="offers"))],
        [(_("Partners"), CoordCards(to="partners"))],
    )


async def home_text(session: AsyncSession, catalog: Catalog, stats: card_partners.ProgrammeStats) -> str:
    locale = get_i18n().current_locale
    lines = [_("<b>Family card</b>")]
    lines.append(_("Applications waiting: {count}").format(count=stats.applications_waiting))
    lines.append(_("Offers waiting for review: {count}").format(count=stats.offers_waiting))
    lines.append(_("Published offers: {count}").format(count=stats.offers_live))
    if stats.cards_by_region:
        lines.append("")
        lines.append(_("<b>Valid cards by region</b>"))
        lines += [
            f"{hd.quote(region_name(catalog, code, locale))}: {n}"
            for code, n in stats.cards_by_region.items()
        ]
    if stats.checks_by_partner:
        lines.append("")
        lines.append(_("<b>Checks and discounts given, last 30 days</b>"))
        lines += [
            _("{partner}: {checks} checks, {redeemed} discounts").format(
                partner=hd.quote(name), checks=checks, redeemed=redeemed
            )
            for name, (checks, redeemed) in stats.checks_by_partner.items()
        ]
    return "\n".join(lines)


# --- applications ---------------------------------------------------------------------------------------------------


def preset_reasons() -> list[str]:
    return [
        _("The document photo cannot be read. Please send a clearer photo."),
        _("The document does not confirm the family's status."),
        _("The card is issued to families with children or expecting a child."),
    ]


QUEUE_SHOWN = 10


def queue_lines(
    waiting: list[CardApplication], current: CardApplication, catalog: Catalog, locale: str
) -> list[str]:
    """The waiting applications (the oldest first) and who took each one; nothing about the families."""
    others = [a for a in waiting if a.id != current.id]
    if not others:
        return []
    lines = [_("<b>Also waiting</b>")]
    for a in others[:QUEUE_SHOWN]:
        who = (
            _("taken by {who}").format(who=hd.quote(a.taken_by_name or "—"))
            if a.taken_by is not None
            else _("free")
        )
        lines.append(f"№ {a.id} · {hd.quote(region_name(catalog, a.region, locale))} · {who}")
    if len(others) > QUEUE_SHOWN:
        lines.append(_("…and {count} more").format(count=len(others) - QUEUE_SHOWN))
    return lines


async def show_application(
    event: Message | CallbackQuery,
    session: AsyncSession,
    settings: Settings,
    catalog: Catalog,
    app: CardApplication | None,
    *,
    after: int | None = None,
    done: str | None = None,
    with_document: bool = True,
) -> None:
    """One application with its decision buttons; the oldest waiting one (after `after`) when not given."""
    waiting = await card_service.queue(session)
    if app is None:
        later = [a for a in waiting if after is None or a.id > after]
        app = (later or waiting or [None])[0]
    head = [done] if done else []
    back: Row = [(_("« Family card"), CoordCards(to="home"))]
    if app is None:
        await show(event, "\n\n".join([*head, _("No applications are waiting. Thank you!")]), kb(back))
        return
    rules = catalog.card
    locale = get_i18n().current_locale
    kind = _("renewal") if app.card_id else _("new card")
    lines = [
        _("<b>Card application № {number}</b> ({kind})").format(number=app.id, kind=kind),
        _("Family № {number}").format(number=app.family_id or "—"),
        _("Region: {region}").format(region=hd.quote(region_name(catalog, app.region, locale))),
        _("Category: {categories}").format(categories=category_names(rules, app.categories, locale)),
        _("Submitted: {date}").format(date=when(app.created_at, settings.tz, locale)),
    ]
    doc_line = len(lines)
    if app.document_file_id:
        lines.append(_("Document: the photo is above."))
    elif rules.region(app.region).document_required:
        lines.append(_("Document: missing."))
    else:
        lines.append(_("Document: not required in this region."))
    if app.status != ApplicationStatus.SUBMITTED:
        lines.append(_("Already decided: {status}.").format(status=app.status))
    elif app.taken_by_name:
        lines.append(_("Taken by: {who}").format(who=hd.quote(app.taken_by_name)))
    else:
        lines.append(_("Nobody has taken it yet."))
    lines.append(_("Waiting in the queue: {count}").format(count=len(waiting)))
    lines += queue_lines(waiting, app, catalog, locale)
    rows: list[Row] = []
    if app.status == ApplicationStatus.SUBMITTED:
        if app.taken_by is None:
            rows.append([(_("Take"), CardDecision(app=app.id, a=CardDecisionAction.TAKE))])
        rows.append(
            [
                (_("Approve"), CardDecision(app=app.id, a=CardDecisionAction.APPROVE)),
                (_("Reject"), CardDecision(app=app.id, a=CardDecisionAction.REJECT)),
            ]
        )
    if len(waiting) > 1:
        rows.append([(_("Next »"), CardDecision(app=app.id, a=CardDecisionAction.NEXT))])
    rows.append(back)
    if app.document_file_id and app.status == ApplicationStatus.SUBMITTED and with_document:
        chat_id = event.message.chat.id if isinstance(event, CallbackQuery) else event.chat.id
        try:
            await event.bot.send_photo(
                chat_id,
                app.document_file_id,
                caption=_("Document for application № {number}").format(number=app.id),
            )
        except TelegramAPIError as exc:
            log.info("document of application %s not shown: %s", app.id, exc)
            lines[doc_line] = _("Document: the photo could not be shown; ask the family to send it again.")
        if isinstance(event, CallbackQuery) and isinstance(event.message, Message):
            await event.message.answer("\n".join([*head, *lines]), reply_markup=kb(*rows))
            return
    await show(event, "\n".join([*head, *lines]), kb(*rows))


async def approve(
    call: CallbackQuery,
    app: CardApplication,
    ctx: UserContext,
    session: AsyncSession,
    settings: Settings,
    catalog: Catalog,
) -> None:
    rules = catalog.card
    try:
        card = await card_service.approve(session, app, rules, settings.tz, actor_tg_id=ctx.user.id)
    except CardError:
        await show_application(
            call, session, settings, catalog, None, done=_("This application is already decided.")
        )
        return
    family = await families.get(session, app.family_id)
    if family is not None:
        i18n = get_i18n()
        with locale_scope(i18n, family.language):
            note = _("Your application № {number} is approved. Here is your family card.").format(
                number=app.id
            )
            from bot.views.card import card_kb

            markup = card_kb(None, card, rules, renewal_pending=False)
            try:
                await send_card(
                    call.bot,
                    family.tg_user_id,
                    card,
                    rules=rules,
                    catalog=catalog,
                    settings=settings,
                    locale=family.language,
                    is_discreet=family.discreet,
                    markup=markup,
                    note=note,
                )
            except TelegramAPIError as exc:
                log.info("family of application %s not told: %s", app.id, exc)
    await show_application(
        call,
        session,
        settings,
        catalog,
        None,
        done=_("Application № {number} approved: the card is valid until {date}").format(
            number=app.id, date=when(card.valid_until, settings.tz, get_i18n().current_locale)
        ),
    )


async def reject(
    event: Message | CallbackQuery,
    app: CardApplication,
    reason: str,
    ctx: UserContext,
    session: AsyncSession,
    settings: Settings,
    catalog: Catalog,
) -> None:
    try:
        await card_service.reject(session, app, reason, actor_tg_id=ctx.user.id)
    except CardError:
        await show_application(
            event, session, settings, catalog, None, done=_("This application is already decided.")
        )
        return
    family = await families.get(session, app.family_id)
    if family is not None:
        with locale_scope(get_i18n(), family.language):
            text = _(
                "Your family card application № {number} is not approved.\nReason: {reason}\n\n"
                "You can correct it and apply again."
            ).format(number=app.id, reason=hd.quote(app.reason or ""))
            markup = kb([(_("Family card"), CardAct(a=CardAction.HOME))])
        try:
            await event.bot.send_message(family.tg_user_id, text, reply_markup=markup)
        except TelegramAPIError as exc:
            log.info("family of application %s not told: %s", app.id, exc)
    await show_application(
        event,
        session,
        settings,
        catalog,
        None,
        done=_("Application № {number} is not approved; the family is told.").format(number=app.id),
    )


# --- partners -------------------------------------------------------------------------------------------------------


async def partners_screen(session: AsyncSession):
    partners = await card_partners.partners(session)
    lines = [_("<b>Partners of the card programme</b>")]
    if not partners:
        lines.append(_("No partners yet. Add the first one: /partner_new and the organisation's name."))
    buttons = []
    for p in partners:
        members = await card_partners.members(session, p.id)
        state = "" if p.active else " · " + _("disabled")
        lines.append(_("{name}: staff {count}").format(name=hd.quote(p.name), count=len(members)) + state)
        buttons.append((p.name[:30], PartnerAdm(p=p.id, a=PartnerAdmAction.OPEN)))
    return "\n".join(lines), kb(
        *chunk(buttons, 2),
        [(_("New partner"), PartnerAdm(p=0, a=PartnerAdmAction.NEW))],
        [(_("« Family card"), CoordCards(to="home"))],
    )


async def partner_screen(session: AsyncSession, partner: Partner):
    members = await card_partners.members(session, partner.id)
    offers = await card_partners.partner_offers(session, partner.id)
    live = sum(card_partners.offer_status(o) == "live" for o in offers)
    lines = [
        f"<b>{hd.quote(partner.name)}</b>",
        _("Status: active") if partner.active else _("Status: disabled"),
        _("Published offers: {count}").format(count=live),
        _("Staff:"),
    ]
    lines += [f" · {hd.quote(m.name or str(m.tg_user_id))}" for m in members] or [" —"]
    rows = [[(_("Invite a staff member"), PartnerAdm(p=partner.id, a=PartnerAdmAction.INVITE))]]
    rows += [
        [
            (
                _("Remove {name}").format(name=(m.name or str(m.tg_user_id))[:24]),
                PartnerAdm(p=partner.id, a=PartnerAdmAction.REMOVE, m=m.id),
            )
        ]
        for m in members
    ]
    rows.append(
        [(_("Disable"), PartnerAdm(p=partner.id, a=PartnerAdmAction.DISABLE))]
        if partner.active
        else [(_("Enable"), PartnerAdm(p=partner.id, a=PartnerAdmAction.ENABLE))]
    )
    rows.append([(_("« Partners"), PartnerAdm(p=0, a=PartnerAdmAction.LIST))])
    return "\n".join(lines), kb(*rows)


async def create_partner(message: Message, name: str, ctx: UserContext, session: AsyncSession) -> None:
    try:
        partner = await card_partners.create_partner(session, name, actor_tg_id=ctx.user.id)
    except CardError:
        await message.answer(_("Send the partner organisation's name, as families know it."))
        return
    await message.answer(_("Partner «{name}» is registered.").format(name=hd.quote(partner.name)))
    await send_invite(message, message.bot, partner, ctx, session)


async def send_invite(message, bot: Bot, partner: Partner, ctx: UserContext, session: AsyncSession) -> None:
    token = await card_partners.new_invite(session, partner, actor_tg_id=ctx.user.id)
    me = await bot.me()
    link = f"https://t.me/{me.username}?start={card_partners.INVITE_PREFIX}{token}"
    text = _(
        "Invitation for a staff member of «{name}»:\n{link}\n\n"
        "Send it to the person who will check cards. It works once, for {days} day. "
        "Make a new one for every staff member.",
        "Invitation for a staff member of «{name}»:\n{link}\n\n"
        "Send it to the person who will check cards. It works once, for {days} days. "
        "Make a new one for every staff member.",
        card_partners.INVITE_DAYS,
    ).format(name=hd.quote(partner.name), link=hd.quote(link), days=card_partners.INVITE_DAYS)
    await bot.send_message(
        message.chat.id,
        text,
        reply_markup=kb([(_("« Partner"), PartnerAdm(p=partner.id, a=PartnerAdmAction.OPEN))]),
    )


# --- offers ---------------------------------------------------------------------------------------------------------


async def show_offer(
    event: Message | CallbackQuery,
    session: AsyncSession,
    settings: Settings,
    catalog: Catalog,
    offer: PartnerOffer | None,
    *,
    after: int | None = None,
    done: str | None = None,
) -> None:
    waiting = await card_partners.moderation_queue(session)
    if offer is None:
        later = [o for o in waiting if after is None or o.id > after]
        offer = (later or waiting or [None])[0]
    head = [done] if done else []
    back: Row = [(_("« Family card"), CoordCards(to="home"))]
    if offer is None:
        await show(event, "\n\n".join([*head, _("No offers are waiting for review.")]), kb(back))
        return
    rules = catalog.card
    locale = get_i18n().current_locale
    partner = await card_partners.partner(session, offer.partner_id)
    parts = [
        *head,
        _("<b>Offer № {number}</b> · {status}").format(
            number=offer.id, status=offer_status_label(card_partners.offer_status(offer))
        ),
        offer_text(offer, partner, rules, catalog, locale, settings.tz),
        offer_scope(offer, rules, catalog, locale),
        _("Waiting for review: {count}").format(count=len(waiting)),
    ]
    rows: list[Row] = []
    if offer.status == OfferStatus.PROPOSED:
        rows.append(
            [
                (_("Publish"), OfferMod(offer=offer.id, a=OfferModAction.APPROVE)),
                (_("Reject"), OfferMod(offer=offer.id, a=OfferModAction.REJECT)),
            ]
        )
    if len(waiting) > 1:
        rows.append([(_("Next »"), OfferMod(offer=offer.id, a=OfferModAction.NEXT))])
    rows.append(back)
    await show(event, "\n\n".join(parts)[:4000], kb(*rows))


async def tell_partner(
    bot: Bot, session: AsyncSession, settings: Settings, offer: PartnerOffer, text_fn
) -> None:
    with locale_scope(get_i18n(), settings.default_locale):
        text = text_fn()
    for member in await card_partners.members(session, offer.partner_id):
        try:
            await bot.send_message(member.tg_user_id, text)
        except TelegramAPIError as exc:
            log.info("partner member %s not told: %s", member.id, exc)
