"""Texts and keyboards of «Как дела у семьи?» (the wellbeing check-in) for families, the reminder, and the lines
of the check-in on a request's card. The questions themselves are data (data/checkin.yaml)."""

from __future__ import annotations

from datetime import datetime

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.markdown import html_decoration as hd

from bot.db.models import WellbeingCheckin
from bot.middlewares.context import UserContext
from bot.services import checkin as ck
from bot.services.catalog import Catalog
from bot.views.callbacks import Consent, Dir, Nav, Specialist
from bot.views.family import family_kb
from bot.views.ui import Row, kb

MAX_PLACES = 3  # directory buttons on the results screen
MAX_SPECIALISTS = 2


class Wb(CallbackData, prefix="wb"):
    """A tap in the check-in. ``c``: the run's number (or the reminder's, for «stop»)."""

    a: str  # go | ans | share | unshare | remind | unremind | stop
    c: int = 0
    q: int = 0  # question index
    o: int = 0  # option index; -1 = «не хочу отвечать»


def _date(value: datetime | None) -> str:
    return value.strftime("%d.%m.%Y") if value else "—"


def _domains(ids: list[str], instrument: ck.Instrument, lang: str) -> str:
    titles = [d.title.get(lang) for d in instrument.domains if d.id in ids]
    return ", ".join(titles)


# --- the start ---------------------------------------------------------------------------------------------------


def intro_text(last: WellbeingCheckin | None, reminder_on: bool, count: int) -> str:
    parts = [
        _("<b>How is your family?</b>"),
        ngettext(
            "{count} short question about money and work, housing, health, children, home and the people around "
            "you. One tap per answer; any question can be skipped.",
            "{count} short questions about money and work, housing, health, children, home and the people around "
            "you. One tap per answer; any question can be skipped.",
            count,
        ).format(count=count),
        _(
            "This is not a test and not an assessment of your family. At the end you will see where things are "
            "hard now and what help fits. Only you see the answers; a specialist sees them only if you allow it."
        ),
    ]
    if last is not None:
        parts.append(_("Last time you answered on {date}.").format(date=_date(last.finished_at)))
    if reminder_on:
        parts.append(_("Reminder every three months: on."))
    return "\n\n".join(parts)


def intro_kb(ctx: UserContext) -> InlineKeyboardMarkup:
    return family_kb(ctx, [(_("Start"), Wb(a="go"))])


def consent_needed(ctx: UserContext) -> tuple[str, InlineKeyboardMarkup]:
    text = _(
        "To keep your answers and show you what changed next time, we need your consent to store your data. "
        "Without it you can still read about support measures and call the helplines."
    )
    return text, family_kb(ctx, [(_("Read and agree"), Consent(action="ask"))])


# --- a question --------------------------------------------------------------------------------------------------


def question_text(instrument: ck.Instrument, index: int, lang: str) -> str:
    q = instrument.questions[index]
    head = _("Question {n} of {total}").format(n=index + 1, total=len(instrument.questions))
    return f"{head}\n\n<b>{hd.quote(q.text.get(lang))}</b>"


def question_kb(ctx: UserContext, run_id: int, instrument: ck.Instrument, index: int) -> InlineKeyboardMarkup:
    q = instrument.questions[index]
    rows: list[Row] = [
        [(o.text.get(ctx.locale), Wb(a="ans", c=run_id, q=index, o=i))] for i, o in enumerate(q.options)
    ]
    rows.append([(_("I'd rather not answer"), Wb(a="ans", c=run_id, q=index, o=-1))])
    return family_kb(ctx, *rows)


def danger_text() -> str:
    return _(
        "Thank you for telling us. We have stopped the questions: your safety matters more now. "
        "Look at the message below."
    )


# --- the results -------------------------------------------------------------------------------------------------


def results_text(
    run: WellbeingCheckin,
    before: WellbeingCheckin | None,
    instrument: ck.Instrument,
    lang: str,
    *,
    reminder_on: bool,
) -> str:
    hard = list(run.hard or [])
    parts = [_("<b>Your family's picture</b>")]
    if hard:
        parts.append(
            _("Things are hard now: {domains}.").format(domains=hd.quote(_domains(hard, instrument, lang)))
        )
        parts.append(_("Below is help that fits. Take what suits you, when it suits you."))
    else:
        parts.append(
            _(
                "From your answers, things are calm now in what we asked about. If anything changes, we are here."
            )
        )
    if before is not None:
        change = ck.changes(before, run, instrument)
        lines = [_("Since last time ({date}):").format(date=_date(before.finished_at))]
        if change[ck.BETTER]:
            lines.append(
                _("• easier: {domains}").format(
                    domains=hd.quote(_domains(change[ck.BETTER], instrument, lang))
                )
            )
        if change[ck.WORSE]:
            lines.append(
                _("• harder: {domains}").format(
                    domains=hd.quote(_domains(change[ck.WORSE], instrument, lang))
                )
            )
        if not change[ck.BETTER] and not change[ck.WORSE]:
            lines.append(_("• nothing has changed in what you answered both times"))
        parts.append("\n".join(lines))
    parts.append(
        _("Your answers are shown to the specialist on your request: yes.")
        if run.shared
        else _("Your answers are shown to the specialist on your request: no.")
    )
    parts.append(
        _("Reminder every three months: on.") if reminder_on else _("Reminder every three months: off.")
    )
    return "\n\n".join(parts)


def help_rows(
    run: WellbeingCheckin, instrument: ck.Instrument, catalog: Catalog, ctx: UserContext
) -> list[Row]:
    """Help matched to the hard domains: the measures screener, places in the directory, a specialist."""
    from bot.views.callbacks import MsNav
    from bot.views.family import specialty_label

    domains = [d for d in instrument.domains if d.id in (run.hard or [])]
    rows: list[Row] = []
    if any(d.help.measures for d in domains):
        rows.append([(_("Find my measures"), MsNav(a="start"))])
    region = ctx.family.region if ctx.family else None
    labels = dict(catalog.directory_kinds(ctx.locale))
    kinds: list[str] = []
    for d in domains:
        for kind in d.help.directory:
            if kind in labels and kind not in kinds and catalog.directory(region, kind):
                kinds.append(kind)
    rows += [[(labels[k], Dir(kind=k))] for k in kinds[:MAX_PLACES]]
    specialists: list[str] = []
    for d in domains:
        if d.help.specialist and d.help.specialist not in specialists:
            specialists.append(d.help.specialist)
    rows += [
        [(_("Talk to: {who}").format(who=specialty_label(s)), Specialist(kind=s))]
        for s in specialists[:MAX_SPECIALISTS]
    ]
    return rows


def results_kb(
    run: WellbeingCheckin, instrument: ck.Instrument, catalog: Catalog, ctx: UserContext, *, reminder_on: bool
) -> InlineKeyboardMarkup:
    rows = help_rows(run, instrument, catalog, ctx)
    rows.append(
        [(_("Hide from the specialist"), Wb(a="unshare", c=run.id))]
        if run.shared
        else [(_("Show the specialist"), Wb(a="share", c=run.id))]
    )
    rows.append(
        [(_("No reminders"), Wb(a="unremind", c=run.id))]
        if reminder_on
        else [(_("Remind me in 3 months"), Wb(a="remind", c=run.id))]
    )
    return family_kb(ctx, *rows)


# --- the reminder (sent by the scheduler, in the family's language) ----------------------------------------------


def reminder(due: ck.Due) -> tuple[str, InlineKeyboardMarkup]:
    stop: Row = [(_("No more such reminders"), Wb(a="stop", c=due.id))]
    if due.discreet:
        text = _("A short question from us. Open it when it suits you.")
        return text, kb([(_("Open it"), Nav(to="checkin"))], stop, [(_("Hide"), Nav(to="hide"))])
    text = _(
        "<b>How is your family?</b> Three months have passed since you last answered. If you like, answer a few "
        "short questions again: you will see what has changed and what help fits now."
    )
    return text, kb([(_("Answer the questions"), Nav(to="checkin"))], stop)


# --- the request's card (staff, the default locale) --------------------------------------------------------------


def card_lines(run: WellbeingCheckin | None, instrument: ck.Instrument, locale: str) -> list[str]:
    """The latest check-in the family agreed to show, on its request's card: the hard domains and the answers."""
    if run is None:
        return []
    lines = [
        "",
        _("<b>«How is your family?» of {date}</b> (shared by the family)").format(
            date=_date(run.finished_at)
        ),
    ]
    hard = list(run.hard or [])
    lines.append(
        _("Hard now: {domains}").format(domains=hd.quote(_domains(hard, instrument, locale)))
        if hard
        else _("Hard now: nothing in what was asked")
    )
    if run.version != instrument.version:
        return lines
    for q in instrument.questions:
        option = q.option((run.answers or {}).get(q.id, ck.SKIP))
        if option is not None and option.level == ck.HARD:
            lines.append(f"• {hd.quote(q.text.get(locale))} — {hd.quote(option.text.get(locale))}")
    return lines
