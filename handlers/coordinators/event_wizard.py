"""Creating an event (a single one or a weekly series) step by step: title, description, kind, region, city, a place
of the directory / an address / an online link, date and time in the region's zone, sessions, seats, for whom,
when registration closes; then a summary to confirm. The answers live in the flow's data until «Создать»."""

from __future__ import annotations

from datetime import datetime

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.config import Settings
from bot.db.session import AsyncSession
from bot.middlewares.context import UserContext
from bot.services import events
from bot.services.broadcasts import PROFILE_TAGS
from bot.services.catalog import Catalog
from bot.services.events import Draft
from bot.views import event_desk as views
from bot.views.callbacks import EvDesk, EvDeskAction
from bot.views.events import zone
from bot.views.ui import kb, show
from handlers.choices import toggle_choice
from handlers.filters import role_of

router = Router(name="coordinators.event_wizard")


class EventFlow(StatesGroup):
    title = State()
    description = State()
    kind = State()
    region = State()
    city = State()
    place = State()
    address = State()
    link = State()
    when = State()
    sessions = State()
    seats = State()
    audience = State()
    opens = State()
    close = State()
    confirm = State()


def _regions(catalog: Catalog, locale: str) -> list[tuple[str, str]]:
    return [(r.code, r.name.get(locale)) for r in catalog.regions if r.code != "other"]


def _stale() -> str:
    return _("This button no longer works.")


@router.callback_query(EvDesk.filter(F.a == EvDeskAction.NEW))
async def new(call: CallbackQuery, state: FSMContext) -> None:
    await call.answer()
    await state.set_state(EventFlow.title)
    await state.set_data({})
    await show(call, views.ask_title())


@router.message(EventFlow.title, F.text, ~F.text.startswith("/"))
async def title(message: Message, state: FSMContext) -> None:
    await state.update_data(ev_title=(message.text or "").strip()[: events.MAX_TITLE])
    await state.set_state(EventFlow.description)
    await message.answer(views.ask_description())


@router.message(EventFlow.description, F.text, ~F.text.startswith("/"))
async def description(message: Message, state: FSMContext) -> None:
    text = (message.text or "").strip()
    await state.update_data(ev_description="" if text == "-" else text[: events.MAX_DESCRIPTION])
    await state.set_state(EventFlow.kind)
    await show(message, *views.ask_kind())


@router.callback_query(EventFlow.kind, EvDesk.filter(F.a == EvDeskAction.KIND))
async def kind(
    call: CallbackQuery, callback_data: EvDesk, state: FSMContext, catalog: Catalog, settings: Settings
) -> None:
    if callback_data.v not in events.KINDS:
        await call.answer(_stale(), show_alert=True)
        return
    await call.answer()
    await state.update_data(ev_kind=callback_data.v)
    await state.set_state(EventFlow.region)
    await show(call, *views.ask_region(_regions(catalog, settings.default_locale)))


@router.callback_query(EventFlow.region, EvDesk.filter(F.a == EvDeskAction.REGION))
async def region(call: CallbackQuery, callback_data: EvDesk, state: FSMContext, catalog: Catalog) -> None:
    if catalog.region(callback_data.v) is None or callback_data.v == "other":
        await call.answer(_stale(), show_alert=True)
        return
    await call.answer()
    await state.update_data(ev_region=callback_data.v)
    await state.set_state(EventFlow.city)
    await show(call, views.ask_city())


@router.message(EventFlow.city, F.text, ~F.text.startswith("/"))
async def city(message: Message, state: FSMContext, catalog: Catalog, settings: Settings) -> None:
    await state.update_data(ev_city=(message.text or "").strip()[: events.MAX_CITY])
    region_code = (await state.get_data()).get("ev_region")
    found = catalog.places.filtered(region=region_code) if catalog.places and region_code else []
    await state.set_state(EventFlow.place)
    await show(message, *views.ask_place([(p.id, p.org.name.get(settings.default_locale)) for p in found]))


@router.callback_query(EventFlow.place, EvDesk.filter(F.a == EvDeskAction.PLACE))
async def place(call: CallbackQuery, callback_data: EvDesk, state: FSMContext, catalog: Catalog) -> None:
    found = catalog.places.get(callback_data.v) if catalog.places else None
    if found is None:
        await call.answer(_stale(), show_alert=True)
        return
    await call.answer()
    await state.update_data(ev_place=found.id)
    await _ask_when(call, state, catalog)


@router.callback_query(EventFlow.place, EvDesk.filter(F.a.in_({EvDeskAction.ADDRESS, EvDeskAction.ONLINE})))
async def place_other(call: CallbackQuery, callback_data: EvDesk, state: FSMContext) -> None:
    await call.answer()
    online = callback_data.a == EvDeskAction.ONLINE
    await state.set_state(EventFlow.link if online else EventFlow.address)
    await show(call, views.ask_link() if online else views.ask_address())


@router.message(EventFlow.address, F.text, ~F.text.startswith("/"))
async def address(message: Message, state: FSMContext, catalog: Catalog) -> None:
    await state.update_data(ev_address=(message.text or "").strip()[: events.MAX_ADDRESS])
    await _ask_when(message, state, catalog)


@router.message(EventFlow.link, F.text, ~F.text.startswith("/"))
async def link(message: Message, state: FSMContext, catalog: Catalog) -> None:
    url = (message.text or "").strip()
    if not url.startswith("https://") or " " in url or len(url) > 500:
        await message.answer(views.ask_link())
        return
    await state.update_data(ev_link=url)
    await _ask_when(message, state, catalog)


async def _ask_when(event: Message | CallbackQuery, state: FSMContext, catalog: Catalog) -> None:
    await state.set_state(EventFlow.when)
    region_code = (await state.get_data()).get("ev_region") or ""
    await show(event, views.ask_when(str(zone(catalog, region_code))))


@router.message(EventFlow.when, F.text, ~F.text.startswith("/"))
async def when(message: Message, state: FSMContext, catalog: Catalog) -> None:
    try:
        at = datetime.strptime((message.text or "").strip(), "%d.%m.%Y %H:%M")
    except ValueError:
        at = None
    region_code = (await state.get_data()).get("ev_region") or ""
    tz = zone(catalog, region_code)
    if at is None or at.replace(tzinfo=tz) <= events.now():
        await message.answer(_("I could not read a date and time ahead. Write it like «20.12.2026 18:00»."))
        return
    await state.update_data(ev_day=at.date().isoformat(), ev_time=at.strftime("%H:%M"))
    await state.set_state(EventFlow.sessions)
    await message.answer(views.ask_sessions())


def _number(text: str | None, low: int, high: int) -> int | None:
    value = (text or "").strip()
    return int(value) if value.isdigit() and low <= int(value) <= high else None


@router.message(EventFlow.sessions, F.text, ~F.text.startswith("/"))
async def sessions(message: Message, state: FSMContext) -> None:
    n = _number(message.text, 1, 20)
    if n is None:
        await message.answer(views.ask_sessions())
        return
    await state.update_data(ev_sessions=n)
    await state.set_state(EventFlow.seats)
    await message.answer(views.ask_seats())


@router.message(EventFlow.seats, F.text, ~F.text.startswith("/"))
async def seats(message: Message, state: FSMContext) -> None:
    n = _number(message.text, 1, events.MAX_SEATS)
    if n is None:
        await message.answer(views.ask_seats())
        return
    await state.update_data(ev_seats=n, ev_audience=[])
    await state.set_state(EventFlow.audience)
    await show(message, *views.ask_audience([]))


@router.callback_query(EventFlow.audience, EvDesk.filter(F.a == EvDeskAction.AUDIENCE))
async def audience(call: CallbackQuery, callback_data: EvDesk, state: FSMContext) -> None:
    if callback_data.v not in PROFILE_TAGS:
        await call.answer(_stale(), show_alert=True)
        return
    await call.answer()
    chosen = await toggle_choice(state, "ev_audience", callback_data.v)
    await show(call, *views.ask_audience(chosen))


@router.callback_query(EventFlow.audience, EvDesk.filter(F.a == EvDeskAction.AUDIENCE_DONE))
async def audience_done(call: CallbackQuery, state: FSMContext) -> None:
    await call.answer()
    await state.set_state(EventFlow.opens)
    await show(call, *views.ask_opens())


@router.callback_query(EventFlow.opens, EvDesk.filter(F.a == EvDeskAction.OPENS))
async def opens(call: CallbackQuery, callback_data: EvDesk, state: FSMContext) -> None:
    days = _number(callback_data.v, 0, 14)
    if days not in events.OPEN_BEFORE:
        await call.answer(_stale(), show_alert=True)
        return
    await call.answer()
    await state.update_data(ev_opens=days)
    await state.set_state(EventFlow.close)
    await show(call, *views.ask_close())


def _draft(data: dict) -> Draft:
    return Draft(
        title=str(data["ev_title"]),
        description=str(data.get("ev_description") or ""),
        kind=str(data["ev_kind"]),
        region=str(data["ev_region"]),
        city=str(data["ev_city"]),
        first_day=datetime.fromisoformat(str(data["ev_day"])).date(),
        at=datetime.strptime(str(data["ev_time"]), "%H:%M").time(),
        sessions=int(data.get("ev_sessions") or 1),
        seats=int(data["ev_seats"]),
        place_id=data.get("ev_place"),
        address=data.get("ev_address"),
        online_url=data.get("ev_link"),
        audience=list(data.get("ev_audience") or []),
        close_before_min=int(data.get("ev_close") or 0),
        open_before_days=int(data.get("ev_opens") or 0),
    )


@router.callback_query(EventFlow.close, EvDesk.filter(F.a == EvDeskAction.CLOSE))
async def close(
    call: CallbackQuery, callback_data: EvDesk, state: FSMContext, catalog: Catalog, settings: Settings
) -> None:
    minutes = _number(callback_data.v, 0, 1440)
    if minutes not in events.CLOSE_BEFORE:
        await call.answer(_stale(), show_alert=True)
        return
    await call.answer()
    await state.update_data(ev_close=minutes)
    await state.set_state(EventFlow.confirm)
    d = _draft(await state.get_data())
    locale = settings.default_locale
    found = catalog.places.get(d.place_id) if d.place_id and catalog.places else None
    where = found.org.name.get(locale) if found else (d.address or d.online_url or "")
    region_found = catalog.region(d.region)
    region_label = region_found.name.get(locale) if region_found else d.region
    await show(
        call, views.summary_text(d, region_label, where, str(zone(catalog, d.region))), views.summary_kb()
    )


@router.callback_query(EventFlow.confirm, EvDesk.filter(F.a == EvDeskAction.SAVE))
async def save(
    call: CallbackQuery, state: FSMContext, ctx: UserContext, session: AsyncSession, catalog: Catalog
) -> None:
    data = await state.get_data()
    await state.clear()
    try:
        d = _draft(data)
        rows = await events.create_series(
            session, d, zone(catalog, d.region), actor_tg_id=ctx.user.id, role=role_of(ctx)
        )
    except (KeyError, ValueError):
        await call.answer(_stale(), show_alert=True)
        return
    await session.commit()
    await call.answer()
    numbers = ", ".join(f"№ {ev.id}" for ev in rows)
    await show(
        call,
        _("The event is created: {numbers}. Families of the region see it in «Events».").format(
            numbers=numbers
        ),
        kb([(_("Open № {id}").format(id=rows[0].id), EvDesk(a=EvDeskAction.OPEN, id=rows[0].id))]),
    )


@router.callback_query(EvDesk.filter())
async def stale(call: CallbackQuery) -> None:
    """A wizard's button after its step (or the flow) is over, or a forged one."""
    await call.answer(_stale(), show_alert=True)
