"""Support measures: the screener. One-tap questions (asked only when they can change a result), the results,
the summary to keep and the way to a social consultant.

Before consent nothing is stored about the family: the answers live in the FSM data for the session. A consented
family's answers to profile questions (children, pregnancy, disability) go into its profile, so they are never
asked twice; the other answers (income, work…) are kept only for the session.
"""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import BaseFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.config import Settings
from bot.db.session import AsyncSession
from bot.middlewares.context import UserContext
from bot.services import cases, clock, families, followup
from bot.services import measures as ms
from bot.services.catalog import Catalog
from bot.services.desk import DeskChats
from bot.services.profile import FIELDS
from bot.views.callbacks import Consent, MsAction, MsM, MsNav, MsQ, MsY
from bot.views.family import family_kb
from bot.views.measures import (
    YEAR_OLDER,
    YEAR_UNKNOWN,
    YEARS_BACK,
    measure_code,
    option_rows,
    other_text,
    pack,
    question_text,
    results_kb,
    results_text,
    summary_parts,
    years_kb,
)
from bot.views.ui import show
from handlers.family.measures import (
    ALWAYS_ASK,
    MAX_QUESTIONS,
    MeasuresFlow,
    children_to_ask,
    consented_family,
    facts_of,
    refuse,
    region_of,
    screening,
)
from handlers.family.menu import request_handed_off

router = Router(name="family.screener")


def next_question(facts: dict[str, Any], asked: int, cat: ms.Catalogue) -> ms.Question | None:
    """The next question worth asking: still missing, and able to change some «maybe» (or basic)."""
    if asked >= MAX_QUESTIONS:
        return None
    missing = ms.missing_questions(facts, cat, on=clock.today())
    if not missing:
        return None
    useful = set(ms.ask_next(facts, region_of(facts), clock.today(), cat))
    if "income_level" in useful and ms.income_threshold(region_of(facts), 1, clock.today().year, cat):
        useful.add("adults_count")  # the income question can then show the family's own threshold
    for question in missing:
        if question.fact in ALWAYS_ASK or question.fact in useful:
            return question
    return None


async def ask_or_finish(
    call: CallbackQuery, state: FSMContext, ctx: UserContext, cat: ms.Catalogue
) -> ms.ScreeningResult | None:
    """Show the next useful question, or the results when there is none left (then the results)."""
    data = await state.get_data()
    answers = dict(data.get("ms_answers") or {})
    asked = int(data.get("ms_n") or 0)
    while True:
        facts = facts_of(ctx, {"ms_answers": answers})
        question = next_question(facts, asked, cat)
        if question is None or question.kind != "years" or children_to_ask(facts) > 0:
            break
        answers[question.fact] = None  # the number of children is unknown: we cannot ask year by year
    if question is None:
        await state.update_data(ms_answers=answers, ms_q=None, ms_done=True)
        await state.set_state(MeasuresFlow.browsing)
        return await show_results(call, state, ctx, cat)
    await state.set_state(MeasuresFlow.asking)
    await state.update_data(ms_answers=answers, ms_q=question.id, ms_years=[])
    rq = ms.render_question(question, facts, ctx.locale, cat, on=clock.today())
    text = question_text(rq, asked == 0, ctx)
    if question.kind == "years":
        total = children_to_ask(facts)
        text += "\n\n" + _("Child {n} of {total}: year of birth?").format(n=1, total=total)
        await show(call, text, years_kb(ctx, 0))
        return None
    await show(
        call, text, family_kb(ctx, *option_rows(rq), [(_("Show results now"), MsNav(a=MsAction.DONE))])
    )
    return None


async def start_screener(
    call: CallbackQuery, state: FSMContext, ctx: UserContext, cat: ms.Catalogue
) -> ms.ScreeningResult | None:
    data = await state.get_data()
    kept = {k: v for k, v in (data.get("ms_answers") or {}).items() if k == "region"}
    await state.update_data(ms_answers=kept, ms_n=0, ms_done=False, ms_q=None)
    return await ask_or_finish(call, state, ctx, cat)


async def save_to_profile(session: AsyncSession, ctx: UserContext, fact: str, value: Any) -> None:
    """Profile answers given in the screener are kept in the profile of a consented family."""
    family = consented_family(ctx)
    if family is None or fact not in FIELDS or value is None:
        return
    if fact == "children_count" and not (isinstance(value, int) and not isinstance(value, bool)):
        return  # «5 or more» is a range; the profile keeps exact numbers only
    if fact in ("pregnant", "child_disability") and not isinstance(value, bool):
        return
    await families.update_profile(session, family, **{fact: value})


async def results_seen(
    session: AsyncSession, settings: Settings, ctx: UserContext, state: FSMContext, res: ms.ScreeningResult
) -> None:
    """A screener run ended with these results (as shown): a consented family is asked later whether it applied."""
    family = consented_family(ctx)
    if family is None:
        return
    data = await state.get_data()
    ids = [r.measure.id for r in (*res.likely, *res.maybe)]
    after = followup.delay(settings.followup_after_days)
    await followup.schedule(session, family, ids, region_of(facts_of(ctx, data)), after=after)


@router.callback_query(MsQ.filter())
async def answer(
    call: CallbackQuery,
    callback_data: MsQ,
    state: FSMContext,
    ctx: UserContext,
    catalog: Catalog,
    session: AsyncSession,
    settings: Settings,
) -> None:
    cat = catalog.measures
    data = await state.get_data()
    current = data.get("ms_q") if await state.get_state() == MeasuresFlow.asking.state else None
    if current != callback_data.q:
        await call.answer(_("This question is from an earlier screen."))
        return
    try:
        question = cat.question(callback_data.q)
    except KeyError:
        await refuse(call)
        return
    facts = facts_of(ctx, data)
    rq = ms.render_question(question, facts, ctx.locale, cat, on=clock.today())
    if question.kind == "years" or not 0 <= callback_data.o < len(rq.options):
        await refuse(call)
        return
    await call.answer()
    value = rq.options[callback_data.o][1]
    answers = {**(data.get("ms_answers") or {}), question.fact: value}
    await state.update_data(ms_answers=answers, ms_n=int(data.get("ms_n") or 0) + 1)
    results = await ask_or_finish(call, state, ctx, cat)
    await save_to_profile(session, ctx, question.fact, value)  # last: SQLite locks the FSM table until commit
    if results is not None:
        await results_seen(session, settings, ctx, state, results)


@router.callback_query(MsY.filter())
async def answer_year(
    call: CallbackQuery,
    callback_data: MsY,
    state: FSMContext,
    ctx: UserContext,
    catalog: Catalog,
    session: AsyncSession,
    settings: Settings,
) -> None:
    cat = catalog.measures
    data = await state.get_data()
    asking = await state.get_state() == MeasuresFlow.asking.state
    years = list(data.get("ms_years") or [])
    if not asking or data.get("ms_q") != "children_birth_years" or callback_data.i != len(years):
        await call.answer(_("This question is from an earlier screen."))
        return
    this_year = clock.today().year
    year = callback_data.y
    if year not in (YEAR_OLDER, YEAR_UNKNOWN) and not this_year - YEARS_BACK < year <= this_year:
        await refuse(call)
        return
    await call.answer()
    years.append(year if year > 0 else None)
    facts = facts_of(ctx, data)
    total = children_to_ask(facts)
    if len(years) < total:
        await state.update_data(ms_years=years)
        text = _("Child {n} of {total}: year of birth?").format(n=len(years) + 1, total=total)
        await show(call, text, years_kb(ctx, len(years)))
        return
    answers = {**(data.get("ms_answers") or {}), "children_birth_years": years}
    await state.update_data(ms_answers=answers, ms_years=[], ms_n=int(data.get("ms_n") or 0) + 1)
    results = await ask_or_finish(call, state, ctx, cat)
    await save_to_profile(session, ctx, "children_birth_years", years)  # last, as above
    if results is not None:
        await results_seen(session, settings, ctx, state, results)


async def show_results(
    call: CallbackQuery, state: FSMContext, ctx: UserContext, cat: ms.Catalogue
) -> ms.ScreeningResult:
    res = screening(ctx, await state.get_data(), cat)
    await show(call, results_text(res, cat, ctx.locale), results_kb(ctx, res, ctx.locale))
    return res


async def save_summary(call: CallbackQuery, state: FSMContext, ctx: UserContext, cat: ms.Catalogue) -> None:
    """The summary arrives as new messages the family can keep, pin or forward; the menu moves below it."""
    if not isinstance(call.message, Message):
        await refuse(call)
        return
    await call.answer()
    res = screening(ctx, await state.get_data(), cat)
    for text in pack(summary_parts(res, cat, ctx.locale)):
        await call.message.answer(text)
    try:
        await call.message.delete()  # the old results menu would now sit above the summary
    except TelegramBadRequest:
        pass
    await call.message.answer(
        _("The summary is above: you can pin it or forward it."),
        reply_markup=family_kb(
            ctx,
            [(_("Ask a specialist"), MsNav(a=MsAction.ASK))],
            [(_("« Results"), MsNav(a=MsAction.RESULTS)), (_("Start again"), MsNav(a=MsAction.RESTART))],
        ),
    )


async def ask_specialist(
    call: CallbackQuery,
    state: FSMContext,
    ctx: UserContext,
    catalog: Catalog,
    session: AsyncSession,
    settings: Settings,
    desk_chats: DeskChats,
) -> None:
    await call.answer()
    if not ctx.consented:
        await show(
            call,
            _(
                "A social consultant can check your answers and help you apply. To pass your request on "
                "we need your consent to store your messages."
            ),
            family_kb(
                ctx,
                [(_("Read and agree"), Consent(action="ask"))],
                [(_("« Back"), MsNav(a=MsAction.RESULTS))],
            ),
        )
        return
    data = await state.get_data()
    res = screening(ctx, data, catalog.measures)
    case = await cases.record_request(
        session,
        ctx.family,
        tier=2,
        specialty="social_consultant",
        category="social_benefits",
        urgency="routine",
        route="consultant",
        source="screener",
        summary={
            "screener": dict(data.get("ms_answers") or {}),
            "likely": [r.measure.id for r in res.likely],
            "maybe": [r.measure.id for r in res.maybe],
        },
    )
    await request_handed_off(
        call,
        case,
        session=session,
        catalog=catalog,
        ctx=ctx,
        settings=settings,
        desk_chats=desk_chats,
        back=[(_("« Back"), MsNav(a=MsAction.RESULTS))],
    )


class ScreenerDone(BaseFilter):
    """The screener has results in this session (its buttons for results, the summary and a consultant)."""

    async def __call__(self, call: CallbackQuery, state: FSMContext) -> bool:
        return bool((await state.get_data()).get("ms_done"))


@router.callback_query(MsNav.filter(F.a.in_({MsAction.START, MsAction.RESTART})))
async def start(
    call: CallbackQuery,
    state: FSMContext,
    ctx: UserContext,
    catalog: Catalog,
    session: AsyncSession,
    settings: Settings,
) -> None:
    await call.answer()
    results = await start_screener(call, state, ctx, catalog.measures)
    if results is not None:
        await results_seen(session, settings, ctx, state, results)


@router.callback_query(MsNav.filter(F.a == MsAction.DONE), MeasuresFlow.asking)
async def done(
    call: CallbackQuery,
    state: FSMContext,
    ctx: UserContext,
    catalog: Catalog,
    session: AsyncSession,
    settings: Settings,
) -> None:
    await call.answer()
    await state.update_data(ms_q=None, ms_done=True)
    await state.set_state(MeasuresFlow.browsing)
    results = await show_results(call, state, ctx, catalog.measures)
    await results_seen(session, settings, ctx, state, results)


@router.callback_query(MsNav.filter(F.a == MsAction.DONE))
async def done_elsewhere(call: CallbackQuery) -> None:
    await call.answer(_("This question is from an earlier screen."))


@router.callback_query(MsNav.filter(F.a == MsAction.RESULTS), ScreenerDone())
async def results(call: CallbackQuery, state: FSMContext, ctx: UserContext, catalog: Catalog) -> None:
    await call.answer()
    await state.set_state(MeasuresFlow.browsing)
    await show_results(call, state, ctx, catalog.measures)


@router.callback_query(MsNav.filter(F.a == MsAction.OTHER), ScreenerDone())
async def other(call: CallbackQuery, state: FSMContext, ctx: UserContext, catalog: Catalog) -> None:
    await call.answer()
    await state.set_state(MeasuresFlow.browsing)
    res = screening(ctx, await state.get_data(), catalog.measures)
    rows = [[(r.title.get(ctx.locale), MsM(v="c", f="r", m=measure_code(r.measure.id)))] for r in res.other]
    await show(call, other_text(), family_kb(ctx, *rows, [(_("« Back"), MsNav(a=MsAction.RESULTS))]))


@router.callback_query(MsNav.filter(F.a == MsAction.SAVE), ScreenerDone())
async def save(call: CallbackQuery, state: FSMContext, ctx: UserContext, catalog: Catalog) -> None:
    await save_summary(call, state, ctx, catalog.measures)


@router.callback_query(MsNav.filter(F.a == MsAction.ASK), ScreenerDone())
async def ask(
    call: CallbackQuery,
    state: FSMContext,
    ctx: UserContext,
    catalog: Catalog,
    session: AsyncSession,
    settings: Settings,
    desk_chats: DeskChats,
) -> None:
    await ask_specialist(call, state, ctx, catalog, session, settings, desk_chats)
