"""The family profile: its fields and the order of questions. Keys are shared with the measures screener."""

from __future__ import annotations

from datetime import date
from typing import Any

FIELDS = (
    "children_count",
    "children_birth_years",
    "pregnant",
    "child_disability",
    "single_parent",
    "large_family",
    "guardian",
    "low_income",
    "military",
)
YES_NO_FIELDS = frozenset(FIELDS) - {"children_count", "children_birth_years"}
LARGE_FAMILY_MIN_CHILDREN = 3
MAX_CHILDREN_ASKED = 6


def next_field(field: str, index: int, profile: dict[str, Any], *, walk: bool) -> tuple[str, int] | None:
    """The next question after answering `field` (and child `index`), or None when done.

    Birth years follow the number of children, one child at a time; the large-family question is
    asked only of families with three or more children. In edit mode only the chain that
    belongs to the edited answer is followed.
    """
    count = profile.get("children_count") or 0
    if field == "children_count" and count > 0:
        return "children_birth_years", 0
    if field == "children_birth_years" and index + 1 < min(count, 6):
        return "children_birth_years", index + 1
    if not walk:
        return None
    order = list(FIELDS)
    pos = order.index(field) + 1
    while pos < len(order):
        candidate = order[pos]
        if candidate == "children_birth_years":
            pos += 1
            continue
        if candidate == "large_family" and count and count < LARGE_FAMILY_MIN_CHILDREN:
            pos += 1
            continue
        return candidate, 0
    return None


def parse_answer(field: str, value: str, index: int, profile: dict) -> dict:
    """The profile changes one button of a question makes; ValueError for a value no button offers."""
    if value == "skip":
        return {field: None} if field != "children_birth_years" else {}
    if field == "children_count":
        count = int(value)
        if not 0 <= count <= MAX_CHILDREN_ASKED:
            raise ValueError(value)
        years = list(profile.get("children_birth_years") or [])[:count]
        return {"children_count": count, "children_birth_years": years or None}
    if field == "children_birth_years":
        years = list(profile.get("children_birth_years") or [])
        year = 0 if value == "older" else int(value)
        if year and not date.today().year - 30 <= year <= date.today().year:
            raise ValueError(value)
        while len(years) <= index:
            years.append(None)
        years[index] = year or None
        return {"children_birth_years": years}
    if value not in ("yes", "no"):
        raise ValueError(value)
    return {field: value == "yes"}
