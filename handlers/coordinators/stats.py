"""/stats: figures for a period and a region, a chart, and the XLSX and CSV files."""

from __future__ import annotations

from datetime import date

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, CallbackQuery, InaccessibleMessage, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.markdown import html_decoration as hd

from bot.config import Settings
from bot.db.session import AsyncSession
from bot.middlewares.context import UserContext
from bot.services import report_files, reports
from bot.services.audit import audit
from bot.services.catalog import Catalog
from bot.views import aid as aid_views
from bot.views.callbacks import Stat
from bot.views.coordinators import region_name, report_value_label, value_label
from bot.views.ui import chunk, kb, show
from handlers.coordinators import monitoring
from handlers.filters import role_of

router = Router(name="coordinators.stats")

PERIODS = ("7", "30", "90", "365")


def period_label(p: str) -> str:
    return {"7": _("7 days"), "30": _("30 days"), "90": _("quarter"), "365": _("year")}[p]


def picker(p: str, r: str, catalog: Catalog, locale: str):
    periods = [(("✓ " if x == p else "") + period_label(x), Stat(p=x, r=r)) for x in PERIODS]
    regions = [(("✓ " if r == "all" else "") + _("All regions"), Stat(p=p, r="all"))]
    regions += [
        (("✓ " if r == reg.code else "") + reg.name.get(locale), Stat(p=p, r=reg.code))
        for reg in catalog.regions
        if reg.code != "other"
    ]
    return kb(
        periods,
        *chunk(regions, 2),
        [(_("Show the report"), Stat(p=p, r=r, go=1))],
        [(_("Monitoring «How is your family?»"), Stat(p=p, r=r, go=2))],
    )


def theme_title(catalog: Catalog, theme: str, locale: str) -> str:
    """An unanswered question's theme: the bot's best guess, named as families see it."""
    return _("no guess") if theme == "none" else catalog.intent_title(theme, locale)


def summary_text(fig: reports.Figures, catalog: Catalog, locale: str) -> str:
    s = fig.summary

    def v(key: str) -> str:
        return "—" if s[key] is None else str(s[key])

    region = region_name(catalog, fig.region, locale) if fig.region else _("all regions")
    lines = [
        _("<b>Report for {period}</b>, {region}").format(period=fig.period.label(), region=hd.quote(region)),
        _("Requests: {n} · open {open} · closed {closed} · unreachable {unreachable}").format(
            n=s["requests"], open=s["open"], closed=s["closed"], unreachable=s["unreachable"]
        ),
        _("First response: median {median} min, 90% within {p90} min").format(
            median=v("first_response_median_min"), p90=v("first_response_p90_min")
        ),
        _("Closing: median {median} h, 90% within {p90} h").format(
            median=v("close_median_h"), p90=v("close_p90_h")
        ),
        _("Ratings: {n}, average {avg}").format(n=s["rated"], avg=v("rating_avg")),
        _("Danger signals: {events} · crisis requests: {crisis}").format(
            events=s["crisis_events"], crisis=s["crisis_requests"]
        ),
        _(
            "Support measures: {screened} family saw results · follow-ups asked {asked}, answered {answered}",
            "Support measures: {screened} families saw results · follow-ups asked {asked}, answered {answered}",
            s["measures_screened"],
        ).format(
            screened=s["measures_screened"], asked=s["followups_asked"], answered=s["followups_answered"]
        ),
        _("Unmet needs tagged: {n}").format(n=s["unmet_needs"]),
        _("Broadcasts: {n} · families reached: {reached}").format(
            n=s["broadcasts"], reached=s["families_reached"]
        ),
    ]
    lines += [
        "",
        _("<b>Family card</b>: valid cards {valid} · issued {issued}").format(
            valid=s["cards_valid"], issued=s["cards_issued"]
        ),
        _("Applications: {n} · approved {approved} · not approved {rejected}").format(
            n=s["card_applications"], approved=s["card_approved"], rejected=s["card_rejected"]
        ),
        _("Checks by partners: {checks} · discounts given: {redeemed}").format(
            checks=s["card_checks"], redeemed=s["card_redeemed"]
        ),
    ]
    card_regions = fig.table("card_regions").rows
    if card_regions and not fig.region:
        lines += [
            _("{region}: valid cards {valid}, discounts {redeemed}").format(
                region=hd.quote(region_name(catalog, code, locale)), valid=valid, redeemed=redeemed
            )
            for code, valid, _issued, _apps, _approved, _rejected, _checks, redeemed in card_regions[:10]
        ]
    partners = fig.table("card_partners").rows
    if partners:
        lines += [_("<b>Partners</b>")] + [
            _("{partner}: {checks} checks, {redeemed} discounts").format(
                partner=hd.quote(name), checks=checks, redeemed=redeemed
            )
            for name, checks, _valid, redeemed in partners[:10]
        ]
    lines += [
        "",
        _("<b>Material help</b>: requests {n} · received {closed} · not met {unmet} · open {open}").format(
            n=s["aid_requests"], closed=s["aid_closed"], unmet=s["aid_unmet"], open=s["aid_open"]
        ),
        _("Time to hand over: median {median} h").format(median=v("aid_fulfil_median_h")),
    ]
    lines += [
        _("{kind}: {n}, not met {unmet}").format(kind=aid_views.item_label(kind), n=n, unmet=unmet)
        for kind, n, unmet in fig.table("aid_items").rows
    ]
    lines += [
        "",
        _("<b>Events</b>: held {held} · registrations {n} · came {came} · «useful» {useful}").format(
            held=s["events_held"],
            n=s["event_registrations"],
            came=s["event_attended"],
            useful=s["event_useful"],
        ),
    ]
    not_answered = fig.table("unanswered").rows[:10]
    lines += ["", _("<b>Questions the bot could not answer</b> (by theme)")]
    if not_answered:
        lines += [f"{hd.quote(theme_title(catalog, theme, locale))}: {n}" for theme, n in not_answered]
    else:
        lines.append(_("No such questions in this period."))
    top = fig.table("categories").rows[:5]
    if top:
        lines += ["", _("<b>Top topics</b>")] + [
            f"{hd.quote(value_label('categories', k))}: {n}" for k, n in top
        ]
    lines += ["", _("The chart and the XLSX and CSV files follow. They hold no personal data.")]
    return "\n".join(lines)


async def send_report(
    message: Message | InaccessibleMessage,
    session: AsyncSession,
    ctx: UserContext,
    catalog: Catalog,
    settings: Settings,
    period: reports.Period,
    region: str | None,
) -> None:
    await audit(
        session,
        actor_tg_id=ctx.user.id,
        role=role_of(ctx),
        action="report.stats",
        details={"from": period.start.isoformat(), "to": period.end.isoformat(), "region": region},
    )
    await message.bot.send_chat_action(message.chat.id, "upload_document")
    fig = await reports.build(session, period, region)
    locale = settings.default_locale
    await message.answer(summary_text(fig, catalog, locale))
    labels = report_value_label(catalog, locale)
    stem = report_files.file_stem(fig)
    await message.answer_photo(
        BufferedInputFile(report_files.chart_png(fig, _, labels), filename=f"{stem}.png"),
        caption=_("Requests per week, response times, ratings"),
    )
    await message.answer_document(
        BufferedInputFile(report_files.xlsx_bytes(fig, _, labels), filename=f"{stem}.xlsx"),
        caption=_("The report as a workbook: a sheet per table."),
    )
    await message.answer_document(
        BufferedInputFile(report_files.csv_bytes(fig, _, labels), filename=f"{stem}.csv"),
    )


@router.message(Command("stats"))
async def stats(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    ctx: UserContext,
    catalog: Catalog,
    settings: Settings,
) -> None:
    args = (command.args or "").split()
    # «/stats monitoring 2026-01-01 2026-03-31 RU-PNZ»: the monitoring report (the last quarter without dates)
    monitoring_report = bool(args) and args[0] == "monitoring"
    if monitoring_report:
        quarter = reports.last_days(90, settings.tz)
        args = args[1:] or [str(quarter.start), str(quarter.end)]
    if not args:
        await message.answer(
            _(
                "<b>Reports</b>: choose the period and the region. Or write /stats 2026-01-01 2026-03-31 RU-PNZ"
            ),
            reply_markup=picker("30", "all", catalog, settings.default_locale),
        )
        return
    try:
        start, end = date.fromisoformat(args[0]), date.fromisoformat(args[1])
        region = args[2] if len(args) > 2 else None
        if end < start or (region and catalog.region(region) is None):
            raise ValueError
    except (ValueError, IndexError):
        await message.answer(
            _("Please write it as /stats 2026-01-01 2026-03-31 or add a region code: RU-PNZ.")
        )
        return
    period = reports.Period(start, end, settings.tz)
    if monitoring_report:
        await monitoring.send_monitoring(message, session, ctx, catalog, settings, period, region)
        return
    await send_report(message, session, ctx, catalog, settings, period, region)


@router.callback_query(Stat.filter())
async def stats_pick(
    call: CallbackQuery,
    callback_data: Stat,
    session: AsyncSession,
    ctx: UserContext,
    catalog: Catalog,
    settings: Settings,
) -> None:
    p = callback_data.p if callback_data.p in PERIODS else "30"
    r = callback_data.r if callback_data.r == "all" or catalog.region(callback_data.r) else "all"
    await call.answer()
    if not callback_data.go:
        await show(
            call,
            _(
                "<b>Reports</b>: choose the period and the region. Or write /stats 2026-01-01 2026-03-31 RU-PNZ"
            ),
            picker(p, r, catalog, settings.default_locale),
        )
        return
    period = reports.last_days(int(p), settings.tz)
    if callback_data.go == 2:
        assert isinstance(call.message, Message)
        await monitoring.send_monitoring(
            call.message, session, ctx, catalog, settings, period, None if r == "all" else r
        )
        return
    await send_report(call.message, session, ctx, catalog, settings, period, None if r == "all" else r)
