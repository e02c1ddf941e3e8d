"""The family's side of the social family card: apply, see the card with its QR code, renew, offers."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.markdown import html_decoration as hd

from bot.config import Settings
from bot.db.models import FamilyCard
from bot.db.session import AsyncSession
from bot.db.statuses import CardStatus
from bot.i18n import locale_scope
from bot.middlewares.context import UserContext
from bot.notify import notify_coordinators
from bot.services import card as card_service
from bot.services import card_partners
from bot.services.card import CardError
from bot.services.card_rules import CardRules
from bot.services.catalog import Catalog
from bot.views.callbacks import CardAct, CardAction, CardDecision, CardDecisionAction, Consent, Nav
from bot.views.card import card_kb, category_names, offer_text, region_name, send_card, when
from bot.views.family import discreet, family_kb
from bot.views.ui import Row, chunk, kb, show
from handlers.family.common import end_flow

log = logging.getLogger(__name__)
router = Router(name="family.card")


class CardFlow(StatesGroup):
    document = State()


# --- the card itself -------------------------------------------------------------------------------------------


async def home(
    event: Message | CallbackQuery,
    ctx: UserContext,
    session: AsyncSession,
    settings: Settings,
    catalog: Catalog,
) -> None:
    rules = catalog.card
    if not ctx.consented:
        await show(
            event,
            _(
                "<b>Family card</b>\n\nThe card gives families with children discounts from partner shops "
                "and services. To issue it we need your consent to store your data."
            ),
            family_kb(ctx, [(_("Read and agree"), Consent(action="ask"))]),
        )
        return
    family = ctx.family
    card = await card_service.family_card(session, family.id)
    pending = await card_service.pending_application(session, family.id)
    if card is not None and card.status != CardStatus.REVOKED:
        note = None
        if pending is not None:
            note = _("Your renewal application № {number} is being reviewed.").format(number=pending.id)
        chat_id = event.message.chat.id if isinstance(event, CallbackQuery) else event.chat.id
        await send_card(
            event.bot,
            chat_id,
            card,
            rules=rules,
            catalog=catalog,
            settings=settings,
            locale=ctx.locale,
            is_discreet=discreet(ctx),
            markup=card_kb(ctx, card, rules, renewal_pending=pending is not None),
            note=note,
        )
        return
    if pending is not None:
        await show(
            event,
            pending_text(pending.id, when(pending.created_at, settings.tz, ctx.locale)),
            pending_kb(ctx),
        )
        return
    lines = [
        _("<b>Family card</b>"),
        _(
            "The social family card gives families with children discounts from partner shops and services "
            "of the regional Family Resource Centre. It is free. The card lives here, in the bot: "
            "a number and a QR code to show at the partner."
        ),
    ]
    rows: list[Row] = []
    last = await card_service.last_application(session, family.id)
    if last is not None and last.status == "rejected":
        lines.append(
            _("Your last application was not approved. Reason: {reason}").format(
                reason=hd.quote(last.reason or "—")
            )
        )
    if card is not None and card.status == CardStatus.REVOKED:
        lines.append(_("Your previous card is no longer valid. You can apply for a new one."))
    if family.region is None:
        lines.append(_("First choose your region: the card is issued by the regional centre."))
        rows.append([(_("Choose the region"), Nav(to="region"))])
    elif not rules.region(family.region).open:
        lines.append(_("In your region the card is not issued in the bot yet."))
    else:
        rows.append([(_("Apply for the card"), CardAct(a=CardAction.APPLY))])
    rows.append([(_("See the offers"), CardAct(a=CardAction.OFFERS))])
    await show(event, "\n\n".join(lines), family_kb(ctx, *rows))


def pending_text(number: int, date: str) -> str:
    return _(
        "Your application № {number} of {date} is being reviewed by the coordinator of the regional centre. "
        "It usually takes a few working days. We will write here as soon as there is a decision."
    ).format(number=number, date=date)


def pending_kb(ctx: UserContext):
    return family_kb(ctx, [(_("Withdraw the application"), CardAct(a=CardAction.WITHDRAW))])


@router.message(Command("card"))
async def card_cmd(
    message: Message,
    state: FSMContext,
    ctx: UserContext,
    session: AsyncSession,
    settings: Settings,
    catalog: Catalog,
) -> None:
    await end_flow(state)
    await home(message, ctx, session, settings, catalog)


@router.callback_query(Nav.filter(F.to == "card"))
@router.callback_query(CardAct.filter(F.a == CardAction.HOME))
async def card_cb(
    call: CallbackQuery,
    state: FSMContext,
    ctx: UserContext,
    session: AsyncSession,
    settings: Settings,
    catalog: Catalog,
) -> None:
    await end_flow(state)
    await call.answer()
    await home(call, ctx, session, settings, catalog)


# --- applying ----------------------------------------------------------------------------------------------------


@router.callback_query(CardAct.filter(F.a == CardAction.APPLY))
async def apply(
    call: CallbackQuery, ctx: UserContext, session: AsyncSession, settings: Settings, catalog: Catalog
) -> None:
    if not ctx.consented:
        await call.answer(_("This button no longer works."), show_alert=True)
        return
    await call.answer()
    rules = catalog.card
    family = ctx.family
    if family.region is None or not rules.region(family.region).open:
        await home(call, ctx, session, settings, catalog)
        return
    if await card_service.pending_application(session, family.id) is not None:
        await show(call, _("Your application is already being reviewed."), pending_kb(ctx))
        return
    categories = rules.categories_of(family.profile or {})
    if not categories:
        await show(
            call,
            _(
                "The card is for families with children and for those expecting a child. "
                "Your family profile does not say so yet: please fill it in, then apply again."
            ),
            family_kb(ctx, [(_("Family profile"), Nav(to="profile"))]),
        )
        return
    needs_doc = rules.region(family.region).document_required
    lines = [
        _("<b>Application for the family card</b>"),
        _("Region: {region}").format(region=hd.quote(region_name(catalog, family.region, ctx.locale))),
        _("Category: {categories}").format(categories=category_names(rules, categories, ctx.locale)),
        _("We took this from your family profile. If something is wrong, correct the profile first."),
    ]
    if needs_doc:
        lines.append(
            _(
                "In your region a photo of a document confirming the family's status is needed "
                "(for example, the large family certificate or the child's birth certificate)."
            )
        )
        first = [(_("Send a document photo"), CardAct(a=CardAction.DOC))]
    else:
        first = [(_("Send the application"), CardAct(a=CardAction.SUBMIT))]
    await show(call, "\n\n".join(lines), family_kb(ctx, first, [(_("Family profile"), Nav(to="profile"))]))


@router.callback_query(CardAct.filter(F.a == CardAction.DOC))
async def ask_document(call: CallbackQuery, state: FSMContext, ctx: UserContext) -> None:
    if not ctx.consented:
        await call.answer(_("This button no longer works."), show_alert=True)
        return
    await call.answer()
    await state.set_state(CardFlow.document)
    await show(
        call,
        _(
            "Send one photo of the document. Only the coordinator of the regional centre sees it; "
            "once the application is decided we delete it from our records."
        ),
        family_kb(ctx, [(_("Cancel"), CardAct(a=CardAction.HOME))], back=False),
    )


@router.message(CardFlow.document, F.photo)
async def got_document(
    message: Message,
    state: FSMContext,
    ctx: UserContext,
    session: AsyncSession,
    settings: Settings,
    catalog: Catalog,
) -> None:
    await end_flow(state)
    if not ctx.consented:
        return
    await submit(message, ctx, session, settings, catalog, message.photo[-1].file_id)


@router.message(CardFlow.document)
async def document_hint(message: Message, ctx: UserContext) -> None:
    await message.answer(
        _("Please send the document as a photo (not as a file), or press «Cancel»."),
        reply_markup=family_kb(ctx, [(_("Cancel"), CardAct(a=CardAction.HOME))], back=False),
    )


@router.callback_query(CardAct.filter(F.a == CardAction.SUBMIT))
async def submit_cb(
    call: CallbackQuery, ctx: UserContext, session: AsyncSession, settings: Settings, catalog: Catalog
) -> None:
    if not ctx.consented:
        await call.answer(_("This button no longer works."), show_alert=True)
        return
    await call.answer()
    await submit(call, ctx, session, settings, catalog, None)


async def submit(
    event: Message | CallbackQuery,
    ctx: UserContext,
    session: AsyncSession,
    settings: Settings,
    catalog: Catalog,
    document_file_id: str | None,
) -> None:
    rules = catalog.card
    try:
        app = await card_service.submit(session, ctx.family, rules, document_file_id=document_file_id)
    except CardError as exc:
        log.info("card application refused: %s", exc)
        await show(
            event,
            _("We could not accept the application now. Please open the card screen again."),
            family_kb(ctx, [(_("Family card"), CardAct(a=CardAction.HOME))]),
        )
        return
    # the application is safe before anyone is told: a coordinator's «Review» may reach the other instance at once
    await session.commit()
    await show(
        event,
        _("Thank you, the application is sent.")
        + "\n\n"
        + pending_text(app.id, when(app.created_at, settings.tz, ctx.locale)),
        family_kb(ctx),
    )
    with locale_scope(get_i18n(), settings.default_locale):  # coordinators read the service's language
        text = _("🆕 Family card application № {number} · {region} · {categories}").format(
            number=app.id,
            region=hd.quote(region_name(catalog, app.region, settings.default_locale)),
            categories=category_names(rules, app.categories, settings.default_locale),
        )
        markup = kb([(_("Review"), CardDecision(app=app.id, a=CardDecisionAction.OPEN))])
    await notify_coordinators(event.bot, session, settings, text, markup)


@router.callback_query(CardAct.filter(F.a == CardAction.WITHDRAW))
async def withdraw(
    call: CallbackQuery, ctx: UserContext, session: AsyncSession, settings: Settings, catalog: Catalog
) -> None:
    pending = await card_service.pending_application(session, ctx.family.id) if ctx.consented else None
    if pending is None:
        await call.answer(_("This button no longer works."), show_alert=True)
        return
    await card_service.withdraw(session, pending, ctx.family)
    await call.answer(_("The application is withdrawn."))
    await home(call, ctx, session, settings, catalog)


# --- offers and notices ------------------------------------------------------------------------------------------


async def family_scope(
    session: AsyncSession, ctx: UserContext, rules: CardRules
) -> tuple[str | None, list[str], FamilyCard | None]:
    """Region and categories the catalogue is filtered by: the active card's, or the profile's."""
    if not ctx.consented:
        return None, [], None
    card = await card_service.family_card(session, ctx.family.id)
    if card is not None and card_service.card_status(card) == "active":
        return card.region, list(card.categories), card
    return ctx.family.region, rules.categories_of(ctx.family.profile or {}), None


@router.callback_query(CardAct.filter(F.a == CardAction.OFFERS))
async def offers(
    call: CallbackQuery, ctx: UserContext, session: AsyncSession, settings: Settings, catalog: Catalog
) -> None:
    await call.answer()
    rules = catalog.card
    region, categories, card = await family_scope(session, ctx, rules)
    found = await card_partners.catalogue(session, region, categories)
    counts: dict[str, int] = {}
    for offer, _partner in found:
        counts[offer.kind] = counts.get(offer.kind, 0) + 1
    back = [(_("« Family card"), CardAct(a=CardAction.HOME))]
    if not found:
        text = _(
            "There are no partner offers for your region yet. New partners join all the time; "
            "we will show their offers here."
        )
        await show(call, text, family_kb(ctx, back))
        return
    lines = [_("<b>Offers for card holders</b>"), _("Choose a kind:")]
    if card is None:
        lines.append(_("To use the offers you need the family card: show it at the partner."))
    buttons = [
        (f"{rules.kind_name(k.id, ctx.locale)} ({counts[k.id]})", CardAct(a=CardAction.KIND, k=k.id))
        for k in rules.offer_kinds
        if k.id in counts
    ]
    await show(call, "\n\n".join(lines), family_kb(ctx, *chunk(buttons, 2), back))


@router.callback_query(CardAct.filter(F.a == CardAction.KIND))
async def offers_of_kind(
    call: CallbackQuery,
    callback_data: CardAct,
    ctx: UserContext,
    session: AsyncSession,
    settings: Settings,
    catalog: Catalog,
) -> None:
    rules = catalog.card
    if rules.kind(callback_data.k) is None:
        await call.answer(_("This button no longer works."), show_alert=True)
        return
    await call.answer()
    region, categories, _card = await family_scope(session, ctx, rules)
    found = [
        (o, p)
        for o, p in await card_partners.catalogue(session, region, categories)
        if o.kind == callback_data.k
    ]
    parts = [f"<b>{hd.quote(rules.kind_name(callback_data.k, ctx.locale))}</b>"]
    parts += [offer_text(o, p, rules, catalog, ctx.locale, settings.tz) for o, p in found[:8]]
    if not found:
        parts.append(_("These offers have ended."))
    text = "\n\n".join(parts)
    await show(call, text[:4000], family_kb(ctx, [(_("« Kinds of offers"), CardAct(a=CardAction.OFFERS))]))


@router.callback_query(CardAct.filter(F.a.in_({CardAction.NOTIFY_ON, CardAction.NOTIFY_OFF})))
async def notify(
    call: CallbackQuery,
    callback_data: CardAct,
    ctx: UserContext,
    session: AsyncSession,
    settings: Settings,
    catalog: Catalog,
) -> None:
    card = await card_service.family_card(session, ctx.family.id) if ctx.consented else None
    if card is None or card_service.card_status(card) != "active":
        await call.answer(_("This button no longer works."), show_alert=True)
        return
    on = callback_data.a == "notify_on"
    await card_service.set_notify(session, card, on)
    await call.answer(
        _("We will tell you about new offers for your family.") if on else _("Notices of new offers are off.")
    )
    if isinstance(call.message, Message):
        pending = await card_service.pending_application(session, ctx.family.id)
        await call.message.edit_reply_markup(
            reply_markup=card_kb(ctx, card, catalog.card, renewal_pending=pending is not None)
        )
