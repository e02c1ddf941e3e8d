"""Coordinators, in private chat: family card applications, partner organisations and offer moderation.

Every action checks the coordinator role again (`ctx.is_coordinator`); everything decided is audited by the
services. Families are told of a decision in their own language, partner staff in the service's language.
"""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.markdown import html_decoration as hd
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.db.models import CardApplication, Family, Partner, PartnerMember, PartnerOffer
from bot.middlewares.context import UserContext
from bot.services import card as card_service
from bot.services import card_partners, card_rules
from bot.services.card import CardError
from bot.services.catalog import Catalog
from handlers.cardui import (
    CardAct,
    CardDecision,
    CoordCards,
    OfferMod,
    PartnerAdm,
    category_names,
    offer_scope,
    offer_status_label,
    offer_text,
    region_name,
    when,
)
from handlers.coordinators.broadcast import role_of
from handlers.family.card import send_card
from handlers.ui import chunk, kb, show

log = logging.getLogger(__name__)


class CoordFlow(StatesGroup):
    app_reason = State()
    offer_reason = State()
    partner_name = State()


def refusal() -> str:
    return _("This is for coordinators of the family card programme.")


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


def get_router() -> Router:
    router = Router(name="coordinators.cards")
    router.message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")

    # --- the programme's screen ---------------------------------------------------------------------------------

    @router.message(Command("cards"))
    async def cards_cmd(
        message: Message, state: FSMContext, ctx: UserContext, session: AsyncSession, catalog: Catalog
    ) -> None:
        if not (ctx and ctx.is_coordinator):
            await message.answer(refusal())
            return
        await state.set_state(None)
        stats = await card_partners.programme_stats(session)
        await message.answer(await home_text(session, catalog, stats), reply_markup=home_kb(stats))

    @router.callback_query(CoordCards.filter())
    async def nav(
        call: CallbackQuery,
        callback_data: CoordCards,
        state: FSMContext,
        ctx: UserContext,
        session: AsyncSession,
        catalog: Catalog,
        settings: Settings,
    ) -> None:
        if not (ctx and ctx.is_coordinator):
            await call.answer(refusal(), show_alert=True)
            return
        await state.set_state(None)
        await call.answer()
        if callback_data.to == "apps":
            await show_application(call, session, settings, catalog, None)
        elif callback_data.to == "offers":
            await show_offer(call, session, settings, catalog, None)
        elif callback_data.to == "partners":
            await show(call, *(await partners_screen(session)))
        else:
            stats = await card_partners.programme_stats(session)
            await show(call, await home_text(session, catalog, stats), home_kb(stats))

    # --- applications ---------------------------------------------------------------------------------------------

    @router.callback_query(CardDecision.filter())
    async def application_action(
        call: CallbackQuery,
        callback_data: CardDecision,
        state: FSMContext,
        ctx: UserContext,
        session: AsyncSession,
        settings: Settings,
        catalog: Catalog,
    ) -> None:
        if not (ctx and ctx.is_coordinator):
            await call.answer(refusal(), show_alert=True)
            return
        app = await session.get(CardApplication, callback_data.app)
        action = callback_data.a
        if action == "next":
            await call.answer()
            await show_application(call, session, settings, catalog, None, after=callback_data.app)
            return
        if app is None or (action != "open" and app.status != "submitted"):
            await call.answer(_("This application is already decided."), show_alert=True)
            await show_application(call, session, settings, catalog, None)
            return
        if action == "open":
            await call.answer()
            await show_application(call, session, settings, catalog, app)
        elif action == "take":
            name = (ctx.staff.name if ctx.staff and ctx.staff.name else None) or ctx.user.full_name
            taken = await card_service.take(
                session, app.id, actor_tg_id=ctx.user.id, actor_name=name, actor_role=role_of(ctx)
            )
            if not taken.ok:
                if taken.app is not None and taken.app.status == "submitted":
                    who = taken.app.taken_by_name or "—"
                    await call.answer(_("Already taken by {who}.").format(who=who), show_alert=True)
                else:
                    await call.answer(_("This application is already decided."), show_alert=True)
                await show_application(call, session, settings, catalog, taken.app, with_document=False)
                return
            await call.answer(_("You took application № {number}.").format(number=app.id))
            await show_application(call, session, settings, catalog, taken.app, with_document=False)
        elif action == "approve":
            await call.answer()
            await approve(call, app, ctx, session, settings, catalog)
        elif action == "reject":
            await call.answer()
            await show(
                call,
                _("Why is application № {number} not approved? The family will read the reason.").format(
                    number=app.id
                ),
                kb(
                    *[
                        [(text, CardDecision(app=app.id, a=f"r{i}"))]
                        for i, text in enumerate(preset_reasons())
                    ],
                    [(_("Write another reason"), CardDecision(app=app.id, a="other"))],
                    [(_("« Back"), CardDecision(app=app.id, a="open"))],
                ),
            )
        elif action.startswith("r") and action[1:].isdigit() and int(action[1:]) < len(preset_reasons()):
            await call.answer()
            await reject(call, app, preset_reasons()[int(action[1:])], ctx, session, settings, catalog)
        elif action == "other":
            await call.answer()
            await state.set_state(CoordFlow.app_reason)
            await state.update_data(card_app=app.id)
            await show(
                call,
                _("Write the reason in one or two sentences, plainly and kindly: the family will read it."),
                kb([(_("« Back"), CardDecision(app=app.id, a="open"))]),
            )
        else:
            await call.answer(_("This button no longer works."), show_alert=True)

    @router.message(CoordFlow.app_reason, F.text)
    async def app_reason(
        message: Message,
        state: FSMContext,
        ctx: UserContext,
        session: AsyncSession,
        settings: Settings,
        catalog: Catalog,
    ) -> None:
        data = await state.get_data()
        await state.set_state(None)
        if not (ctx and ctx.is_coordinator):
            await message.answer(refusal())
            return
        app = await session.get(CardApplication, data.get("card_app") or 0)
        if app is None or app.status != "submitted":
            await message.answer(_("This application is already decided."))
            return
        await reject(message, app, message.text, ctx, session, settings, catalog)

    # --- partners -------------------------------------------------------------------------------------------------

    @router.message(Command("partner_new"))
    async def partner_new_cmd(
        message: Message, command: CommandObject, state: FSMContext, ctx: UserContext, session: AsyncSession
    ) -> None:
        if not (ctx and ctx.is_coordinator):
            await message.answer(refusal())
            return
        if not command.args:
            await state.set_state(CoordFlow.partner_name)
            await message.answer(_("Send the partner organisation's name, as families know it."))
            return
        await state.set_state(None)
        await create_partner(message, command.args, ctx, session)

    @router.message(CoordFlow.partner_name, F.text)
    async def partner_name(
        message: Message, state: FSMContext, ctx: UserContext, session: AsyncSession
    ) -> None:
        await state.set_state(None)
        if not (ctx and ctx.is_coordinator):
            await message.answer(refusal())
            return
        await create_partner(message, message.text, ctx, session)

    @router.callback_query(PartnerAdm.filter())
    async def partner_action(
        call: CallbackQuery,
        callback_data: PartnerAdm,
        state: FSMContext,
        ctx: UserContext,
        session: AsyncSession,
    ) -> None:
        if not (ctx and ctx.is_coordinator):
            await call.answer(refusal(), show_alert=True)
            return
        if callback_data.a == "new":
            await call.answer()
            await state.set_state(CoordFlow.partner_name)
            await show(call, _("Send the partner organisation's name, as families know it."), None)
            return
        if callback_data.a == "list":
            await call.answer()
            await show(call, *(await partners_screen(session)))
            return
        partner = await session.get(Partner, callback_data.p)
        if partner is None:
            await call.answer(_("This button no longer works."), show_alert=True)
            return
        if callback_data.a == "invite":
            await call.answer()
            await send_invite(call.message, call.bot, partner, ctx, session)
            return
        if callback_data.a in ("disable", "enable"):
            await card_partners.set_partner_active(
                session, partner, callback_data.a == "enable", actor_tg_id=ctx.user.id
            )
            await call.answer(_("Saved"))
        elif callback_data.a == "remove":
            member = await session.get(PartnerMember, callback_data.m)
            if member is None or member.partner_id != partner.id or not member.active:
                await call.answer(_("This button no longer works."), show_alert=True)
                return
            await card_partners.remove_member(session, member, actor_tg_id=ctx.user.id)
            await call.answer(_("The staff member no longer has access."))
        else:
            await call.answer()
        await show(call, *(await partner_screen(session, partner)))

    # --- offers ---------------------------------------------------------------------------------------------------

    @router.callback_query(OfferMod.filter())
    async def offer_action(
        call: CallbackQuery,
        callback_data: OfferMod,
        state: FSMContext,
        ctx: UserContext,
        session: AsyncSession,
        settings: Settings,
        catalog: Catalog,
    ) -> None:
        if not (ctx and ctx.is_coordinator):
            await call.answer(refusal(), show_alert=True)
            return
        offer = await session.get(PartnerOffer, callback_data.offer)
        if callback_data.a == "next":
            await call.answer()
            await show_offer(call, session, settings, catalog, None, after=callback_data.offer)
            return
        if offer is None or (callback_data.a != "open" and offer.status != "proposed"):
            await call.answer(_("This offer is already decided."), show_alert=True)
            await show_offer(call, session, settings, catalog, None)
            return
        if callback_data.a == "open":
            await call.answer()
            await show_offer(call, session, settings, catalog, offer)
        elif callback_data.a == "approve":
            try:
                await card_partners.decide_offer(session, offer, approve=True, actor_tg_id=ctx.user.id)
            except CardError:
                await call.answer(
                    _("The offer's validity has already ended: it cannot be published."), show_alert=True
                )
                return
            await call.answer(_("Published."))
            await tell_partner(
                call.bot,
                session,
                settings,
                offer,
                lambda: _("Your offer № {number} is published: families see it in the bot now.").format(
                    number=offer.id
                ),
            )
            await show_offer(
                call,
                session,
                settings,
                catalog,
                None,
                done=_("Offer № {number} is published.").format(number=offer.id),
            )
        elif callback_data.a == "reject":
            await call.answer()
            await state.set_state(CoordFlow.offer_reason)
            await state.update_data(card_offer=offer.id)
            await show(
                call,
                _("Write to the partner why offer № {number} is not published and what to change.").format(
                    number=offer.id
                ),
                kb([(_("« Back"), OfferMod(offer=offer.id, a="open"))]),
            )
        else:
            await call.answer(_("This button no longer works."), show_alert=True)

    @router.message(CoordFlow.offer_reason, F.text)
    async def offer_reason(
        message: Message,
        state: FSMContext,
        ctx: UserContext,
        session: AsyncSession,
        settings: Settings,
        catalog: Catalog,
    ) -> None:
        data = await state.get_data()
        await state.set_state(None)
        if not (ctx and ctx.is_coordinator):
            await message.answer(refusal())
            return
        offer = await session.get(PartnerOffer, data.get("card_offer") or 0)
        if offer is None or offer.status != "proposed":
            await message.answer(_("This offer is already decided."))
            return
        await card_partners.decide_offer(
            session, offer, approve=False, actor_tg_id=ctx.user.id, reason=message.text
        )
        await tell_partner(
            message.bot,
            session,
            settings,
            offer,
            lambda: _(
                "Your offer № {number} is not published. Reason: {reason}\n\nYou can propose a corrected one."
            ).format(number=offer.id, reason=hd.quote(offer.reason or "")),
        )
        await show_offer(
            message,
            session,
            settings,
            catalog,
            None,
            done=_("Offer № {number} is not published; the partner is told.").format(number=offer.id),
        )

    return router


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
    back = [(_("« Family card"), CoordCards(to="home"))]
    if app is None:
        await show(event, "\n\n".join([*head, _("No applications are waiting. Thank you!")]), kb(back))
        return
    rules = card_rules.load(settings.data_dir)
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
    if app.status != "submitted":
        lines.append(_("Already decided: {status}.").format(status=app.status))
    elif app.taken_by_name:
        lines.append(_("Taken by: {who}").format(who=hd.quote(app.taken_by_name)))
    else:
        lines.append(_("Nobody has taken it yet."))
    lines.append(_("Waiting in the queue: {count}").format(count=len(waiting)))
    lines += queue_lines(waiting, app, catalog, locale)
    rows = []
    if app.status == "submitted":
        if app.taken_by is None:
            rows.append([(_("Take"), CardDecision(app=app.id, a="take"))])
        rows.append(
            [
                (_("Approve"), CardDecision(app=app.id, a="approve")),
                (_("Reject"), CardDecision(app=app.id, a="reject")),
            ]
        )
    if len(waiting) > 1:
        rows.append([(_("Next »"), CardDecision(app=app.id, a="next"))])
    rows.append(back)
    if app.document_file_id and app.status == "submitted" and with_document:
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
    rules = card_rules.load(settings.data_dir)
    try:
        card = await card_service.approve(session, app, rules, settings.tz, actor_tg_id=ctx.user.id)
    except CardError:
        await show_application(
            call, session, settings, catalog, None, done=_("This application is already decided.")
        )
        return
    family = await session.get(Family, app.family_id)
    if family is not None:
        i18n = get_i18n()
        with i18n.use_locale(family.language):
            note = _("Your application № {number} is approved. Here is your family card.").format(
                number=app.id
            )
            from handlers.family.card import card_kb

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
    family = await session.get(Family, app.family_id) if app.family_id else None
    if family is not None:
        with get_i18n().use_locale(family.language):
            text = _(
                "Your family card application № {number} is not approved.\nReason: {reason}\n\n"
                "You can correct it and apply again."
            ).format(number=app.id, reason=hd.quote(app.reason or ""))
            markup = kb([(_("Family card"), CardAct(a="home"))])
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
        buttons.append((p.name[:30], PartnerAdm(p=p.id, a="open")))
    return "\n".join(lines), kb(
        *chunk(buttons, 2),
        [(_("New partner"), PartnerAdm(p=0, a="new"))],
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
    rows = [[(_("Invite a staff member"), PartnerAdm(p=partner.id, a="invite"))]]
    rows += [
        [
            (
                _("Remove {name}").format(name=(m.name or str(m.tg_user_id))[:24]),
                PartnerAdm(p=partner.id, a="remove", m=m.id),
            )
        ]
        for m in members
    ]
    rows.append(
        [(_("Disable"), PartnerAdm(p=partner.id, a="disable"))]
        if partner.active
        else [(_("Enable"), PartnerAdm(p=partner.id, a="enable"))]
    )
    rows.append([(_("« Partners"), PartnerAdm(p=0, a="list"))])
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
        message.chat.id, text, reply_markup=kb([(_("« Partner"), PartnerAdm(p=partner.id, a="open"))])
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
    back = [(_("« Family card"), CoordCards(to="home"))]
    if offer is None:
        await show(event, "\n\n".join([*head, _("No offers are waiting for review.")]), kb(back))
        return
    rules = card_rules.load(settings.data_dir)
    locale = get_i18n().current_locale
    partner = await session.get(Partner, offer.partner_id)
    parts = [
        *head,
        _("<b>Offer № {number}</b> · {status}").format(
            number=offer.id, status=offer_status_label(card_partners.offer_status(offer))
        ),
        offer_text(offer, partner, rules, catalog, locale, settings.tz),
        offer_scope(offer, rules, catalog, locale),
        _("Waiting for review: {count}").format(count=len(waiting)),
    ]
    rows = []
    if offer.status == "proposed":
        rows.append(
            [
                (_("Publish"), OfferMod(offer=offer.id, a="approve")),
                (_("Reject"), OfferMod(offer=offer.id, a="reject")),
            ]
        )
    if len(waiting) > 1:
        rows.append([(_("Next »"), OfferMod(offer=offer.id, a="next"))])
    rows.append(back)
    await show(event, "\n\n".join(parts)[:4000], kb(*rows))


async def tell_partner(
    bot: Bot, session: AsyncSession, settings: Settings, offer: PartnerOffer, text_fn
) -> None:
    with get_i18n().use_locale(settings.default_locale):
        text = text_fn()
    for member in await card_partners.members(session, offer.partner_id):
        try:
            await bot.send_message(member.tg_user_id, text)
        except TelegramAPIError as exc:
            log.info("partner member %s not told: %s", member.id, exc)
