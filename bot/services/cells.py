"""Spreadsheet cells that cannot become formulas (OWASP's CSV-injection rule).

Text written by people (an operator's ``/unmet`` note, an organisation's name, a canned answer) ends up in XLSX and
CSV files that coordinators open in Excel or LibreOffice. A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return is read there as a formula (``=HYPERLINK(…)``, ``=cmd|…``). Every such text cell is written with a
leading apostrophe, which spreadsheets show as plain text; numbers are left as numbers. Our own CSV import strips
the apostrophe again (:func:`unescape`), so an export can be edited and imported back unchanged.
"""

from __future__ import annotations

from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def escape(value: Any) -> Any:
    """``value`` as a safe cell: a text starting with a formula character gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def escape_row(row: list[Any] | tuple[Any, ...]) -> list[Any]:
    return [escape(v) for v in row]


def unescape(value: Any) -> Any:
    """The text an escaped cell stood for (our own exports read back)."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_START):
        return value[1:]
    return value
