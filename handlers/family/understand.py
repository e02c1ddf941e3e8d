"""What a family types where the bot is not waiting for a particular answer: understood, then answered.

A measure or a life situation → its card or list, with «Ask a specialist» beside it; contacts → the contacts that fit,
regional first; «I want to talk to a lawyer» → a request to that specialty (with consent); greetings, thanks, «ok» → a
short reply and the menu, never a request; anything unclear → one question with the best guesses as buttons and
«Write to a specialist» (a request only when the family presses it). Danger never reaches here: the crisis
middleware answers it first. Inside an open request, text goes to the operator (handlers/family/handoff.py).
"""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.config import Settings
from bot.db.session import AsyncSession
from bot.middlewares.context import UserContext
from bot.services import aid, cases, desk, unanswered
from bot.services import measures as ms
from bot.services.catalog import Catalog
from bot.services.desk import hand_off
from bot.services.understanding import Guess, Reading
from bot.views import measures as msv
from bot.views import understanding as views
from bot.views.callbacks import MsM, MsNav
from bot.views.family import (
    expectations_text,
    family_kb,
    org_card,
    region_of,
    settings_kb,
    settings_text,
)
from bot.views.places import contacts_shown
from bot.views.ui import show
from handlers.family import measures as msh
from handlers.family.common import end_flow
from handlers.family.menu import requests_screen
from handlers.relaying import relay_message

log = logging.getLogger(__name__)

router = Router(name="family.understand")
# In the measures section free text is a measure search; only what is clearly something else is taken from it.
browsing_router = Router(name="family.understand.browsing")

MEASURE_ACTIONS = frozenset({"measure", "situation", "measures"})
SPECIALIST_CATEGORY = {"lawyer": "legal", "psychologist": "psychological", "social_consultant": "other"}


def read(catalog: Catalog, ctx: UserContext, text: str) -> Reading:
    """What the text is about. A danger signal is the crisis middleware's (it answers before any handler, and a
    message it lets through, such as a possible signal after its safety check, still deserves its other answer)."""
    return catalog.understander.understand(text, ctx.locale, region_of(ctx)).apart_from_danger()


@browsing_router.message(msh.MeasuresFlow.browsing, F.text, ~F.text.startswith("/"))
async def while_browsing(
    message: Message,
    state: FSMContext,
    ctx: UserContext,
    session: AsyncSession,
    catalog: Catalog,
    settings: Settings,
    desk_chats: desk.DeskChats,
) -> None:
    reading = read(catalog, ctx, message.text or "")
    decided = reading.decided
    if decided is None or decided.action in MEASURE_ACTIONS:
        if not ms.search(message.text or "", ctx.locale, catalog.measures):  # the search will find nothing
            await record_unanswered(session, reading, ctx)
        raise SkipHandler  # the measure search answers
    await end_flow(state)
    await act(message, decided, reading, ctx, session, catalog, settings, desk_chats, state, message=message)


@router.message(StateFilter(None), F.text, ~F.text.startswith("/"))
async def typed(
    message: Message,
    state: FSMContext,
    ctx: UserContext,
    session: AsyncSession,
    catalog: Catalog,
    settings: Settings,
    desk_chats: desk.DeskChats,
) -> None:
    reading = read(catalog, ctx, message.text or "")
    decided = reading.decided
    if decided is None:
        await unclear(message, reading, ctx, session)
        return
    await act(message, decided, reading, ctx, session, catalog, settings, desk_chats, state, message=message)


@router.callback_query(views.Und.filter())
async def pressed(
    call: CallbackQuery,
    callback_data: views.Und,
    state: FSMContext,
    ctx: UserContext,
    session: AsyncSession,
    catalog: Catalog,
    settings: Settings,
    desk_chats: desk.DeskChats,
) -> None:
    if callback_data.a == "req" and callback_data.k in (*SPECIALIST_CATEGORY, "crisis"):
        await call.answer()
        await request(call, callback_data.k, None, ctx, session, catalog, settings, desk_chats, message=None)
        return
    guess = catalog.understander.guess(views.unpack_key(callback_data.k)) if callback_data.a == "go" else None
    if guess is None:
        await call.answer(_("This button no longer works."), show_alert=True)
        return
    await call.answer()
    await end_flow(state)
    await act(call, guess, None, ctx, session, catalog, settings, desk_chats, state, message=None)


async def unclear(message: Message, reading: Reading, ctx: UserContext, session: AsyncSession) -> None:
    """One clarifying question; the theme (never the text, never the family) is counted for coordinators."""
    guesses = reading.options(3)
    await record_unanswered(session, reading, ctx)
    await message.answer(views.unclear_text(bool(guesses)), reply_markup=views.unclear_kb(ctx, guesses))


async def record_unanswered(session: AsyncSession, reading: Reading, ctx: UserContext) -> None:
    best = reading.best
    theme = best.theme if best is not None else "none"
    await unanswered.record(session, theme=theme, locale=ctx.locale, region=region_of(ctx))


async def act(
    event: Message | CallbackQuery,
    guess: Guess,
    reading: Reading | None,
    ctx: UserContext,
    session: AsyncSession,
    catalog: Catalog,
    settings: Settings,
    desk_chats: desk.DeskChats,
    state: FSMContext,
    *,
    message: Message | None,
) -> None:
    action = guess.action
    if action in ("greeting", "thanks", "ack", "bye", "about_bot"):
        await show(event, views.small_talk_text(action, ctx), views.small_talk_kb(ctx))
    elif action == "measures":
        await state.set_state(msh.MeasuresFlow.browsing)
        await show(event, msv.section_text(), msv.section_kb(ctx))
    elif action == "measure":
        await show_measure(event, guess.params["measure"], ctx, catalog, state)
    elif action == "situation":
        await show_situation(event, guess.params["situation"], ctx, catalog, state)
    elif action == "contacts":
        await show_contacts(event, guess.params.get("org_kind"), ctx, catalog)
    elif action == "card":
        await show(event, views.card_text(), views.card_kb(ctx))
    elif action == "specialist":
        await request(
            event,
            guess.params["specialty"],
            guess,
            ctx,
            session,
            catalog,
            settings,
            desk_chats,
            message=message,
        )
    elif action == "suggest":
        kind = guess.params["specialty"]
        await show(event, views.suggest_text(kind), views.suggest_kb(ctx, kind))
    elif action == "requests":
        await show_requests(event, ctx, session)
    elif action == "settings":
        await show(event, settings_text(ctx, catalog), settings_kb(ctx))
    else:  # an action the data knows and this module does not: ask rather than guess
        log.warning("no route for the action %s", action)
        if isinstance(event, Message) and reading is not None:
            await unclear(event, reading, ctx, session)


async def show_measure(
    event: Message | CallbackQuery, measure_id: str, ctx: UserContext, catalog: Catalog, state: FSMContext
) -> None:
    cat = catalog.measures
    m = cat.measures[measure_id]
    # no section state: the family's next message is understood afresh, not taken as a measure search
    code = msv.measure_code(m.id)
    text = msv.card_text(msv.plain_result(m, cat), ctx.locale, screened=False)
    markup = family_kb(
        ctx,
        [(_("How to apply"), MsM(v="h", f="b", m=code)), (_("More"), MsM(v="d", f="b", m=code))],
        views.ask_specialist_row(),
        [(_("« Support measures"), MsNav(a="menu"))],
    )
    await show(event, text, markup)


async def show_situation(
    event: Message | CallbackQuery, situation_id: str, ctx: UserContext, catalog: Catalog, state: FSMContext
) -> None:
    await state.update_data(ms_back={"k": "sit", "v": situation_id})  # «« Back» from a measure card
    text, _markup = msv.situation_screen(ctx, catalog.measures, situation_id, region_of(ctx))
    measures = catalog.measures.by_life_situation(situation_id, region_of(ctx))
    markup = family_kb(
        ctx,
        *msv.measure_rows(measures, ctx.locale),
        views.ask_specialist_row(),
        [(_("« Life situations"), MsNav(a="sits"))],
    )
    await show(event, text, markup)


async def show_contacts(
    event: Message | CallbackQuery, kind: str | None, ctx: UserContext, catalog: Catalog
) -> None:
    region = region_of(ctx)
    kinds = dict(catalog.directory_kinds(ctx.locale))
    orgs = catalog.directory(region, kind if kind in kinds else None)  # the region's own first, then federal
    body = [views.contacts_heading(kinds.get(kind or ""))]
    body += [org_card(org, ctx.locale) for org in contacts_shown(orgs)]
    await show(event, "\n\n".join(body), views.contacts_kb(ctx))


async def show_requests(event: Message | CallbackQuery, ctx: UserContext, session: AsyncSession) -> None:
    if not ctx.consented:
        await show(event, _("You have no requests yet."), family_kb(ctx))
        return
    rows = await cases.recent_of_family(session, ctx.family.id)
    things = await aid.open_of_family(session, ctx.family.id)
    if not rows and not things:
        await show(event, _("You have no requests yet."), family_kb(ctx))
        return
    await show(event, *(await requests_screen(session, list(rows), ctx, things)))


async def request(
    event: Message | CallbackQuery,
    kind: str,
    guess: Guess | None,
    ctx: UserContext,
    session: AsyncSession,
    catalog: Catalog,
    settings: Settings,
    desk_chats: desk.DeskChats,
    *,
    message: Message | None,
) -> None:
    """A request to `kind`, as if chosen under «Talk to a specialist»; the typed message becomes its first one."""
    if not ctx.consented:
        await show(event, views.consent_needed_text(kind), views.consent_needed_kb(ctx))
        return
    crisis = kind == "crisis"
    if guess is not None:
        summary = {"intent": guess.key, "confidence": guess.confidence}
    else:
        summary = {"intent": catalog.understander.specialist_key(kind)}
    case = await cases.record_request(
        session,
        ctx.family,
        tier=3 if crisis else 2,
        specialty=None if crisis else kind,
        category="violence_safety" if crisis else SPECIALIST_CATEGORY[kind],
        urgency="emergency" if crisis else "routine",
        route="crisis_centre" if crisis else "consultant",
        source="message" if message is not None else "menu",
        summary=summary,
    )
    ctx.family.is_active = True
    await hand_off(session, case, desk_chats)
    if message is not None:
        relay_message(session, case, message, target="staff")
        await desk.note_family_message(session, case, actor_tg_id=message.chat.id)
    await session.commit()  # the request is safe before the family is told
    await show(event, await expectations_text(session, case, catalog, ctx, settings), family_kb(ctx))
