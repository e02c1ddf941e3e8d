"""Material help («окна помощи»), the family's side: ask for things in a short flow (what, for whom and sizes,
city, how soon), then answer on its own request: received, not received, cancel.

The one free-text line goes through the crisis middleware like every family message: a danger signal in it is
answered with emergency contacts and the request is not sent. When the crisis centre already handles the family,
the request is routed there too (its topic is told)."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _

from bot.config import Settings
from bot.db.session import AsyncSession
from bot.db.statuses import AidStatus
from bot.i18n import locale_scope
from bot.middlewares.context import UserContext
from bot.notify import notify_coordinators, tell_aid_taker
from bot.services import aid, relay, volunteers
from bot.services.aid import AidError
from bot.services.catalog import Catalog
from bot.views import aid as views
from bot.views.callbacks import AidAsk, AidAskAction, Consent, Nav
from bot.views.coordinators import region_name
from bot.views.family import family_kb
from bot.views.ui import show
from handlers.choices import toggle_choice
from handlers.family.common import end_flow

log = logging.getLogger(__name__)
router = Router(name="family.aid")


class AidFlow(StatesGroup):
    items = State()
    details = State()
    city = State()
    urgency = State()
    confirm = State()


def _cities(catalog: Catalog, ctx: UserContext) -> list[tuple[str, str]]:
    region = ctx.family.region if ctx.family else None
    if catalog.places is None or not region:
        return []
    return [(key, city.name.get(ctx.locale)) for key, city in catalog.places.cities(region)]


@router.callback_query(Nav.filter(F.to == "aid"))
@router.callback_query(AidAsk.filter(F.a == AidAskAction.START))
async def start(call: CallbackQuery, state: FSMContext, ctx: UserContext) -> None:
    await call.answer()
    if not ctx.consented:
        await show(
            call,
            _(
                "To pass a request for things to the coordinators we need your consent to store it. "
                "Without it you can still see places that give out things in «Contacts»."
            ),
            family_kb(ctx, [(_("Read and agree"), Consent(action="ask"))]),
        )
        return
    await end_flow(state)
    await state.set_state(AidFlow.items)
    await state.update_data(aid_items=[])
    await show(call, views.ask_items_text(), views.ask_items_kb([]))


@router.callback_query(AidFlow.items, AidAsk.filter(F.a == AidAskAction.ITEM))
async def toggle_item(call: CallbackQuery, callback_data: AidAsk, state: FSMContext) -> None:
    if callback_data.v not in aid.ITEMS:
        await call.answer(_("This button no longer works."), show_alert=True)
        return
    await call.answer()
    chosen = await toggle_choice(state, "aid_items", callback_data.v)
    await show(call, views.ask_items_text(), views.ask_items_kb(chosen))


@router.callback_query(AidFlow.items, AidAsk.filter(F.a == AidAskAction.ITEMS_DONE))
async def items_done(call: CallbackQuery, state: FSMContext, ctx: UserContext) -> None:
    chosen = list((await state.get_data()).get("aid_items") or [])
    if not chosen:
        await call.answer(_("Choose at least one thing."), show_alert=True)
        return
    await call.answer()
    await state.set_state(AidFlow.details)
    await show(call, views.ask_details_text(chosen), family_kb(ctx))


@router.message(AidFlow.details, F.text, ~F.text.startswith("/"))
async def details(message: Message, state: FSMContext, ctx: UserContext, catalog: Catalog) -> None:
    await state.update_data(aid_details=(message.text or "").strip()[: aid.MAX_DETAILS])
    await state.set_state(AidFlow.city)
    await message.answer(views.ask_city_text(), reply_markup=views.ask_city_kb(_cities(catalog, ctx)))


@router.callback_query(AidFlow.city, AidAsk.filter(F.a == AidAskAction.CITY))
async def city_chosen(
    call: CallbackQuery,
    callback_data: AidAsk,
    state: FSMContext,
    ctx: UserContext,
    catalog: Catalog,
    settings: Settings,
) -> None:
    city = catalog.places.city(callback_data.v) if catalog.places else None
    if city is None or callback_data.v not in dict(_cities(catalog, ctx)):
        await call.answer(_("This button no longer works."), show_alert=True)
        return
    await call.answer()
    await state.update_data(aid_city=city.name.get(settings.default_locale))  # as the coordinators read it
    await state.set_state(AidFlow.urgency)
    await show(call, views.ask_urgency_text(), views.ask_urgency_kb())


@router.message(AidFlow.city, F.text, ~F.text.startswith("/"))
async def city_typed(message: Message, state: FSMContext) -> None:
    await state.update_data(aid_city=(message.text or "").strip()[: aid.MAX_CITY])
    await state.set_state(AidFlow.urgency)
    await message.answer(views.ask_urgency_text(), reply_markup=views.ask_urgency_kb())


@router.callback_query(AidFlow.urgency, AidAsk.filter(F.a == AidAskAction.URGENCY))
async def urgency(call: CallbackQuery, callback_data: AidAsk, state: FSMContext) -> None:
    if callback_data.v not in aid.URGENCIES:
        await call.answer(_("This button no longer works."), show_alert=True)
        return
    await call.answer()
    await state.update_data(aid_urgency=callback_data.v)
    await state.set_state(AidFlow.confirm)
    data = await state.get_data()
    text = views.confirm_text(
        data["aid_items"], data.get("aid_details", ""), data.get("aid_city", ""), callback_data.v
    )
    await show(call, text, views.confirm_kb())


@router.callback_query(AidFlow.confirm, AidAsk.filter(F.a == AidAskAction.SEND))
async def send(
    call: CallbackQuery,
    state: FSMContext,
    ctx: UserContext,
    session: AsyncSession,
    catalog: Catalog,
    settings: Settings,
) -> None:
    data = await state.get_data()
    await end_flow(state)
    if not ctx.consented:
        await call.answer(_("This button no longer works."), show_alert=True)
        return
    try:
        req, crisis_case = await aid.create(
            session,
            ctx.family,
            items=list(data.get("aid_items") or []),
            details=str(data.get("aid_details") or ""),
            city=str(data.get("aid_city") or ""),
            urgency=str(data.get("aid_urgency") or ""),
        )
    except ValueError:
        await call.answer(_("This button no longer works."), show_alert=True)
        return
    await call.answer()
    with locale_scope(get_i18n(), settings.default_locale):  # staff read the service's language
        if crisis_case is not None:
            relay.enqueue_text(session, crisis_case, target="staff", text=views.crisis_topic_note(req))
        text, markup = views.new_request_note(
            req, region_name(catalog, req.region or "", settings.default_locale)
        )
    await session.commit()  # the request is safe before anyone is told
    await show(call, views.sent_text(req), family_kb(ctx, [(_("My requests"), Nav(to="requests"))]))
    await notify_coordinators(call.bot, session, settings, text, markup)


# --- the family's answers on its own request ------------------------------------------------------------------


async def _own(session: AsyncSession, ctx: UserContext, req_id: int):
    return await aid.of_family(session, ctx.family.id, req_id) if ctx.consented else None


def _staff_note(target: str, number: int) -> str:
    if target == AidStatus.CLOSED:
        return _("✅ The family confirmed it received the things of № {number}.").format(number=number)
    if target == AidStatus.TAKEN:
        return _("⚠️ The family says it did not receive the things of № {number}.").format(number=number)
    return _("ℹ️ The family cancelled request № {number}.").format(number=number)


@router.callback_query(AidAsk.filter(F.a.in_({AidAskAction.GOT, AidAskAction.NOT_GOT, AidAskAction.CANCEL})))
async def answer(
    call: CallbackQuery,
    callback_data: AidAsk,
    ctx: UserContext,
    session: AsyncSession,
    settings: Settings,
) -> None:
    req = await _own(session, ctx, callback_data.id)
    target = {
        AidAskAction.GOT: AidStatus.CLOSED,
        AidAskAction.NOT_GOT: AidStatus.TAKEN,
        AidAskAction.CANCEL: AidStatus.CANCELLED,
    }[AidAskAction(callback_data.a)]
    if req is None:
        await call.answer(_("This button no longer works."), show_alert=True)
        return
    try:
        await aid.move(session, req, target, actor_tg_id=call.from_user.id, role="family")
    except AidError:
        await call.answer(_("This cannot be done now."), show_alert=True)
        return
    if target in aid.ENDED:
        cancelled = await volunteers.cancel_open(session, "aid", req.id)
        log.info("aid %s ended by the family: %d open tasks cancelled", req.id, len(cancelled))
    await session.commit()
    await call.answer()
    number = req.id
    if target == AidStatus.CLOSED:
        text = _("Thank you for letting us know! Request № {number} is done. We are glad we could help.")
    elif target == AidStatus.TAKEN:
        text = _(
            "We are sorry. We have told the coordinator: they will find out what happened with № {number}."
        )
    else:
        text = _("Request № {number} is cancelled. If you need things again, ask in the menu.")
    await show(call, text.format(number=number), family_kb(ctx, [(_("My requests"), Nav(to="requests"))]))
    await tell_aid_taker(call.bot, session, settings, req, lambda: _staff_note(target, number))


@router.callback_query(AidAsk.filter())
async def stale(call: CallbackQuery) -> None:
    """A button of a flow already left (or a forged one)."""
    await call.answer(_("This button no longer works."), show_alert=True)
