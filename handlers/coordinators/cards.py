"""Coordinators, in private chat: family card applications, partner organisations and offer moderation.

The router lets only coordinators in (IsCoordinator, checked on every update); the same commands and buttons
from anyone else get a refusal (handlers/filters.py). Everything decided is audited by the services. Families are told of a decision in their own language, partner staff in the service's language.
"""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.markdown import html_decoration as hd

from bot.config import Settings
from bot.db.session import AsyncSession
from bot.db.statuses import ApplicationStatus, OfferStatus
from bot.middlewares.context import UserContext
from bot.services import card as card_service
from bot.services import card_partners
from bot.services.card import CardError
from bot.services.catalog import Catalog
from bot.views.callbacks import (
    CardDecision,
    CardDecisionAction,
    CoordCards,
    OfferMod,
    OfferModAction,
    PartnerAdm,
)
from bot.views.ui import kb, show
from handlers.coordinators.card_screens import (
    approve,
    create_partner,
    home_kb,
    home_text,
    partner_screen,
    partners_screen,
    preset_reasons,
    reject,
    send_invite,
    show_application,
    show_offer,
    tell_partner,
)
from handlers.filters import IsCoordinator, refusals, role_of

log = logging.getLogger(__name__)


class CoordFlow(StatesGroup):
    app_reason = State()
    offer_reason = State()
    partner_name = State()


def refusal() -> str:
    return _("This is for coordinators of the family card programme.")


router = Router(name="coordinators.cards")
router.message.filter(F.chat.type == "private", IsCoordinator())
router.callback_query.filter(F.message.chat.type == "private", IsCoordinator())


# --- the programme's screen ---------------------------------------------------------------------------------


@router.message(Command("cards"))
async def cards_cmd(
    message: Message, state: FSMContext, ctx: UserContext, session: AsyncSession, catalog: Catalog
) -> None:
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
    app = await card_service.application(session, callback_data.app)
    action = callback_data.a
    if action == "next":
        await call.answer()
        await show_application(call, session, settings, catalog, None, after=callback_data.app)
        return
    if app is None or (action != "open" and app.status != ApplicationStatus.SUBMITTED):
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
            if taken.app is not None and taken.app.status == ApplicationStatus.SUBMITTED:
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
                *[[(text, CardDecision(app=app.id, a=f"r{i}"))] for i, text in enumerate(preset_reasons())],
                [(_("Write another reason"), CardDecision(app=app.id, a=CardDecisionAction.OTHER))],
                [(_("« Back"), CardDecision(app=app.id, a=CardDecisionAction.OPEN))],
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
            kb([(_("« Back"), CardDecision(app=app.id, a=CardDecisionAction.OPEN))]),
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
    app = await card_service.application(session, data.get("card_app") or 0)
    if app is None or app.status != ApplicationStatus.SUBMITTED:
        await message.answer(_("This application is already decided."))
        return
    await reject(message, app, message.text, ctx, session, settings, catalog)


# --- partners -------------------------------------------------------------------------------------------------


@router.message(Command("partner_new"))
async def partner_new_cmd(
    message: Message, command: CommandObject, state: FSMContext, ctx: UserContext, session: AsyncSession
) -> None:
    if not command.args:
        await state.set_state(CoordFlow.partner_name)
        await message.answer(_("Send the partner organisation's name, as families know it."))
        return
    await state.set_state(None)
    await create_partner(message, command.args, ctx, session)


@router.message(CoordFlow.partner_name, F.text)
async def partner_name(message: Message, state: FSMContext, ctx: UserContext, session: AsyncSession) -> None:
    await state.set_state(None)
    await create_partner(message, message.text, ctx, session)


@router.callback_query(PartnerAdm.filter())
async def partner_action(
    call: CallbackQuery,
    callback_data: PartnerAdm,
    state: FSMContext,
    ctx: UserContext,
    session: AsyncSession,
) -> None:
    if callback_data.a == "new":
        await call.answer()
        await state.set_state(CoordFlow.partner_name)
        await show(call, _("Send the partner organisation's name, as families know it."), None)
        return
    if callback_data.a == "list":
        await call.answer()
        await show(call, *(await partners_screen(session)))
        return
    partner = await card_partners.partner(session, callback_data.p)
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
        member = await card_partners.member(session, callback_data.m)
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
    offer = await card_partners.offer(session, callback_data.offer)
    if callback_data.a == "next":
        await call.answer()
        await show_offer(call, session, settings, catalog, None, after=callback_data.offer)
        return
    if offer is None or (callback_data.a != "open" and offer.status != OfferStatus.PROPOSED):
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
            kb([(_("« Back"), OfferMod(offer=offer.id, a=OfferModAction.OPEN))]),
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
    offer = await card_partners.offer(session, data.get("card_offer") or 0)
    if offer is None or offer.status != OfferStatus.PROPOSED:
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


# --- everyone else ----------------------------------------------------------------------------------------------

others = refusals(router, refusal, name="coordinators.cards.others")
others.message.filter(F.chat.type == "private")
others.callback_query.filter(F.message.chat.type == "private")


@others.message(StateFilter(CoordFlow), F.text)
async def flow_of_another_role(message: Message, state: FSMContext) -> None:
    """A reason or a name typed after the coordinator role was taken away: the flow ends here."""
    await state.set_state(None)
    await message.answer(refusal())


def get_router() -> Router:
    """The programme's coordinators, then the refusal for everyone else who reaches their commands and buttons."""
    root = Router(name="coordinators.cards.root")
    root.include_routers(router, others)
    return root
