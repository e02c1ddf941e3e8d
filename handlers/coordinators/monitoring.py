"""Coordinators: the monitoring report from «Как дела у семьи?» (in /stats: «/stats monitoring …» or the button),
and the button that puts the check-in invitation on a broadcast."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.markdown import html_decoration as hd

from bot.config import Settings
from bot.db.models import Broadcast
from bot.db.session import AsyncSession
from bot.middlewares.context import UserContext
from bot.services import broadcasts as bc
from bot.services import checkin as ck
from bot.services import monitoring, reports
from bot.services.audit import audit
from bot.services.catalog import Catalog
from bot.views.callbacks import BcAct, BcAction
from bot.views.coordinators import region_name
from handlers.coordinators.broadcast import InStatus, draft_screen
from handlers.filters import role_of

router = Router(name="coordinators.monitoring")


def _pct(value: float | None) -> str:
    return hd.quote(monitoring.HIDDEN) if value is None else f"{value:g}%"


def _n(value: int | str | None) -> str:
    """A count as shown in HTML: «<5» for a hidden one."""
    return hd.quote(monitoring.HIDDEN if value is None else str(value))


def summary_text(
    report: monitoring.Monitoring, instrument: ck.Instrument, catalog: Catalog, locale: str
) -> str:
    region = region_name(catalog, report.region, locale) if report.region else _("all regions")
    lines = [
        _("<b>Monitoring «How is your family?» for {period}</b>, {region}").format(
            period=report.period.label(), region=hd.quote(region)
        ),
        _("Families answered: {n} (previous period {previous}: {n_before})").format(
            n=_n(report.shown_families),
            previous=report.previous.label(),
            n_before=_n(report.shown_families_previous),
        ),
    ]
    if not report.enough:
        lines.append(
            _("Fewer than 5 families answered: no breakdown is shown, so that no family can be recognised.")
        )
    else:
        lines += ["", _("<b>Families with difficulty</b> (change since the previous period)")]
        for row in report.domains:
            title = hd.quote(instrument.domain(row.domain).title.get(locale))
            if row.hidden:
                lines.append(_("{domain}: hidden (under 5 families)").format(domain=title))
            elif row.change is None:
                lines.append(f"{title}: {_pct(row.share)}")
            else:
                change = _("{change} p.p.").format(change=f"{row.change:+g}")
                lines.append(f"{title}: {_pct(row.share)} ({change})")
    if report.regions:
        lines += ["", _("<b>Families by region</b>")]
        for code, n in report.regions:
            name = (
                _("Other regions together")
                if code == monitoring.MERGED
                else region_name(catalog, code, locale)
            )
            lines.append(f"{hd.quote(name)}: {_n(n)}")
    if report.needs:
        lines += ["", _("<b>Needs most often unmet</b>")]
        lines += [
            f"{hd.quote(monitoring.need_label(n, instrument, locale, _))}: {n.families} · "
            f"{_(monitoring.SOURCE_LABELS[n.source])}"
            for n in report.needs[:8]
        ]
    lines += [
        "",
        _("Figures are families, never people's data; cells under 5 families are hidden or merged."),
    ]
    return "\n".join(lines)


async def send_monitoring(
    message: Message,
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
        action="report.monitoring",
        details={"from": period.start.isoformat(), "to": period.end.isoformat(), "region": region},
    )
    await message.bot.send_chat_action(message.chat.id, "upload_document")
    instrument = ck.load(catalog.data_dir)
    report = await monitoring.build(session, period, region, instrument)
    locale = settings.default_locale
    await message.answer(summary_text(report, instrument, catalog, locale))
    label = region_name(catalog, region, locale) if region else _("all")
    stem = monitoring.file_stem(report)
    await message.answer_photo(
        BufferedInputFile(monitoring.chart_png(report, instrument, locale, _, label), filename=f"{stem}.png"),
        caption=_("Where families find things hard: this period and the previous one"),
    )
    workbook = monitoring.xlsx_bytes(report, instrument, locale, _, lambda c: region_name(catalog, c, locale))
    await message.answer_document(
        BufferedInputFile(workbook, filename=f"{stem}.xlsx"),
        caption=_("The monitoring report as a workbook: no cell under 5 families."),
    )


# --- the broadcast invitation ------------------------------------------------------------------------------------


@router.callback_query(BcAct.filter(F.a == BcAction.CHK), InStatus(bc.DRAFT))
async def toggle_invitation(
    call: CallbackQuery, b: Broadcast, session: AsyncSession, catalog: Catalog, settings: Settings
) -> None:
    content = dict(b.content or {})
    if content.get("open") == "checkin":
        content.pop("open")
    else:
        content["open"] = "checkin"
    b.content = content
    await call.answer()
    await draft_screen(call, session, b, catalog, settings)
