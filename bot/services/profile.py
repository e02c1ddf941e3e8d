"""The family profile: its fields and the order of questions. Keys are shared with the measures screener."""

from __future__ import annotations

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
