"""An event's registrations as an XLSX workbook (openpyxl, as the reports): registered families, then the waiting
list; whether they came and found it useful. Labels come translated from the caller; no Telegram here. Texts that
someone typed (the title, a family's name) are neutralised (services/cells): a spreadsheet never runs them."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence

from bot.db.models import Event, Family
from bot.db.statuses import RegistrationStatus
from bot.services.cells import escape_row
from bot.services.events import Registrant


def registrations_xlsx(
    ev: Event,
    people: Sequence[Registrant],
    headers: list[str],
    *,
    family: Callable[[Family], str],
    status: Callable[[str], str],
    yes_no: Callable[[bool | None], str],
) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = f"event {ev.id}"[:31]
    ws.append(escape_row([ev.title, ev.starts_at.isoformat()]))
    ws.append(headers)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    place = 0
    for p in people:
        waiting = p.reg.status == RegistrationStatus.WAITING
        place += waiting
        ws.append(
            escape_row(
                [
                    family(p.family),
                    status(p.reg.status),
                    place if waiting else None,
                    yes_no(p.reg.attended) if not waiting else None,
                    yes_no(p.reg.useful) if not waiting else None,
                    p.reg.created_at.strftime("%Y-%m-%d %H:%M") if p.reg.created_at else None,
                ]
            )
        )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
