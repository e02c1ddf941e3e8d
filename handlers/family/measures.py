"""Support measures: the screener, browsing by life situation and by level, and search.

The engine (bot/services/measures) decides everything; this module only asks, shows and remembers.
Before consent nothing is stored about the family: the screener's answers live in the FSM data for the session.
A consented family's answers to profile questions (children, pregnancy, disability) go into its profile, so they
are never asked twice; the other answers (income, work…) are kept only for the session.
"""

from __future__ import annotations

import hashlib
from typing import Any

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.markdown import html_decoration as hd
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.middlewares.context import UserContext
from bot.services import cases, clock, families, followup
from bot.services import measures as ms
from bot.services.catalog import Catalog
from bot.services.desk import DeskChats
from bot.services.measures.engine import format_date
from bot.services.profile import FIELDS
from handlers.callbacks import Consent, Nav
from handlers.family.common import family_kb
from handlers.family.menu import request_handed_off
from handlers.ui import Row, chunk, clip, show

router = Router(name="family.measures")

MAX_QUESTIONS = 8  # one-tap questions per run; the results come after at most this many
MAX_CHILDREN = 6  # birth years asked for at most this many children (as in the profile)
YEARS_BACK = 18  # birth-year buttons: this year and the 17 before it
SEARCH_LIMIT = 8
ALWAYS_ASK = ("region", "children_count", "children_birth_years")  # the basis of every measure
YEAR_OLDER, YEAR_UNKNOWN = 0, -1


class MeasuresFlow(StatesGroup):
    browsing = State()  # in the section: free text is a search
    asking = State()  # a screener question is on the screen


class MsNav(CallbackData, prefix="ms"):
    a: str  # action, see ACTIONS
    v: str = ""  # its value (life situation id, level or region code)


class MsQ(CallbackData, prefix="msq"):
    q: str  # question id
    o: int  # option index


class MsY(CallbackData, prefix="msy"):
    i: int  # child index
    y: int  # year; 0 = older than the buttons; -1 = don't know


class MsM(CallbackData, prefix="msm"):
    v: str  # view: c card | w why | h how to apply | d details
    f: str  # from: r screener results | b browsing
    m: str  # measure code (see measure_code)


ACTIONS = frozenset(
    {"menu", "start", "restart", "done", "results", "other", "save", "ask", "sits", "sit", "lvl", "back"}
)
VIEWS = frozenset("cwhd")
ORIGINS = frozenset("rb")


# --- small helpers --------------------------------------------------------------------------------------


def measure_code(measure_id: str) -> str:
    """The measure id itself when it fits into callback data (64 bytes), otherwise a stable short hash."""
    if len(measure_id) <= 40:
        return measure_id
    return "~" + hashlib.sha1(measure_id.encode()).hexdigest()[:12]


def find_measure(cat: ms.Catalogue, code: str) -> ms.Measure | None:
    if code.startswith("~"):
        return next((m for m in cat.measures.values() if measure_code(m.id) == code), None)
    return cat.measures.get(code)


def q(text: str) -> str:
    return hd.quote(text)


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


def data_date(results: list[ms.MeasureResult], lang: str) -> str:
    """«Data as of»: the oldest collection date among the measures shown."""
    dates = [r.measure.as_of for r in results]
    return format_date(min(dates), lang) if dates else format_date(clock.today(), lang)


def stale_notes(results: list[ms.MeasureResult], lang: str) -> list[str]:
    notes: list[str] = []
    for r in results:
        if r.stale_note is not None and r.stale_note.get(lang) not in notes:
            notes.append(r.stale_note.get(lang))
    return notes


def to_check(r: ms.MeasureResult, cat: ms.Catalogue, lang: str) -> str:
    """What is left to find out for a «maybe» result, in a few words."""
    facts = cat.questionnaire.facts
    labels = [facts[f].label.get(lang) for f in r.ask_facts if f in facts]
    if not labels:
        labels = [t.label.get(lang) for t in r.unknown]
    labels = list(dict.fromkeys(labels))
    if not labels:
        return ""
    first = labels[0]
    word = first.split()[0]
    if len(word) == 1 or word[1:].islower():  # «Ипотека» → «ипотека», «A child» → «a child»; «СФР» stays
        first = first[0].lower() + first[1:]
    return first + ("…" if len(labels) > 1 else "")


def hidden_note(r: ms.MeasureResult) -> str:
    """Said instead of figures we have not verified (they are never shown as fact)."""
    if r.amounts:
        return _("Some figures we do not show until we have checked them.")
    return _("We do not show the exact amount until we have checked it.")


def screening(ctx: UserContext, data: dict[str, Any], cat: ms.Catalogue) -> ms.ScreeningResult:
    facts = facts_of(ctx, data)
    return ms.screen(facts, region_of(facts), clock.today(), cat)


# --- the section menu -------------------------------------------------------------------------------------


def section_text() -> str:
    return "\n\n".join(
        [
            _("<b>Support measures</b>"),
            _(
                "Find out which payments and benefits your family may be entitled to: "
                "answer a few one-tap questions, or browse the measures yourself."
            ),
            _("Or write what you are looking for, for example: maternity capital"),
        ]
    )


def section_kb(ctx: UserContext):
    return family_kb(
        ctx,
        [(_("Find my measures"), MsNav(a="start"))],
        [(_("By life situation"), MsNav(a="sits"))],
        [(_("Federal / regional"), MsNav(a="lvl"))],
    )


def back_to_section() -> Row:
    return [(_("« Support measures"), MsNav(a="menu"))]


@router.callback_query(Nav.filter(F.to == "measures"))
async def open_section(call: CallbackQuery, state: FSMContext, ctx: UserContext) -> None:
    await call.answer()
    await state.set_state(MeasuresFlow.browsing)
    await show(call, section_text(), section_kb(ctx))


# --- the screener: questions ---------------------------------------------------------------------------------


def next_question(facts: dict[str, Any], asked: int, cat: ms.Catalogue) -> ms.Question | None:
    """The next question worth asking: still missing, and able to change some «maybe» (or basic)."""
    if asked >= MAX_QUESTIONS:
        return None
    missing = ms.missing_questions(facts, cat, on=clock.today())
    if not missing:
        return None
    useful = set(ms.screen(facts, region_of(facts), clock.today(), cat).ask_next)
    if "income_level" in useful and ms.income_threshold(region_of(facts), 1, clock.today().year, cat):
        useful.add("adults_count")  # the income question can then show the family's own threshold
    for question in missing:
        if question.fact in ALWAYS_ASK or question.fact in useful:
            return question
    return None


def option_rows(rq: ms.RenderedQuestion) -> list[Row]:
    answers = [(label, MsQ(q=rq.id, o=i)) for i, (label, value) in enumerate(rq.options) if value is not None]
    unknown = [(label, MsQ(q=rq.id, o=i)) for i, (label, value) in enumerate(rq.options) if value is None]
    longest = max((len(label) for label, _cb in answers), default=0)
    width = 4 if longest <= 4 else 2 if longest <= 14 else 1
    return [*chunk(answers, width), *chunk(unknown, 1)]


def question_text(rq: ms.RenderedQuestion, first: bool, ctx: UserContext) -> str:
    parts = []
    if first:
        intro = _("A few short questions, one tap each. If you are not sure, choose «Don't know».")
        if ctx.consented:
            intro += " " + _("We do not ask again what you have already told us in the family profile.")
        else:
            intro += " " + _("We do not store your answers.")
        parts.append(intro)
    parts.append(f"<b>{q(rq.text)}</b>")
    if rq.hint:
        parts.append(f"<i>{q(rq.hint)}</i>")
    return "\n\n".join(parts)


def years_kb(ctx: UserContext, index: int):
    this_year = clock.today().year
    years = [(str(y), MsY(i=index, y=y)) for y in range(this_year, this_year - YEARS_BACK, -1)]
    return family_kb(
        ctx,
        *chunk(years, 6),
        [(_("Older"), MsY(i=index, y=YEAR_OLDER)), (_("Don't know"), MsY(i=index, y=YEAR_UNKNOWN))],
        [(_("Show results now"), MsNav(a="done"))],
    )


async def ask_or_finish(call: CallbackQuery, state: FSMContext, ctx: UserContext, cat: ms.Catalogue) -> bool:
    """Show the next useful question, or the results when there is none left (then True)."""
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
        await show_results(call, state, ctx, cat)
        return True
    await state.set_state(MeasuresFlow.asking)
    await state.update_data(ms_answers=answers, ms_q=question.id, ms_years=[])
    rq = ms.render_question(question, facts, ctx.locale, cat, on=clock.today())
    text = question_text(rq, asked == 0, ctx)
    if question.kind == "years":
        total = children_to_ask(facts)
        text += "\n\n" + _("Child {n} of {total}: year of birth?").format(n=1, total=total)
        await show(call, text, years_kb(ctx, 0))
        return False
    await show(call, text, family_kb(ctx, *option_rows(rq), [(_("Show results now"), MsNav(a="done"))]))
    return False


async def start_screener(call: CallbackQuery, state: FSMContext, ctx: UserContext, cat: ms.Catalogue) -> bool:
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
    session: AsyncSession, settings: Settings, ctx: UserContext, state: FSMContext, cat: ms.Catalogue
) -> None:
    """A screener run ended with results: a consented family is asked later whether it applied."""
    family = consented_family(ctx)
    if family is None:
        return
    data = await state.get_data()
    res = screening(ctx, data, cat)
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
    finished = await ask_or_finish(call, state, ctx, cat)
    await save_to_profile(session, ctx, question.fact, value)  # last: SQLite locks the FSM table until commit
    if finished:
        await results_seen(session, settings, ctx, state, cat)


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
    finished = await ask_or_finish(call, state, ctx, cat)
    await save_to_profile(session, ctx, "children_birth_years", years)  # last, as above
    if finished:
        await results_seen(session, settings, ctx, state, cat)


# --- the screener: results ------------------------------------------------------------------------------------


def results_text(res: ms.ScreeningResult, cat: ms.Catalogue, lang: str) -> str:
    parts = [_("<b>What we found for your family</b>")]
    if res.likely:
        lines = [_("<b>Most likely available</b>")]
        lines += [f"• {q(r.title.get(lang))}" for r in res.likely]
        parts.append("\n".join(lines))
    if res.maybe:
        lines = [_("<b>May be available — needs checking</b>")]
        for r in res.maybe:
            check = to_check(r, cat, lang)
            line = f"• {q(r.title.get(lang))}"
            if check:
                line += " — " + _("to check: {what}").format(what=q(check))
            lines.append(line)
        parts.append("\n".join(lines))
    if not res.likely and not res.maybe:
        parts.append(
            _(
                "On your answers we have found no measures yet. A social consultant can look at your "
                "situation more closely."
            )
        )
    useful = [_("<b>Also good to know</b>")]
    if res.regional_note is not None:
        useful.append(q(res.regional_note.get(lang)))
    if res.other:
        useful.append(
            _(
                "Not available on your answers now: {count}. Conditions can change, see «Not suitable now»."
            ).format(count=len(res.other))
        )
    parts.append("\n".join(useful))
    footer = [_("Data as of {date}.").format(date=data_date(res.all, lang))]
    footer += [q(n) for n in stale_notes(res.all, lang)]
    parts.append("<i>" + " ".join(footer) + "</i>")
    parts.append(f"<i>{q(res.disclaimer.get(lang))}</i>")
    return clip("\n\n".join(parts))


def results_kb(ctx: UserContext, res: ms.ScreeningResult, lang: str):
    rows: list[Row] = [
        [(r.title.get(lang), MsM(v="c", f="r", m=measure_code(r.measure.id)))] for r in res.likely
    ]
    rows += [[(r.title.get(lang), MsM(v="c", f="r", m=measure_code(r.measure.id)))] for r in res.maybe]
    if res.other:
        rows.append([(_("Not suitable now"), MsNav(a="other"))])
    rows.append([(_("Save the summary"), MsNav(a="save")), (_("Ask a specialist"), MsNav(a="ask"))])
    rows.append([(_("Start again"), MsNav(a="restart")), *back_to_section()])
    return family_kb(ctx, *rows)


async def show_results(call: CallbackQuery, state: FSMContext, ctx: UserContext, cat: ms.Catalogue) -> None:
    res = screening(ctx, await state.get_data(), cat)
    await show(call, results_text(res, cat, ctx.locale), results_kb(ctx, res, ctx.locale))


def other_text() -> str:
    lines = [
        _("<b>Not suitable now</b>"),
        _("On your answers these measures do not fit now. Open one to see why: conditions can change."),
    ]
    return "\n\n".join(lines)


def summary_parts(res: ms.ScreeningResult, cat: ms.Catalogue, lang: str) -> list[str]:
    """The summary the family keeps: one block per measure, each with its figures (or where to check them)."""

    def item(r: ms.MeasureResult, with_check: bool) -> str:
        lines = [f"• <b>{q(r.title.get(lang))}</b>"]
        if with_check and (check := to_check(r, cat, lang)):
            lines.append(_("to check: {what}").format(what=q(check)))
        amount = r.amount_display(lang)
        if amount:
            lines.append(q(amount))
        if r.amount_hidden:
            lines.append(hidden_note(r) + " " + q(r.check_where.get(lang)))
        return "\n".join(lines)

    region = res.region_name.get(lang) if res.region_name else "—"
    parts = [
        _("<b>Support measures for your family</b>")
        + "\n"
        + _("Summary as of {date}; region: {region}.").format(
            date=format_date(res.on, lang), region=q(region)
        )
    ]
    if res.likely:
        parts.append(_("<b>Most likely available</b>"))
        parts += [item(r, False) for r in res.likely]
    if res.maybe:
        parts.append(_("<b>May be available — needs checking</b>"))
        parts += [item(r, True) for r in res.maybe]
    if res.regional_note is not None:
        parts.append(_("<b>Also good to know</b>") + "\n" + q(res.regional_note.get(lang)))
    footer = [_("Data as of {date}.").format(date=data_date(res.all, lang))]
    footer += [q(n) for n in stale_notes(res.all, lang)]
    parts.append("<i>" + " ".join(footer) + "</i>")
    parts.append(f"<i>{q(res.disclaimer.get(lang))}</i>")
    return parts


def pack(parts: list[str], limit: int = 4000) -> list[str]:
    """Join blocks into as few messages as fit Telegram's limit."""
    messages: list[str] = []
    current = ""
    for part in parts:
        part = clip(part, limit)
        if current and len(current) + 2 + len(part) > limit:
            messages.append(current)
            current = part
        else:
            current = f"{current}\n\n{part}" if current else part
    if current:
        messages.append(current)
    return messages


# --- measure cards -------------------------------------------------------------------------------------------


def plain_result(m: ms.Measure, cat: ms.Catalogue) -> ms.MeasureResult:
    """The texts of a measure outside the screener (level, figures, stale note); its status means nothing."""
    on = clock.today()
    return ms.evaluate_measure(m, ms.resolve_facts({}, on), on, cat, raw={})


def card_text(r: ms.MeasureResult, lang: str, *, screened: bool) -> str:
    parts = [f"<b>{q(r.title.get(lang))}</b>\n<i>{q(r.level_label.get(lang))}</i>", q(r.short.get(lang))]
    amount = r.amount_display(lang)
    if amount:
        block = q(amount)
        if r.amount_caveat is not None:
            block += f"\n<i>{q(r.amount_caveat.get(lang))}</i>"
        parts.append(block)
    if r.amount_hidden:
        parts.append(hidden_note(r) + " " + q(r.check_where.get(lang)))
    if screened:
        if r.group == "likely":
            parts.append(_("<b>Most likely available</b> on your answers."))
        elif r.group == "maybe":
            lines = [_("<b>May be available.</b> What is not clear yet:")]
            lines += [f"• {q(t.label.get(lang))}" for t in r.unknown[:4]]
            parts.append("\n".join(lines))
        else:
            lines = [_("<b>Not available on your answers now.</b> Not met:")]
            lines += [f"• {q(t.label.get(lang))}" for t in r.failed[:4]]
            parts.append("\n".join(lines))
        if r.self_check:
            lines = [_("Please check yourself:")] + [f"• {q(t.get(lang))}" for t in r.self_check[:3]]
            parts.append("\n".join(lines))
    if r.stale_note is not None:
        parts.append(f"<i>{q(r.stale_note.get(lang))}</i>")
    return clip("\n\n".join(parts))


def card_kb(ctx: UserContext, m: ms.Measure, origin: str):
    code = measure_code(m.id)
    rows: list[Row] = []
    if origin == "r":
        rows.append([(_("Why?"), MsM(v="w", f=origin, m=code))])
    rows.append(
        [(_("How to apply"), MsM(v="h", f=origin, m=code)), (_("More"), MsM(v="d", f=origin, m=code))]
    )
    back = MsNav(a="results") if origin == "r" else MsNav(a="back")
    rows.append([(_("« Back"), back)])
    return family_kb(ctx, *rows)


def why_text(r: ms.MeasureResult, lang: str) -> str:
    return clip(
        "\n\n".join(
            [
                _("<b>Why: {title}</b>").format(title=q(r.title.get(lang))),
                q(r.why(lang)),
                "<i>" + _("✓ met · ✗ not met · ? not known yet · • please check yourself") + "</i>",
            ]
        )
    )


def how_text(m: ms.Measure, lang: str) -> str:
    how = m.how_to_apply
    parts = [_("<b>How to apply: {title}</b>").format(title=q(m.title.get(lang)))]
    steps = [f"{n}. {q(step.text.get(lang))}" for n, step in enumerate(how.steps, 1)]
    parts.append("\n".join(steps))
    if how.note is not None:
        parts.append(f"<i>{q(how.note.get(lang))}</i>")
    if how.status == "unverified":
        parts.append(
            "<i>"
            + _("We have not confirmed these steps yet. Where to check: {where}").format(
                where=q(m.check_where.get(lang))
            )
            + "</i>"
        )
    if m.documents:
        parts.append("\n".join([_("<b>Documents</b>")] + [f"• {q(d.get(lang))}" for d in m.documents]))
    links = [hd.link(q(link.title.get(lang)), q(link.url)) for link in m.links if link.status != "unverified"]
    contacts = [f"☎ {q(c.title.get(lang))}: {q(c.phone)}" for c in m.contacts]
    if links or contacts:
        parts.append("\n".join([_("<b>Where to apply and ask</b>"), *links, *contacts]))
    return clip("\n\n".join(parts))


def details_text(m: ms.Measure, lang: str) -> str:
    parts = [f"<b>{q(m.title.get(lang))}</b>", q(m.description.get(lang))]
    parts.append(_("<b>Who can get it:</b> {who}").format(who=q(m.who.get(lang))))
    if m.provider is not None:
        parts.append(_("<b>Who pays:</b> {provider}").format(provider=q(m.provider.get(lang))))
    parts += [f"<i>{q(n.text.get(lang))}</i>" for n in m.notes]
    parts.append(_("<b>Where to check:</b> {where}").format(where=q(m.check_where.get(lang))))
    return clip("\n\n".join(parts))


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


def measure_rows(measures: list[ms.Measure], lang: str) -> list[Row]:
    return [[(m.title.get(lang), MsM(v="c", f="b", m=measure_code(m.id)))] for m in measures]


def situations_screen(ctx: UserContext, cat: ms.Catalogue):
    buttons = [(s.title.get(ctx.locale), MsNav(a="sit", v=s.id)) for s in cat.life_situations.values()]
    text = _("What is happening in your family? Choose a situation, and we will show the measures for it.")
    return text, family_kb(ctx, *chunk(buttons, 2), back_to_section())


def situation_screen(ctx: UserContext, cat: ms.Catalogue, situation_id: str, region: str | None):
    lang = ctx.locale
    sit = cat.life_situations[situation_id]
    parts = [f"<b>{q(sit.title.get(lang))}</b>"]
    if sit.description is not None:
        parts.append(q(sit.description.get(lang)))
    measures = ms.by_life_situation(situation_id, region, cat)
    parts.append(_("Measures for this situation: open one to read more."))
    if sit.note is not None:
        parts.append(f"<i>{q(sit.note.get(lang))}</i>")
    rows = [*measure_rows(measures, lang), [(_("« Life situations"), MsNav(a="sits"))]]
    return "\n\n".join(parts), family_kb(ctx, *rows)


def region_rows(cat: ms.Catalogue, lang: str) -> list[Row]:
    rq = ms.render_question(cat.question("region"), {}, lang, cat)
    buttons = [(label, MsNav(a="lvl", v=value)) for label, value in rq.options if isinstance(value, str)]
    return chunk(buttons, 2)


def levels_screen(ctx: UserContext, cat: ms.Catalogue, region: str | None):
    lang = ctx.locale
    name = cat.region_name(region)
    rows: list[Row] = [[(_("Federal measures"), MsNav(a="lvl", v="federal"))]]
    if name is not None:
        label = _("Measures of {region}").format(region=name.get(lang))
        rows.append([(label, MsNav(a="lvl", v="regional"))])
        text = _(
            "Federal measures apply all over Russia; regional ones only in your region: {region}."
        ).format(region=q(name.get(lang)))
    else:
        text = _("Federal measures apply all over Russia. To see regional ones, choose your region.")
        rows += region_rows(cat, lang)
    return text, family_kb(ctx, *rows, back_to_section())


def level_screen(ctx: UserContext, cat: ms.Catalogue, level: str, region: str | None):
    lang = ctx.locale
    back = [(_("« Federal / regional"), MsNav(a="lvl"))]
    if level == "federal":
        measures = ms.by_level("federal", None, cat)
        text = _("<b>Federal measures</b>: they apply all over Russia. Open one to read more.")
        return text, family_kb(ctx, *measure_rows(measures, lang), back)
    measures = ms.by_level("regional", region, cat)
    name = cat.region_name(region)
    parts = [_("<b>Measures of {region}</b>").format(region=q(name.get(lang) if name else "—"))]
    note = cat.regions[region].measures_note if region in cat.regions else None
    if note is not None:
        parts.append(q(note.get(lang)))
    elif not measures:
        parts.append(
            _(
                "We have not collected your region's measures yet. Ask the regional social protection office or MFC."
            )
        )
    return "\n\n".join(parts), family_kb(ctx, *measure_rows(measures, lang), back)


def search_screen(ctx: UserContext, cat: ms.Catalogue, query: str):
    lang = ctx.locale
    found = ms.search(query, lang, cat)[:SEARCH_LIMIT]
    shown = q(clip(query.strip(), 100))
    if not found:
        text = _(
            "We found nothing for «{query}». Try other words, or choose measures by life situation or from the list."
        ).format(query=shown)
        return text, section_kb(ctx)
    text = _("Here is what we found for «{query}». Open a measure to read more.").format(query=shown)
    return text, family_kb(ctx, *measure_rows(found, lang), back_to_section())


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


@router.callback_query(MsNav.filter())
async def navigate(
    call: CallbackQuery,
    callback_data: MsNav,
    state: FSMContext,
    ctx: UserContext,
    catalog: Catalog,
    session: AsyncSession,
    settings: Settings,
    desk_chats: DeskChats,
) -> None:
    cat = catalog.measures
    action, value = callback_data.a, callback_data.v
    if action not in ACTIONS:
        await refuse(call)
        return
    data = await state.get_data()
    if action in ("results", "other", "save", "ask") and not data.get("ms_done"):
        await refuse(call)
        return
    if action == "done" and await state.get_state() != MeasuresFlow.asking.state:
        await call.answer(_("This question is from an earlier screen."))
        return
    if action == "sit" and value not in cat.life_situations:
        await refuse(call)
        return
    region_codes = {v for _label, v in ms.render_question(cat.question("region"), {}, "ru", cat).options}
    if action == "lvl" and value not in ("", "federal", "regional", *(c for c in region_codes if c)):
        await refuse(call)
        return

    if action in ("start", "restart"):
        await call.answer()
        if await start_screener(call, state, ctx, cat):
            await results_seen(session, settings, ctx, state, cat)
        return
    if action == "done":
        await call.answer()
        await state.update_data(ms_q=None, ms_done=True)
        await state.set_state(MeasuresFlow.browsing)
        await show_results(call, state, ctx, cat)
        await results_seen(session, settings, ctx, state, cat)
        return
    if action == "save":
        await save_summary(call, state, ctx, cat)
        return
    if action == "ask":
        await ask_specialist(call, state, ctx, catalog, session, settings, desk_chats)
        return

    await call.answer()
    await state.set_state(MeasuresFlow.browsing)
    region = region_of(facts_of(ctx, data))
    if action == "menu":
        await show(call, section_text(), section_kb(ctx))
    elif action == "results":
        await show_results(call, state, ctx, cat)
    elif action == "other":
        res = screening(ctx, data, cat)
        rows = [
            [(r.title.get(ctx.locale), MsM(v="c", f="r", m=measure_code(r.measure.id)))] for r in res.other
        ]
        await show(call, other_text(), family_kb(ctx, *rows, [(_("« Back"), MsNav(a="results"))]))
    elif action == "sits":
        await show(call, *situations_screen(ctx, cat))
    elif action == "sit":
        await state.update_data(ms_back={"k": "sit", "v": value})
        await show(call, *situation_screen(ctx, cat, value, region))
    elif action == "lvl":
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
            [(_("Ask a specialist"), MsNav(a="ask"))],
            [(_("« Results"), MsNav(a="results")), (_("Start again"), MsNav(a="restart"))],
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
                ctx, [(_("Read and agree"), Consent(action="ask"))], [(_("« Back"), MsNav(a="results"))]
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
        back=[(_("« Back"), MsNav(a="results"))],
    )


# --- search --------------------------------------------------------------------------------------------------


@router.message(MeasuresFlow.browsing, F.text, ~F.text.startswith("/"))
async def search_text(message: Message, state: FSMContext, ctx: UserContext, catalog: Catalog) -> None:
    query = message.text or ""
    text, markup = search_screen(ctx, catalog.measures, query)
    await state.update_data(ms_back={"k": "q", "v": clip(query.strip(), 200)})
    await message.answer(text, reply_markup=markup)
