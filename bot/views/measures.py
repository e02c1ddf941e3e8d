"""Support measures as families see them: the section, the screener's questions and results, measure cards,
browsing and search screens. The engine (bot/services/measures) decides; this module only words it."""

from __future__ import annotations

import hashlib

from aiogram.utils.i18n import gettext as _
from aiogram.utils.markdown import html_decoration as hd

from bot.middlewares.context import UserContext
from bot.services import clock
from bot.services import measures as ms
from bot.services.measures.formatting import format_date
from bot.views.callbacks import MsAction, MsM, MsNav, MsQ, MsY
from bot.views.family import family_kb
from bot.views.ui import Buttons, Row, chunk, clip

YEARS_BACK = 18  # birth-year buttons: this year and the 17 before it
SEARCH_LIMIT = 8
YEAR_OLDER, YEAR_UNKNOWN = 0, -1


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
        [(_("Find my measures"), MsNav(a=MsAction.START))],
        [(_("By life situation"), MsNav(a=MsAction.SITUATIONS))],
        [(_("Federal / regional"), MsNav(a=MsAction.LEVEL))],
    )


def back_to_section() -> Row:
    return [(_("« Support measures"), MsNav(a=MsAction.MENU))]


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
        [(_("Show results now"), MsNav(a=MsAction.DONE))],
    )


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
        rows.append([(_("Not suitable now"), MsNav(a=MsAction.OTHER))])
    rows.append(
        [(_("Save the summary"), MsNav(a=MsAction.SAVE)), (_("Ask a specialist"), MsNav(a=MsAction.ASK))]
    )
    rows.append([(_("Start again"), MsNav(a=MsAction.RESTART)), *back_to_section()])
    return family_kb(ctx, *rows)


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
    back = MsNav(a=MsAction.RESULTS) if origin == "r" else MsNav(a=MsAction.BACK)
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


def measure_rows(measures: list[ms.Measure], lang: str) -> list[Row]:
    return [[(m.title.get(lang), MsM(v="c", f="b", m=measure_code(m.id)))] for m in measures]


def situations_screen(ctx: UserContext, cat: ms.Catalogue):
    buttons = [(s.title.get(ctx.locale), MsNav(a=MsAction.SIT, v=s.id)) for s in cat.life_situations.values()]
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
    rows: list[Buttons] = [
        *measure_rows(measures, lang),
        [(_("« Life situations"), MsNav(a=MsAction.SITUATIONS))],
    ]
    return "\n\n".join(parts), family_kb(ctx, *rows)


def region_rows(cat: ms.Catalogue, lang: str) -> list[Row]:
    rq = ms.render_question(cat.question("region"), {}, lang, cat)
    buttons = [
        (label, MsNav(a=MsAction.LEVEL, v=value)) for label, value in rq.options if isinstance(value, str)
    ]
    return chunk(buttons, 2)


def levels_screen(ctx: UserContext, cat: ms.Catalogue, region: str | None):
    lang = ctx.locale
    name = cat.region_name(region)
    rows: list[Row] = [[(_("Federal measures"), MsNav(a=MsAction.LEVEL, v="federal"))]]
    if name is not None:
        label = _("Measures of {region}").format(region=name.get(lang))
        rows.append([(label, MsNav(a=MsAction.LEVEL, v="regional"))])
        text = _(
            "Federal measures apply all over Russia; regional ones only in your region: {region}."
        ).format(region=q(name.get(lang)))
    else:
        text = _("Federal measures apply all over Russia. To see regional ones, choose your region.")
        rows += region_rows(cat, lang)
    return text, family_kb(ctx, *rows, back_to_section())


def level_screen(ctx: UserContext, cat: ms.Catalogue, level: str, region: str | None):
    lang = ctx.locale
    back = [(_("« Federal / regional"), MsNav(a=MsAction.LEVEL))]
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
