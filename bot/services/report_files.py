"""Report files: a chart (PNG, matplotlib), an XLSX workbook with a sheet per table (openpyxl) and a CSV file.

``t`` translates a label (an English msgid); ``value`` turns a code in a table (a category, an urgency…) into
a readable label. Everything here is aggregated: no names, no ids of families, no message texts.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

from bot.services.cells import escape_row
from bot.services.reports import N_, SUMMARY_LABELS, Figures

Translate = Callable[[str], str]
ValueLabel = Callable[[str, Any], Any]


def _plain(_table: str, value: Any) -> Any:
    return value


def _rows(fig: Figures, key: str, t: Translate, value: ValueLabel) -> list[list[Any]]:
    table = fig.table(key)
    if key == "summary":
        return [[t(SUMMARY_LABELS[k]), "" if v is None else v] for k, v in table.rows]
    out = []
    for row in table.rows:
        if key == "weekly":
            out.append([row[0], value("categories", row[1]), row[2]])
        elif key in ("broadcasts", "card_partners"):  # organisations' names, not people's
            out.append(row)
        else:
            out.append([value(key, row[0]), *row[1:]])
    return out


def chart_png(fig: Figures, t: Translate, value: ValueLabel = _plain) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    figure, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(15, 4.8), dpi=100)
    weeks = sorted(fig.weekly)
    categories = sorted({c for w in fig.weekly.values() for c in w})
    bottom = [0] * len(weeks)
    for category in categories:
        heights = [fig.weekly[w].get(category, 0) for w in weeks]
        ax1.bar([w[5:] for w in weeks], heights, bottom=bottom, label=str(value("categories", category))[:28])
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    ax1.set_title(t(N_("Requests per week by category")))
    ax1.set_xlabel(t(N_("Week starting")))
    if categories:
        ax1.legend(fontsize=7)
    if not weeks:
        ax1.text(0.5, 0.5, t(N_("No requests")), ha="center", va="center", transform=ax1.transAxes)

    data = [fig.first_response_minutes or [0], fig.close_hours or [0]]
    ax2.boxplot(data, showfliers=False)
    ax2.set_xticks([1, 2], [t(N_("First response, min")), t(N_("Close, h"))])
    ax2.set_title(t(N_("Response times")))

    ax3.bar([str(r) for r in fig.ratings], list(fig.ratings.values()), color="#4a90d9")
    ax3.set_title(t(N_("Ratings")))
    ax3.set_xlabel(t(N_("Rating")))
    period, region, every = t(N_("Period")), t(N_("Region")), t(N_("all"))
    figure.suptitle(f"{period}: {fig.period.label()} · {region}: {fig.region or every}")
    figure.suptitle(f"{period}: {fig.period.label()} · {region}: {fig.region or every}")
    figure.tight_layout()
    buf = io.BytesIO()
    figure.savefig(buf, format="png")
    plt.close(figure)
    return buf.getvalue()


def xlsx_bytes(fig: Figures, t: Translate, value: ValueLabel = _plain) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    period, region, every = t(N_("Period")), t(N_("Region")), t(N_("all"))
    wb.remove(wb.active)
    for table in fig.tables:
        ws = wb.create_sheet(title=t(table.title).replace(":", " —").replace("/", "-")[:31])
        ws.append(escape_row([t(table.title)]))
        ws["A1"].font = Font(bold=True)
        ws.append(escape_row([f"{period}: {fig.period.label()}", f"{region}: {fig.region or every}"]))
        ws.append(escape_row([t(h) for h in table.headers]))
        for cell in ws[3]:
            cell.font = Font(bold=True)
        for row in _rows(fig, table.key, t, value):
            ws.append(escape_row(row))
        ws.column_dimensions["A"].width = 48
        ws.column_dimensions["B"].width = 22
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_bytes(fig: Figures, t: Translate, value: ValueLabel = _plain) -> bytes:
    """One CSV with every table: columns table, then the table's own columns (UTF-8 with BOM for Excel)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(
        escape_row([t(N_("Period")), fig.period.label(), t(N_("Region")), fig.region or t(N_("all"))])
    )
    for table in fig.tables:
        writer.writerow([])
        writer.writerow(escape_row([t(N_("Table")), *(t(h) for h in table.headers)]))
        for row in _rows(fig, table.key, t, value):
            writer.writerow(escape_row([t(table.title), *row]))
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def file_stem(fig: Figures) -> str:
    return f"report_{fig.period.start:%Y%m%d}_{fig.period.end:%Y%m%d}_{fig.region or 'all'}"
