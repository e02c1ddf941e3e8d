"""Support measures: the section, browsing by life situation and by level, measure cards and search.
The screener is handlers/family/screener.py; the texts are bot/views/measures.py.

The engine (bot/services/measures) decides everything; this module only asks, shows and remembers.
Before consent nothing is stored about the family: the screener's answers live in the FSM data for the session.
A consented family's answers to profile questions (children, pregnancy, disability) go into its profile, so they
are never asked twice; the other answers (income, work…) are kept only for the session.
"""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.middlewares.context import UserContext
from bot.services import clock
from bot.services import measures as ms
from bot.services.catalog import Catalog
from bot.views.callbacks import MsAction, MsM, MsNav, Nav
from bot.views.family import family_kb
from bot.views.measures import (
    card_kb,
    card_text,
    details_text,
    find_measure,
    how_text,
    level_screen,
    levels_screen,
    plain_result,
    search_screen,
    section_kb,
    section_text,
    situation_screen,
    situations_screen,
    why_text,
)
from bot.views.ui import clip, show

router = Router(name="family.measures")

MAX_QUESTIONS = 8  # one-tap questions per run; the results come after at most this many
MAX_CHILDREN = 6  # birth years asked for at most this many children (as in the profile)
ALWAYS_ASK = ("region", "children_count", "children_birth_years")  # the basis of every measure


BROWSING = frozenset(
    {MsAction.MENU, MsAction.SITUATIONS, MsAction.SIT, MsAction.LEVEL, MsAction.BACK}
)  # the screener's actions: handlers/family/screener.py


class MeasuresFlow(StatesGroup):
    browsing = State()  # in the section: free text is a search
    asking = State()  # a screener question is on the screen


VIEWS = frozenset("cwhd")
ORIGINS = frozenset("rb")


# --- small helpers --------------------------------------------------------------------------------------


async def refuse(call: CallbackQuery) -> None:
    await call.answer(_("This button no longer works."), show_alert=True)


def consented_family(ctx: UserContext):
    return ctx.family if ctx.consented else None


def facts_of(ctx: UserContext, data: dict[str, Any]) -> dict[str, Any]:
    """The family profile (if consented) plus this session's answers; answers win."""
    facts: dict[str, Any] = {}
    family = consented_family(ctx)
    if family is not None:
        for key, value in (family.profile or {}).items():
            if key in ms.PROFILE_FACTS and key != "region" and value is not None:
                facts[key] = value
        if family.region:
            facts["region"] = family.region
    facts.update(data.get("ms_answers") or {})
    return facts


def region_of(facts: dict[str, Any]) -> str | None:
    region = facts.get("region")
    return region if isinstance(region, str) and region != "other" else None


def children_to_ask(facts: dict[str, Any]) -> int:
    """How many birth years to ask: the number of children if known (5+ → 5), else 0."""
    count = facts.get("children_count")
    if isinstance(count, bool):
        return 0
    if isinstance(count, int):
        return min(count, MAX_CHILDREN)
    if isinstance(count, list) and count and isinstance(count[0], int):
        return min(count[0], MAX_CHILDREN)
    return 0


def screening(ctx: UserContext, data: dict[str, Any], cat: ms.Catalogue) -> ms.ScreeningResult:
    facts = facts_of(ctx, data)
    return ms.screen(facts, region_of(facts), clock.today(), cat)


# --- the section menu -------------------------------------------------------------------------------------


@router.callback_query(Nav.filter(F.to == "measures"))
async def open_section(call: CallbackQuery, state: FSMContext, ctx: UserContext) -> None:
    await call.answer()
    await state.set_state(MeasuresFlow.browsing)
    await show(call, section_text(), section_kb(ctx))


# --- measure cards -------------------------------------------------------------------------------------------


@router.callback_query(MsM.filter())
async def measure_view(
    call: CallbackQuery, callback_data: MsM, state: FSMContext, ctx: UserContext, catalog: Catalog
) -> None:
    cat = catalog.measures
    m = find_measure(cat, callback_data.m)
    if m is None or callback_data.v not in VIEWS or callback_data.f not in ORIGINS:
        await refuse(call)
        return
    data = await state.get_data()
    lang = ctx.locale
    if callback_data.f == "r":
        result = screening(ctx, data, cat).find(m.id) if data.get("ms_done") else None
        if result is None:
            await refuse(call)
            return
    else:
        if callback_data.v == "w":
            await refuse(call)
            return
        result = plain_result(m, cat)
    await call.answer()
    if await state.get_state() is None:
        await state.set_state(MeasuresFlow.browsing)
    back = [[(_("« Back"), MsM(v="c", f=callback_data.f, m=callback_data.m))]]
    if callback_data.v == "c":
        await show(
            call, card_text(result, lang, screened=callback_data.f == "r"), card_kb(ctx, m, callback_data.f)
        )
    elif callback_data.v == "w":
        await show(call, why_text(result, lang), family_kb(ctx, *back))
    elif callback_data.v == "h":
        await show(call, how_text(m, lang), family_kb(ctx, *back))
    else:
        await show(call, details_text(m, lang), family_kb(ctx, *back))


# --- browsing ------------------------------------------------------------------------------------------------


async def show_back(call: CallbackQuery, state: FSMContext, ctx: UserContext, cat: ms.Catalogue) -> None:
    """Back from a card opened while browsing: to the list it was opened from."""
    data = await state.get_data()
    back = data.get("ms_back") or {}
    kind, value = back.get("k"), back.get("v") or ""
    region = region_of(facts_of(ctx, data))
    if kind == "sit" and value in cat.life_situations:
        text, markup = situation_screen(ctx, cat, value, region)
    elif kind == "lvl" and value in ("federal", "regional"):
        text, markup = level_screen(ctx, cat, value, region)
    elif kind == "q" and value:
        text, markup = search_screen(ctx, cat, value)
    else:
        text, markup = section_text(), section_kb(ctx)
    await show(call, text, markup)


@router.callback_query(MsNav.filter(F.a.in_(BROWSING)))
async def browse(
    call: CallbackQuery, callback_data: MsNav, state: FSMContext, ctx: UserContext, catalog: Catalog
) -> None:
    """The section menu, life situations, federal / regional lists and the way back from a card."""
    cat = catalog.measures
    action, value = callback_data.a, callback_data.v
    if action == MsAction.SIT and value not in cat.life_situations:
        await refuse(call)
        return
    region_codes = {v for _label, v in ms.render_question(cat.question("region"), {}, "ru", cat).options}
    if action == MsAction.LEVEL and value not in ("", "federal", "regional", *(c for c in region_codes if c)):
        await refuse(call)
        return
    await call.answer()
    await state.set_state(MeasuresFlow.browsing)
    data = await state.get_data()
    region = region_of(facts_of(ctx, data))
    if action == MsAction.MENU:
        await show(call, section_text(), section_kb(ctx))
    elif action == MsAction.SITUATIONS:
        await show(call, *situations_screen(ctx, cat))
    elif action == MsAction.SIT:
        await state.update_data(ms_back={"k": "sit", "v": value})
        await show(call, *situation_screen(ctx, cat, value, region))
    elif action == MsAction.LEVEL:
        if value in region_codes:  # chosen here: kept for the session only (the family's own region wins)
            answers = {**(data.get("ms_answers") or {}), "region": value}
            await state.update_data(ms_answers=answers)
            region = region_of(facts_of(ctx, {**data, "ms_answers": answers}))
            value = "regional" if region else ""
        if value in ("federal", "regional"):
            await state.update_data(ms_back={"k": "lvl", "v": value})
            await show(call, *level_screen(ctx, cat, value, region))
        else:
            await show(call, *levels_screen(ctx, cat, region))
    else:  # back
        await show_back(call, state, ctx, cat)


@router.callback_query(F.data.startswith(MsNav.__prefix__ + ":"))
async def not_now(call: CallbackQuery) -> None:
    """An unknown action, or a screener button whose results are gone (the screener's router comes first)."""
    await refuse(call)


# --- search --------------------------------------------------------------------------------------------------


@router.message(MeasuresFlow.browsing, F.text, ~F.text.startswith("/"))
async def search_text(message: Message, state: FSMContext, ctx: UserContext, catalog: Catalog) -> None:
    query = message.text or ""
    text, markup = search_screen(ctx, catalog.measures, query)
    await state.update_data(ms_back={"k": "q", "v": clip(query.strip(), 200)})
    await message.answer(text, reply_markup=markup)
