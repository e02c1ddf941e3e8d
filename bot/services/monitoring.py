"""The monitoring report: where families in a region struggle, from «Как дела у семьи?» and the desk's records.

No Telegram here, and no personal data in what it returns: counts of families only, and no cell under
:data:`MIN_FAMILIES` families. A period (and region) with fewer families answering shows no breakdown at all; a
share whose families with difficulty are 1 to 4 is hidden; regions with fewer families are merged into one line
(hidden too if the merged line is still under the threshold); a need named by fewer families is left out.

For each period each family counts once, with its latest finished check-in of the period (of the instrument's
current version: answers to an older wording are not mixed in). The previous period is the one of the same
length just before. The needs most often unmet come from the check-ins, the operators' /unmet tags and
material-help requests; the bot keeps no record of unanswered questions yet, so they are not a source here.
Labels are English msgids marked with ``N_`` and translated by the caller (``t``); domain
names come from the instrument in the report's language.
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Case, WellbeingCheckin
from bot.services import checkin as ck
from bot.services.reports import N_, Period

MIN_FAMILIES = 5
HIDDEN = "<5"
MERGED = "merged"


@dataclass
class DomainRow:
    domain: str
    answered: int | None  # families who answered about the domain; None: fewer than MIN_FAMILIES
    share: float | None  # % of them with difficulty; None: hidden
    previous_share: float | None
    change: float | None  # percentage points

    @property
    def hidden(self) -> bool:
        return self.share is None


@dataclass
class Need:
    source: str  # checkin | unmet | material_help
    need: str  # a domain id (checkin), the operators' words (unmet), "material_help"
    families: int


@dataclass
class Monitoring:
    period: Period
    previous: Period
    region: str | None
    version: str
    families: int  # exact only when >= MIN_FAMILIES (see shown_families)
    families_previous: int
    domains: list[DomainRow] = field(default_factory=list)
    regions: list[tuple[str, int | None]] = field(
        default_factory=list
    )  # (code or MERGED, families or hidden)
    needs: list[Need] = field(default_factory=list)

    @property
    def enough(self) -> bool:
        return self.families >= MIN_FAMILIES

    def shown(self, n: int) -> int | str:
        return n if n == 0 or n >= MIN_FAMILIES else HIDDEN

    @property
    def shown_families(self) -> int | str:
        return self.shown(self.families)

    @property
    def shown_families_previous(self) -> int | str:
        return self.shown(self.families_previous)


def previous_period(period: Period) -> Period:
    days = (period.end - period.start).days + 1
    return Period(period.start - timedelta(days=days), period.start - timedelta(days=1), period.tz)


async def _latest_runs(
    session: AsyncSession, period: Period, region: str | None, version: str
) -> list[WellbeingCheckin]:
    query = select(WellbeingCheckin).where(
        WellbeingCheckin.status.in_(ck.FINISHED),
        WellbeingCheckin.version == version,
        WellbeingCheckin.finished_at >= period.since,
        WellbeingCheckin.finished_at < period.until,
    )
    if region:
        query = query.where(WellbeingCheckin.region == region)
    latest: dict[int, WellbeingCheckin] = {}
    for run in (await session.scalars(query.order_by(WellbeingCheckin.id))).all():
        latest[run.family_id] = run
    return list(latest.values())


def _shares(runs: list[WellbeingCheckin], instrument: ck.Instrument) -> dict[str, tuple[int, float | None]]:
    """domain → (families who answered about it, % with difficulty or None when it may not be shown)."""
    answered: Counter[str] = Counter()
    hard: Counter[str] = Counter()
    for run in runs:
        for domain, state in ck.domain_states(run.answers or {}, instrument).items():
            answered[domain] += 1
            hard[domain] += state == ck.HARD
    result: dict[str, tuple[int, float | None]] = {}
    for d in instrument.domains:
        n, k = answered[d.id], hard[d.id]
        share = None if n < MIN_FAMILIES or 0 < k < MIN_FAMILIES else round(100 * k / n, 1)
        result[d.id] = (n, share)
    return result


async def build(
    session: AsyncSession, period: Period, region: str | None, instrument: ck.Instrument
) -> Monitoring:
    before = previous_period(period)
    runs = await _latest_runs(session, period, region, instrument.version)
    runs_before = await _latest_runs(session, before, region, instrument.version)
    report = Monitoring(
        period=period,
        previous=before,
        region=region,
        version=instrument.version,
        families=len(runs),
        families_previous=len(runs_before),
    )
    if report.enough:
        now = _shares(runs, instrument)
        then = _shares(runs_before, instrument) if len(runs_before) >= MIN_FAMILIES else {}
        for d in instrument.domains:
            n, share = now[d.id]
            previous = then.get(d.id, (0, None))[1]
            change = round(share - previous, 1) if share is not None and previous is not None else None
            report.domains.append(DomainRow(d.id, n if n >= MIN_FAMILIES else None, share, previous, change))
        hard_families = Counter(domain for run in runs for domain in (run.hard or []))
        report.needs += [Need("checkin", d, n) for d, n in hard_families.most_common() if n >= MIN_FAMILIES]
    if region is None:
        per_region = Counter(run.region or "—" for run in runs)
        big = sorted(
            (c for c, n in per_region.items() if n >= MIN_FAMILIES), key=lambda c: (-per_region[c], c)
        )
        report.regions = [(c, per_region[c]) for c in big]
        small = sum(n for c, n in per_region.items() if n < MIN_FAMILIES)
        if small:
            report.regions.append((MERGED, small if small >= MIN_FAMILIES else None))
    report.needs += await _desk_needs(session, period, region)
    return report


async def _desk_needs(session: AsyncSession, period: Period, region: str | None) -> list[Need]:
    """Needs the desk could not meet (operators' /unmet) and material-help requests, by families."""
    query = select(Case.id, Case.family_id, Case.category, Case.unmet_needs).where(
        Case.opened_at >= period.since, Case.opened_at < period.until
    )
    if region:
        query = query.where(Case.region == region)
    unmet: dict[str, set[Any]] = {}
    material: set[Any] = set()
    for case_id, family_id, category, needs in (await session.execute(query)).all():
        who = family_id if family_id is not None else f"case-{case_id}"  # an erased family still counts once
        for need in needs or []:
            if need and need.strip():
                unmet.setdefault(need.strip().lower()[:60], set()).add(who)
        if category == "material_help":
            material.add(who)
    found = [Need("unmet", need, len(who)) for need, who in unmet.items() if len(who) >= MIN_FAMILIES]
    found.sort(key=lambda n: (-n.families, n.need))
    if len(material) >= MIN_FAMILIES:
        found.append(Need("material_help", "material_help", len(material)))
    return found


# --- files -------------------------------------------------------------------------------------------------------

SOURCE_LABELS = {
    "checkin": N_("«How is your family?»: difficulty"),
    "unmet": N_("Unmet needs tagged by operators"),
    "material_help": N_("Requests for material help"),
}


def _cell(value: float | int | None) -> float | int | str:
    return HIDDEN if value is None else value


def need_label(need: Need, instrument: ck.Instrument, lang: str, t) -> str:
    if need.source == "checkin":
        domain = instrument.domain(need.need)
        return domain.title.get(lang) if domain else need.need
    if need.source == "material_help":
        return t(N_("material help"))
    return need.need


def chart_png(report: Monitoring, instrument: ck.Instrument, lang: str, t, region_label: str) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    figure, ax = plt.subplots(figsize=(10, 5.2), dpi=100)
    shown = [row for row in report.domains if not row.hidden]
    if shown:
        names = [instrument.domain(row.domain).title.get(lang)[:40] for row in shown]
        ys = list(range(len(shown)))
        ax.barh([y + 0.2 for y in ys], [row.share for row in shown], height=0.4, label=report.period.label())
        before = [row.previous_share if row.previous_share is not None else 0 for row in shown]
        if any(row.previous_share is not None for row in shown):
            ax.barh([y - 0.2 for y in ys], before, height=0.4, label=report.previous.label(), color="#b0c4de")
        ax.set_yticks(ys, names)
        ax.invert_yaxis()
        ax.set_xlim(0, 100)
        ax.set_xlabel(t(N_("Families with difficulty, %")))
        ax.legend(fontsize=8)
    else:
        ax.axis("off")
        ax.text(
            0.5,
            0.5,
            t(N_("Fewer than 5 families answered: no breakdown")),
            ha="center",
            va="center",
            transform=ax.transAxes,
        )
    ax.set_title(t(N_("Where families find things hard")))
    figure.suptitle(
        f"{t(N_('Period'))}: {report.period.label()} · {t(N_('Region'))}: {region_label} · "
        f"{t(N_('Families answered'))}: {report.shown_families}"
    )
    figure.tight_layout()
    buf = io.BytesIO()
    figure.savefig(buf, format="png")
    plt.close(figure)
    return buf.getvalue()


def xlsx_bytes(report: Monitoring, instrument: ck.Instrument, lang: str, t, region_name) -> bytes:
    """``region_name(code)`` gives a region's name; MERGED is the line of regions under the threshold."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    head = [
        f"{t(N_('Period'))}: {report.period.label()}",
        f"{t(N_('Region'))}: {region_name(report.region) if report.region else t(N_('all'))}",
    ]

    def sheet(title: str, headers: list[str], rows: list[list[Any]]) -> None:
        ws = wb.create_sheet(title=t(title).replace(":", " —").replace("/", "-")[:31])
        ws.append([t(title)])
        ws["A1"].font = Font(bold=True)
        ws.append(head)
        ws.append([t(h) for h in headers])
        for cell in ws[3]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append(row)
        ws.column_dimensions["A"].width = 48
        ws.column_dimensions["B"].width = 22

    sheet(
        N_("Monitoring"),
        [N_("Figure"), N_("Value")],
        [
            [t(N_("Families answered")), report.shown_families],
            [t(N_("Families answered in the previous period")), report.shown_families_previous],
            [t(N_("Previous period")), report.previous.label()],
            [t(N_("Questionnaire version")), report.version],
            [t(N_("Cells under 5 families")), t(N_("hidden or merged"))],
        ],
    )
    sheet(
        N_("Difficulty by domain"),
        [
            N_("Domain"),
            N_("Families answered"),
            N_("With difficulty, %"),
            N_("Previous period, %"),
            N_("Change, p.p."),
        ],
        [
            [
                instrument.domain(row.domain).title.get(lang),
                _cell(row.answered),
                _cell(row.share),
                _cell(row.previous_share),
                _cell(row.change),
            ]
            for row in report.domains
        ],
    )
    if report.region is None:
        sheet(
            N_("Families by region"),
            [N_("Region"), N_("Families answered")],
            [
                [t(N_("Other regions together")) if code == MERGED else region_name(code), _cell(n)]
                for code, n in report.regions
            ],
        )
    sheet(
        N_("Needs most often unmet"),
        [N_("Source"), N_("Need"), N_("Families")],
        [[t(SOURCE_LABELS[n.source]), need_label(n, instrument, lang, t), n.families] for n in report.needs],
    )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def file_stem(report: Monitoring) -> str:
    return f"monitoring_{report.period.start:%Y%m%d}_{report.period.end:%Y%m%d}_{report.region or 'all'}"
