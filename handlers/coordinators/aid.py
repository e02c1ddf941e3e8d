"""/aid: the coordinators' list of material-help requests by region and urgency, and the work on one: take it,
match it with a volunteer or a collection point of the directory, the statuses the family sees («собираем»,
«можно забрать: адрес, часы», «передано»), or close it as not met. Every change is audited by the services; the
family is told in its own language, a volunteer in theirs."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _

from bot.config import Settings
from bot.db.models import AidRequest
from bot.db.session import AsyncSession
from bot.db.statuses import AidStatus, VolunteerStatus
from bot.i18n import locale_scope
from bot.middlewares.context import UserContext
from bot.notify import tell, tell_family_of_aid
from bot.services import aid, families, volunteers
from bot.services.aid import AidError
from bot.services.catalog import Catalog
from bot.views import aid as views
from bot.views import volunteers as vol_views
from bot.views.callbacks import AidDesk, AidDeskAction
from bot.views.coordinators import region_name
from bot.views.ui import kb, show
from handlers.coordinators.assigning import offer_task
from handlers.filters import role_of

log = logging.getLogger(__name__)
router = Router(name="coordinators.aid")


class AidDeskFlow(StatesGroup):
    pickup = State()


def _regions(catalog: Catalog, locale: str) -> list[tuple[str, str]]:
    return [(r.code, r.name.get(locale)) for r in catalog.regions if r.code != "other"]


async def _list_screen(session: AsyncSession, catalog: Catalog, settings: Settings, region: str):
    region = region if catalog.region(region) else ""
    rows = await aid.open_list(session, region or None)
    locale = settings.default_locale
    name = region_name(catalog, region, locale) if region else _("all regions")
    return views.list_text(rows, name), views.list_kb(rows, _regions(catalog, locale), region)


async def _card_screen(session: AsyncSession, catalog: Catalog, settings: Settings, req: AidRequest):
    locale = settings.default_locale
    tasks = await volunteers.for_target(session, "aid", req.id)
    place = views.place_pickup(catalog, req.place_id, locale) if req.place_id else None
    text = views.card_text(
        req, region_name(catalog, req.region or "", locale), tasks, place[0] if place else None
    )
    return text, views.card_kb(req)


async def _move(
    event: CallbackQuery | Message,
    req: AidRequest,
    status: str,
    *,
    ctx: UserContext,
    session: AsyncSession,
    catalog: Catalog,
    settings: Settings,
    **extra: str | None,
) -> None:
    try:
        await aid.move(session, req, status, actor_tg_id=ctx.user.id, role=role_of(ctx), **extra)
    except AidError:
        if isinstance(event, CallbackQuery):
            await event.answer(_("This request has changed meanwhile."), show_alert=True)
        else:
            await event.answer(_("This request has changed meanwhile."))
        await show(event, *(await _card_screen(session, catalog, settings, req)))
        return
    if status in aid.ENDED:
        await volunteers.cancel_open(session, "aid", req.id)
    await session.commit()
    if isinstance(event, CallbackQuery):
        await event.answer(_("Done: the family is told."))
    await show(event, *(await _card_screen(session, catalog, settings, req)))
    await tell_family_of_aid(event.bot, session, req)


@router.message(Command("aid"))
async def aid_cmd(
    message: Message, state: FSMContext, session: AsyncSession, catalog: Catalog, settings: Settings
) -> None:
    await state.set_state(None)
    text, markup = await _list_screen(session, catalog, settings, "")
    await message.answer(text, reply_markup=markup)


@router.callback_query(AidDesk.filter(F.a == AidDeskAction.LIST))
async def aid_list(
    call: CallbackQuery,
    callback_data: AidDesk,
    state: FSMContext,
    session: AsyncSession,
    catalog: Catalog,
    settings: Settings,
) -> None:
    await state.set_state(None)
    await call.answer()
    await show(call, *(await _list_screen(session, catalog, settings, callback_data.v)))


@router.callback_query(AidDesk.filter())
async def aid_action(
    call: CallbackQuery,
    callback_data: AidDesk,
    state: FSMContext,
    ctx: UserContext,
    session: AsyncSession,
    catalog: Catalog,
    settings: Settings,
) -> None:
    req = await aid.get(session, callback_data.id)
    a = callback_data.a
    if req is None or a not in set(AidDeskAction):
        await call.answer(_("This button no longer works."), show_alert=True)
        return
    if a != AidDeskAction.OPEN and req.status not in aid.OPEN_STATUSES:
        await call.answer(_("This request is already closed."), show_alert=True)
        await show(call, *(await _card_screen(session, catalog, settings, req)))
        return
    await state.set_state(None)
    if a == AidDeskAction.OPEN:
        await call.answer()
        await show(call, *(await _card_screen(session, catalog, settings, req)))
    elif a == AidDeskAction.TAKE:
        name = (ctx.staff.name if ctx.staff and ctx.staff.name else None) or ctx.user.full_name
        if not await aid.take(session, req.id, actor_tg_id=ctx.user.id, actor_name=name, role=role_of(ctx)):
            await aid.reload(session, req)
            await call.answer(
                _("Already taken by {who}.").format(who=req.taken_by_name or "—"), show_alert=True
            )
            await show(call, *(await _card_screen(session, catalog, settings, req)))
            return
        await session.commit()
        await call.answer(_("You took request № {number}.").format(number=req.id))
        await show(call, *(await _card_screen(session, catalog, settings, req)))
        await tell_family_of_aid(call.bot, session, req)
    elif req.status == AidStatus.NEW:
        await call.answer(_("Take the request first."), show_alert=True)
    elif a == AidDeskAction.COLLECT:
        await _move(
            call, req, AidStatus.COLLECTING, ctx=ctx, session=session, catalog=catalog, settings=settings
        )
    elif a == AidDeskAction.HANDED:
        await _move(call, req, AidStatus.HANDED, ctx=ctx, session=session, catalog=catalog, settings=settings)
    elif a == AidDeskAction.PLACE:
        await call.answer()
        found = (
            catalog.places.filtered(region=req.region, kind="humanitarian")
            if catalog.places and req.region
            else []
        )
        names = [(p.id, p.org.name.get(settings.default_locale)) for p in found]
        await show(call, views.places_text(req, [n for _i, n in names]), views.places_kb(req, names))
    elif a == AidDeskAction.READY:
        place = views.place_pickup(catalog, callback_data.v, get_i18n().current_locale)
        if place is None:
            await call.answer(_("This button no longer works."), show_alert=True)
            return
        family = await families.get(session, req.family_id) if req.family_id else None
        family_place = views.place_pickup(catalog, callback_data.v, family.language) if family else place
        pickup = (family_place or place)[1]
        await _move(
            call,
            req,
            AidStatus.READY,
            pickup=pickup,
            place_id=callback_data.v,
            ctx=ctx,
            session=session,
            catalog=catalog,
            settings=settings,
        )
    elif a == AidDeskAction.PICKUP_TEXT:
        await call.answer()
        await state.set_state(AidDeskFlow.pickup)
        await state.update_data(aid_req=req.id)
        await show(
            call,
            _(
                "Write for the family where and when to pick up the things of № {number}: the address, the hours, "
                "whom to ask. For example «ул. Московская, 5, пн–пт 10:00–18:00, спросить Ольгу»."
            ).format(number=req.id),
            kb([(_("« Back"), AidDesk(id=req.id, a=AidDeskAction.OPEN))]),
        )
    elif a == AidDeskAction.MATCH:
        await call.answer()
        free = await volunteers.listing(session, status=VolunteerStatus.APPROVED, region=req.region)
        free.sort(key=lambda v: (v.city.casefold() != req.city.casefold(), v.id))
        await show(call, views.match_text(req, free, vol_views.skill_labels()), views.match_kb(req, free))
    elif a == AidDeskAction.ASSIGN:
        await assign(call, req, callback_data.v, ctx=ctx, session=session, catalog=catalog, settings=settings)
    elif a == AidDeskAction.UNMET:
        await call.answer()
        await show(
            call, _("Why could request № {number} not be met?").format(number=req.id), views.unmet_kb(req)
        )
    elif a == AidDeskAction.UNMET_REASON:
        if callback_data.v not in aid.UNMET_REASONS:
            await call.answer(_("This button no longer works."), show_alert=True)
            return
        await _move(
            call,
            req,
            AidStatus.UNMET,
            reason=callback_data.v,
            ctx=ctx,
            session=session,
            catalog=catalog,
            settings=settings,
        )


async def assign(
    call: CallbackQuery,
    req: AidRequest,
    volunteer_id: str,
    *,
    ctx: UserContext,
    session: AsyncSession,
    catalog: Catalog,
    settings: Settings,
) -> None:
    offered = await offer_task(call, volunteer_id, kind="aid", target_id=req.id, ctx=ctx, session=session)
    if offered is None:
        return
    task, vol = offered
    await show(call, *(await _card_screen(session, catalog, settings, req)))
    with locale_scope(get_i18n(), vol.language):
        text, markup = vol_views.offered_note(task, req)
    await tell(call.bot, vol.tg_user_id, text, markup)


@router.message(AidDeskFlow.pickup, F.text, ~F.text.startswith("/"))
async def pickup_typed(
    message: Message,
    state: FSMContext,
    ctx: UserContext,
    session: AsyncSession,
    catalog: Catalog,
    settings: Settings,
) -> None:
    data = await state.get_data()
    await state.set_state(None)
    req = await aid.get(session, int(data.get("aid_req") or 0))
    if req is None or req.status not in aid.OPEN_STATUSES:
        await message.answer(_("This request is already closed."))
        return
    await _move(
        message,
        req,
        AidStatus.READY,
        pickup=(message.text or "").strip()[: aid.MAX_PICKUP],
        ctx=ctx,
        session=session,
        catalog=catalog,
        settings=settings,
    )
