"""«Near me»: a family shares its location (or picks a city) and gets the three nearest places as venues.

The location is used for that one answer and never stored: it is not put into the FSM data, the database or the
log (the logging middleware writes no message content). Only the chosen kind of help is kept in the FSM data
while the family is on the «send your location» screen.
"""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message, ReplyKeyboardRemove

from bot.middlewares.context import UserContext
from bot.services.catalog import Catalog
from bot.services.geo import valid_point
from bot.services.places import Directory, Place
from bot.views import places as views
from bot.views.callbacks import Near
from bot.views.family import main_menu_kb, main_menu_text
from handlers.family.common import end_flow

log = logging.getLogger(__name__)

router = Router(name="family.places")
any_location = Router(name="family.places.any_location")  # included just before the fallback

NEAREST = 3


class NearMe(StatesGroup):
    waiting = State()


def _directory(catalog: Catalog) -> Directory | None:
    return catalog.places


def _kind_or_none(catalog: Catalog, kind: str | None) -> str | None:
    return kind if kind and kind in catalog.content.kinds else None


def _cities(directory: Directory, region: str | None) -> list:
    own = directory.cities(region) if region else []
    others = [c for c in directory.cities() if c not in own]
    return (own + others)[:8]


@router.callback_query(Near.filter())
async def near_start(
    call: CallbackQuery, callback_data: Near, state: FSMContext, ctx: UserContext, catalog: Catalog
) -> None:
    directory = _directory(catalog)
    kind = callback_data.kind
    if directory is None or (kind and kind not in catalog.content.kinds):
        await call.answer(views.nothing_text(), show_alert=True)
        return
    await call.answer()
    await state.set_state(NearMe.waiting)
    await state.update_data(near_kind=kind)
    label = dict(catalog.directory_kinds(ctx.locale)).get(kind) if kind else None
    region = ctx.family.region if ctx.family else None
    # a new message: a reply keyboard cannot be put on an edited one (and the old screen may be gone)
    await call.bot.send_message(
        call.from_user.id,
        views.prompt_text(label),
        reply_markup=views.prompt_kb(_cities(directory, region), ctx.locale),
    )


async def _send_places(message: Message, found: list[tuple[Place, float | None]], lang: str) -> None:
    """Each place as a venue (a pin with its name and address), in order."""
    for place, _metres in found:
        await message.bot.send_venue(
            message.chat.id,
            latitude=place.lat,
            longitude=place.lon,
            title=views.venue_title(place.org, lang),
            address=views.venue_address(place, lang),
        )


async def answer_location(
    message: Message, state: FSMContext, ctx: UserContext, catalog: Catalog, lat: float, lon: float
) -> None:
    data = await state.get_data()
    kind = _kind_or_none(catalog, data.get("near_kind"))
    if await state.get_state() == NearMe.waiting.state:
        await end_flow(state)
    directory = _directory(catalog)
    if directory is None or not valid_point(lat, lon):
        await message.answer(views.nothing_text(), reply_markup=ReplyKeyboardRemove())
        return
    nearby = directory.nearest(lat, lon, kind=kind, limit=NEAREST)
    if not nearby:
        await message.answer(views.nothing_text(), reply_markup=ReplyKeyboardRemove())
        return
    found = [(n.place, n.metres) for n in nearby]
    await _send_places(message, found, ctx.locale)
    cards = [views.place_card(p, ctx.locale, m, i) for i, (p, m) in enumerate(found, 1)]
    far = nearby[0].metres > views.FAR_METRES
    # the phone lines of the region the family is in (the nearest place's, when it is near) or has chosen
    region = nearby[0].place.org.region if not far else (ctx.family.region if ctx.family else None)
    lines = views.lines_block(directory.lines(region, kind=kind), ctx.locale)
    await message.answer(views.answer_text(cards, far, lines), reply_markup=ReplyKeyboardRemove())


@router.message(NearMe.waiting, F.location)
async def near_location(message: Message, state: FSMContext, ctx: UserContext, catalog: Catalog) -> None:
    loc = message.location
    await answer_location(message, state, ctx, catalog, loc.latitude, loc.longitude)


@router.message(NearMe.waiting, F.text, ~F.text.startswith("/"))
async def near_city(message: Message, state: FSMContext, ctx: UserContext, catalog: Catalog) -> None:
    directory = _directory(catalog)
    text = (message.text or "").strip().casefold()
    if directory is None or text == views.cancel_button().casefold():
        await end_flow(state)
        await message.answer("👌", reply_markup=ReplyKeyboardRemove())
        await message.answer(main_menu_text(ctx), reply_markup=main_menu_kb(ctx))
        return
    match = next(
        (
            (key, city)
            for key, city in directory.cities()
            if text in (city.name.ru.casefold(), city.name.en.casefold())
        ),
        None,
    )
    if match is None:
        # not a city: the family is writing something else (a question for its request, say) — leave the
        # «near me» screen and let the next handlers take the message as usual
        await end_flow(state)
        raise SkipHandler
    key, city = match
    kind = _kind_or_none(catalog, (await state.get_data()).get("near_kind"))
    await end_flow(state)
    found_places = directory.in_city(key, kind=kind, limit=NEAREST)
    if not found_places:
        await message.answer(views.nothing_text(), reply_markup=ReplyKeyboardRemove())
        return
    found: list[tuple[Place, float | None]] = [(p, None) for p in found_places]
    await _send_places(message, found, ctx.locale)
    cards = [views.place_card(p, ctx.locale, None, i) for i, (p, _m) in enumerate(found, 1)]
    lines = views.lines_block(directory.lines(city.region, kind=kind), ctx.locale)
    await message.answer(
        views.city_answer_text(city, ctx.locale, cards, lines), reply_markup=ReplyKeyboardRemove()
    )


@any_location.message(F.location)
async def any_location_message(
    message: Message, state: FSMContext, ctx: UserContext, catalog: Catalog
) -> None:
    """A location sent outside the «near me» screen (and outside an open request): the nearest places too.
    A live location is answered once, for its first point (its updates arrive as edits, which need no answer)."""
    loc = message.location
    await answer_location(message, state, ctx, catalog, loc.latitude, loc.longitude)
