"""«Мероприятия», the family's side: the events of its region and profile, registration with one tap (a seat or
the waiting list), the place as a venue and an .ics file, cancellation (the first of the waiting list gets the
seat and is told), and the one tap «было полезно?» after the event."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _

from bot.db.models import Event
from bot.db.session import AsyncSession
from bot.db.statuses import RegistrationStatus
from bot.middlewares.context import UserContext
from bot.notify import send_event_place, tell, tell_promoted
from bot.services import events
from bot.services.catalog import Catalog
from bot.services.events import EventError
from bot.views import events as views
from bot.views.callbacks import Consent, Ev, EvAction, Nav
from bot.views.family import family_kb
from bot.views.ui import show

log = logging.getLogger(__name__)
router = Router(name="family.events")


async def _list(session: AsyncSession, ctx: UserContext, catalog: Catalog):
    rows = await events.upcoming_for_family(session, ctx.family)
    mine = {ev.id: reg.status for reg, ev in await events.of_family(session, ctx.family.id)}
    return views.list_text(rows, mine, catalog, ctx.locale), views.list_kb(rows, catalog)


async def _card(session: AsyncSession, ctx: UserContext, catalog: Catalog, ev: Event):
    reg = await events.registration_of(session, ev.id, ctx.family.id)
    position = (
        await events.waiting_position(session, reg)
        if reg is not None and reg.status == RegistrationStatus.WAITING
        else None
    )
    text = views.card_text(ev, reg, position, catalog, ctx.locale)
    return text, views.card_kb(ev, reg, events.registration_open(ev))


@router.callback_query(Nav.filter(F.to == "events"))
@router.callback_query(Ev.filter(F.a == EvAction.LIST))
async def open_list(call: CallbackQuery, ctx: UserContext, session: AsyncSession, catalog: Catalog) -> None:
    await call.answer()
    if not ctx.consented:
        await show(
            call,
            _("To register for events we need your consent to store your registration."),
            family_kb(ctx, [(_("Read and agree"), Consent(action="ask"))]),
        )
        return
    await show(call, *(await _list(session, ctx, catalog)))


async def _event(call: CallbackQuery, ctx: UserContext, session: AsyncSession, event_id: int) -> Event | None:
    """The event a button names, if the family may see it (its region and profile); else a polite answer."""
    ev = await events.get(session, event_id) if ctx.consented else None
    if ev is None or ev.region != ctx.family.region or not events.for_family_profile(ev, ctx.family):
        await call.answer(_("This button no longer works."), show_alert=True)
        return None
    return ev


@router.callback_query(Ev.filter(F.a == EvAction.OPEN))
async def open_event(
    call: CallbackQuery, callback_data: Ev, ctx: UserContext, session: AsyncSession, catalog: Catalog
) -> None:
    ev = await _event(call, ctx, session, callback_data.id)
    if ev is None:
        return
    await call.answer()
    await show(call, *(await _card(session, ctx, catalog, ev)))


@router.callback_query(Ev.filter(F.a == EvAction.JOIN))
async def join(
    call: CallbackQuery, callback_data: Ev, ctx: UserContext, session: AsyncSession, catalog: Catalog
) -> None:
    ev = await _event(call, ctx, session, callback_data.id)
    if ev is None:
        return
    try:
        reg = await events.register(session, ev, ctx.family)
    except EventError as exc:
        text = {
            "cancelled": _("This event is cancelled."),
            "not_yet": _("Registration has not opened yet."),
        }.get(exc.reason, _("Registration is closed."))
        await call.answer(text, show_alert=True)
        await show(call, *(await _card(session, ctx, catalog, ev)))
        return
    await session.commit()
    if reg.status == RegistrationStatus.REGISTERED:
        await call.answer(_("You are registered!"))
        await show(call, *(await _card(session, ctx, catalog, ev)))
        await tell(call.bot, call.from_user.id, views.registered_text(ev))
        await send_event_place(call.bot, call.from_user.id, ev, catalog, ctx.locale)
    else:
        position = await events.waiting_position(session, reg)
        await call.answer(_("You are on the waiting list."))
        await show(call, *(await _card(session, ctx, catalog, ev)))
        await tell(call.bot, call.from_user.id, views.waiting_text(ev, position))


@router.callback_query(Ev.filter(F.a == EvAction.JOIN_ALL))
async def join_all(
    call: CallbackQuery, callback_data: Ev, ctx: UserContext, session: AsyncSession, catalog: Catalog
) -> None:
    ev = await _event(call, ctx, session, callback_data.id)
    if ev is None:
        return
    try:
        done = await events.register_series(session, ev, ctx.family)
    except EventError:
        await call.answer(_("Registration is closed."), show_alert=True)
        return
    await session.commit()
    registered = [one for one, reg in done if reg.status == RegistrationStatus.REGISTERED]
    await call.answer(_("You are registered!") if registered else _("You are on the waiting list."))
    await show(call, *(await _card(session, ctx, catalog, ev)))
    await tell(
        call.bot,
        call.from_user.id,
        views.series_registered_text(ev, len(registered), len(done) - len(registered)),
    )
    if registered:
        await send_event_place(
            call.bot, call.from_user.id, registered[0], catalog, ctx.locale, more=registered
        )


@router.callback_query(Ev.filter(F.a == EvAction.CANCEL))
async def cancel(
    call: CallbackQuery, callback_data: Ev, ctx: UserContext, session: AsyncSession, catalog: Catalog
) -> None:
    reg = await events.own_registration(session, ctx.family.id, callback_data.id) if ctx.consented else None
    ev = await events.get(session, reg.event_id) if reg is not None else None
    if reg is None or ev is None:
        await call.answer(_("This button no longer works."), show_alert=True)
        return
    try:
        promoted = await events.cancel(session, reg, actor_tg_id=call.from_user.id)
    except EventError:
        await call.answer(_("Your registration is already cancelled."), show_alert=True)
        return
    await session.commit()
    await call.answer()
    await show(call, views.cancelled_text(ev), family_kb(ctx, [(_("« Events"), Ev(a=EvAction.LIST))]))
    await tell_promoted(call.bot, session, catalog, promoted)


@router.callback_query(Ev.filter(F.a == EvAction.USEFUL))
async def useful(call: CallbackQuery, callback_data: Ev, ctx: UserContext, session: AsyncSession) -> None:
    reg = await events.own_registration(session, ctx.family.id, callback_data.id) if ctx.consented else None
    if (
        reg is None
        or callback_data.v not in ("0", "1")
        or not await events.set_useful(session, reg, callback_data.v == "1")
    ):
        await call.answer(_("This button no longer works."), show_alert=True)
        return
    await session.commit()
    await call.answer()
    await show(
        call,
        _("Thank you! Your answer helps us plan the next events."),
        family_kb(ctx, [(_("« Events"), Ev(a=EvAction.LIST))]),
    )


@router.callback_query(Ev.filter())
async def stale(call: CallbackQuery) -> None:
    """A forged or outdated button."""
    await call.answer(_("This button no longer works."), show_alert=True)
