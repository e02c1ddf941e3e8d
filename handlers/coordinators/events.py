"""/events: the coordinators' events — the list, an event's card, its registrations and waiting list, attendance,
a message to everyone registered (a broadcast to them, paced by the broadcaster), the XLSX file, a volunteer for
the event and cancelling it. Creating one: event_wizard.py."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _

from bot.config import Settings
from bot.db.models import Event
from bot.db.session import AsyncSession
from bot.db.statuses import RegistrationStatus, VolunteerStatus
from bot.i18n import locale_scope
from bot.middlewares.context import UserContext
from bot.notify import tell
from bot.services import broadcasts as bc
from bot.services import event_files, events, volunteers
from bot.services.catalog import Catalog
from bot.services.events import EventError
from bot.views import event_desk as views
from bot.views import events as event_views
from bot.views import volunteers as vol_views
from bot.views.callbacks import EvDesk, EvDeskAction
from bot.views.ui import kb, show
from handlers.coordinators.assigning import offer_task
from handlers.filters import role_of

router = Router(name="coordinators.events")


class EventMessage(StatesGroup):
    text = State()


async def _list_screen(session: AsyncSession, catalog: Catalog):
    rows = await events.listing(session)
    return views.list_text(rows, catalog), views.list_kb(rows)


async def _card_screen(session: AsyncSession, catalog: Catalog, settings: Settings, ev: Event):
    counts = await events.counts(session, ev.id)
    tasks = await volunteers.for_target(session, "event", ev.id)
    return views.card_text(ev, counts, tasks, catalog, settings.default_locale), views.card_kb(ev)


async def _who_screen(session: AsyncSession, ev: Event):
    people = await events.registrants(session, ev.id)
    waiting = [p for p in people if p.reg.status == RegistrationStatus.WAITING]
    positions = {p.reg.id: i for i, p in enumerate(waiting, 1)}
    return views.registrants_text(ev, people, positions), views.registrants_kb(ev, people)


@router.message(Command("events"))
async def events_cmd(message: Message, state: FSMContext, session: AsyncSession, catalog: Catalog) -> None:
    await state.clear()
    await show(message, *(await _list_screen(session, catalog)))


@router.callback_query(EvDesk.filter(F.a == EvDeskAction.LIST))
async def events_list(
    call: CallbackQuery, state: FSMContext, session: AsyncSession, catalog: Catalog
) -> None:
    await state.clear()
    await call.answer()
    await show(call, *(await _list_screen(session, catalog)))


@router.callback_query(
    EvDesk.filter(
        F.a.in_(
            {
                EvDeskAction.OPEN,
                EvDeskAction.WHO,
                EvDeskAction.ATTEND,
                EvDeskAction.MESSAGE,
                EvDeskAction.EXPORT,
                EvDeskAction.MATCH,
                EvDeskAction.ASSIGN,
                EvDeskAction.CANCEL,
                EvDeskAction.CANCEL_SURE,
            }
        )
    )
)
async def event_action(
    call: CallbackQuery,
    callback_data: EvDesk,
    state: FSMContext,
    ctx: UserContext,
    session: AsyncSession,
    catalog: Catalog,
    settings: Settings,
) -> None:
    ev = await events.get(session, callback_data.id)
    if ev is None:
        await call.answer(_("This button no longer works."), show_alert=True)
        return
    a = callback_data.a
    if a == EvDeskAction.OPEN:
        await state.clear()
        await call.answer()
        await show(call, *(await _card_screen(session, catalog, settings, ev)))
    elif a == EvDeskAction.WHO:
        await call.answer()
        await show(call, *(await _who_screen(session, ev)))
    elif a == EvDeskAction.ATTEND:
        try:
            if not callback_data.v.isdigit():
                raise EventError("changed")
            await events.toggle_attended(
                session, ev, int(callback_data.v), actor_tg_id=ctx.user.id, role=role_of(ctx)
            )
        except EventError:
            await call.answer(_("This button no longer works."), show_alert=True)
            return
        await session.commit()
        await call.answer()
        await show(call, *(await _who_screen(session, ev)))
    elif a == EvDeskAction.MESSAGE:
        await call.answer()
        await state.set_state(EventMessage.text)
        await state.update_data(ev_message=ev.id)
        await show(
            call,
            _(
                "Write the message for every family registered for № {id}. It goes out through the broadcast "
                "queue, at its pace."
            ).format(id=ev.id),
            kb([(_("« Event"), EvDesk(a=EvDeskAction.OPEN, id=ev.id))]),
        )
    elif a == EvDeskAction.EXPORT:
        await call.answer()
        people = await events.registrants(session, ev.id)
        data = event_files.registrations_xlsx(
            ev,
            people,
            views.xlsx_headers(),
            family=views.family_label,
            status=views.status_label,
            yes_no=lambda v: "" if v is None else (_("yes") if v else _("no")),
        )
        chat_id = call.message.chat.id if call.message else call.from_user.id
        await call.bot.send_document(
            chat_id,
            BufferedInputFile(data, filename=f"event-{ev.id}.xlsx"),
            caption=_("Registrations for event № {id}").format(id=ev.id),
        )
    elif a == EvDeskAction.MATCH:
        await call.answer()
        free = await volunteers.listing(session, status=VolunteerStatus.APPROVED, region=ev.region)
        await show(call, views.match_text(ev, free), views.match_kb(ev, free))
    elif a == EvDeskAction.ASSIGN:
        await _assign(call, ev, callback_data.v, ctx=ctx, session=session, catalog=catalog, settings=settings)
    elif a == EvDeskAction.CANCEL:
        await call.answer()
        await show(
            call,
            _("Cancel event № {id}? Every registered family will be told.").format(id=ev.id),
            views.cancel_sure_kb(ev),
        )
    elif a == EvDeskAction.CANCEL_SURE:
        await _cancel(call, ev, ctx=ctx, session=session, catalog=catalog, settings=settings)


async def _assign(
    call: CallbackQuery,
    ev: Event,
    volunteer_id: str,
    *,
    ctx: UserContext,
    session: AsyncSession,
    catalog: Catalog,
    settings: Settings,
) -> None:
    offered = await offer_task(call, volunteer_id, kind="event", target_id=ev.id, ctx=ctx, session=session)
    if offered is None:
        return
    task, vol = offered
    await show(call, *(await _card_screen(session, catalog, settings, ev)))
    with locale_scope(get_i18n(), vol.language):
        text, markup = vol_views.offered_note(task, None, event_line=vol_views.event_task_text(ev, catalog))
    await tell(call.bot, vol.tg_user_id, text, markup)


async def _cancel(
    call: CallbackQuery,
    ev: Event,
    *,
    ctx: UserContext,
    session: AsyncSession,
    catalog: Catalog,
    settings: Settings,
) -> None:
    try:
        people = await events.cancel_event(session, ev, actor_tg_id=ctx.user.id, role=role_of(ctx))
    except EventError:
        await call.answer(_("This event is already cancelled."), show_alert=True)
        return
    await session.commit()
    await call.answer(_("Cancelled; the families are told."))
    await show(call, *(await _card_screen(session, catalog, settings, ev)))
    for family in people:
        if family.is_active:
            with locale_scope(get_i18n(), family.language):
                text = event_views.event_cancelled_note(ev, catalog, family.language)
            await tell(call.bot, family.tg_user_id, text)


@router.message(EventMessage.text, F.text, ~F.text.startswith("/"))
async def message_typed(
    message: Message, state: FSMContext, ctx: UserContext, session: AsyncSession, catalog: Catalog
) -> None:
    data = await state.get_data()
    await state.clear()
    ev = await events.get(session, int(data.get("ev_message") or 0))
    if ev is None:
        await message.answer(_("This event no longer exists."))
        return
    entities = [e.model_dump(exclude_none=True) for e in (message.entities or [])]
    b = await bc.create_draft(
        session,
        actor_tg_id=ctx.user.id,
        role=role_of(ctx),
        chat_id=message.chat.id,
        content={"kind": "text", "text": message.text or "", "entities": entities},
    )
    await bc.set_segment(session, b, {"event": ev.id})
    count = await bc.count(session, b.segment)
    await bc.schedule(
        session,
        b,
        at=None,
        zone=str(event_views.zone(catalog, ev.region)),
        actor_tg_id=ctx.user.id,
        role=role_of(ctx),
    )
    await session.commit()
    await message.answer(
        _(
            "Announcement № {b} to the families registered for № {id}: {n} recipients. Its report follows."
        ).format(b=b.id, id=ev.id, n=count.total),
        reply_markup=kb([(_("« Event"), EvDesk(a=EvDeskAction.OPEN, id=ev.id))]),
    )
