"""Facts: normalising the answers and the family profile, and computing derived facts on the screening date.

Numeric facts may be exact (int/float) or an `Interval` when only a range is known: «born in 2023» on
2026-11-22 means the child is 2 years 10 months to 3 years 10 months old. Conditions over intervals are
three-valued (see engine.compare).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

INF = math.inf

# Facts of the family profile the screener reuses (bot/services/families.py keeps them in Family.profile).
PROFILE_FACTS = (
    "children_birth_years",
    "children_birth_dates",
    "children_count",
    "pregnant",
    "pregnancy_weeks",
    "child_disability",
    "single_parent",
    "large_family",
    "guardian",
    "low_income",
    "military",
    "region",
)


@dataclass(frozen=True, slots=True)
class Interval:
    """A closed range [lo, hi] of possible values of a number (hi may be inf)."""

    lo: float
    hi: float

    @property
    def exact(self) -> bool:
        return self.lo == self.hi


class _NoChildren:
    """Value of child-age facts in a family without children: every comparison is false."""

    def __repr__(self) -> str:
        return "NO_CHILDREN"


NO_CHILDREN = _NoChildren()

_INCOME_ORDER = ("below_pm", "pm_to_1_1", "pm_1_1_to_1_5", "above_1_5")


def as_interval(v: Any) -> Interval | None:
    """Coerce an answer to an interval: 3 → [3, 3]; [12, 25] → [12, 25]; [5, None] → [5, inf]."""
    if v is None or isinstance(v, bool):
        return None
    if isinstance(v, Interval):
        return v
    if isinstance(v, int | float):
        return Interval(float(v), float(v))
    if isinstance(v, list | tuple) and len(v) == 2:
        lo = -INF if v[0] is None else float(v[0])
        hi = INF if v[1] is None else float(v[1])
        return Interval(lo, hi)
    return None


def _full_months(born: date, on: date) -> int:
    months = (on.year - born.year) * 12 + (on.month - born.month)
    if on.day < born.day:
        months -= 1
    return max(months, 0)


def child_age_months(*, on: date, born: date | None = None, year: int | None = None) -> Interval | None:
    """Age in full months on the date; from a birth year only, the range of possible ages."""
    if born is not None:
        if born > on:
            return None
        m = float(_full_months(born, on))
        return Interval(m, m)
    if year is None or year > on.year:
        return None
    earliest = date(year, 1, 1)
    latest = min(date(year, 12, 31), on)
    return Interval(float(_full_months(latest, on)), float(_full_months(earliest, on)))


def _parse_date(v: Any) -> date | None:
    if isinstance(v, date):
        return v
    if isinstance(v, str):
        try:
            return date.fromisoformat(v)
        except ValueError:
            return None
    return None


@dataclass(frozen=True, slots=True)
class Child:
    age_months: Interval | None  # None: age unknown
    birth_year: int | None


def children_of(facts: dict[str, Any], on: date) -> tuple[list[Child], Interval | None]:
    """The children we know something about, and the number of children (exact or a range; None = unknown).

    Children counted but without a birth year get an unknown age."""
    kids: list[Child] = []
    dates = [d for d in (_parse_date(x) for x in facts.get("children_birth_dates") or []) if d is not None]
    for d in dates:
        kids.append(Child(child_age_months(on=on, born=d), d.year))
    if not dates:
        for y in facts.get("children_birth_years") or []:
            if isinstance(y, int) and not isinstance(y, bool):
                kids.append(Child(child_age_months(on=on, year=y), y))
    count = as_interval(facts.get("children_count"))
    if count is None and ("children_birth_years" in facts or "children_birth_dates" in facts):
        listed = facts.get("children_birth_dates") or facts.get("children_birth_years")
        if isinstance(listed, list):  # one entry per child; None = year not known
            count = Interval(len(listed), len(listed))
    if count is not None and count.lo < len(kids):
        count = Interval(float(len(kids)), max(count.hi, float(len(kids))))
    if count is not None:
        missing = int(count.hi - len(kids)) if count.hi != INF else 1
        kids.extend(Child(None, None) for _ in range(max(0, min(missing, 20))))
    return kids, count


def _ages_years(kids: Iterable[Child]) -> list[Interval]:
    return [
        Interval(k.age_months.lo / 12, k.age_months.hi / 12) if k.age_months else Interval(0.0, INF)
        for k in kids
    ]


# ------------------------------------------------------------------------------------------------ derived facts


def _youngest(ctx: _Ctx) -> Any:
    if ctx.count is None:
        return None
    if ctx.count.hi == 0:
        return NO_CHILDREN
    if ctx.count.lo == 0:
        return None  # maybe no children at all
    possible = _ages_years(ctx.kids)
    certain = possible[: int(ctx.count.lo)]
    return Interval(min(a.lo for a in possible), min(a.hi for a in certain))


def _under(limit_years: float) -> Callable[[_Ctx], Any]:
    def f(ctx: _Ctx) -> Any:
        if ctx.count is None:
            return None
        ages = _ages_years(ctx.kids)
        sure = sum(1 for a in ages[: int(ctx.count.lo)] if a.hi < limit_years)
        possible = sum(1 for a in ages if a.lo < limit_years)
        if ctx.count.hi == INF:
            return Interval(float(sure), INF)
        return Interval(float(sure), float(possible))

    f.__name__ = f"under_{limit_years}"
    return f


def _sorted_birth_years(ctx: _Ctx) -> list[int] | None:
    """Birth years of all children in birth order, or None if some are unknown."""
    if ctx.count is None or not ctx.count.exact:
        return None
    years = [k.birth_year for k in ctx.kids[: int(ctx.count.lo)]]
    if any(y is None for y in years):
        return None
    return sorted(y for y in years if y is not None)


def _born_since_2018(ctx: _Ctx) -> bool | None:
    if ctx.count is not None and ctx.count.hi == 0:
        return False
    if any(k.birth_year is not None and k.birth_year >= 2018 for k in ctx.kids):
        return True
    return False if _sorted_birth_years(ctx) is not None else None


def _third_child_2019_2030(ctx: _Ctx) -> bool | None:
    """The 3rd or a further child (in birth order) was born between 01.01.2019 and 31.12.2030."""
    if ctx.count is not None and ctx.count.hi < 3:
        return False
    years = _sorted_birth_years(ctx)
    if years is None:
        known = sorted(k.birth_year for k in ctx.kids if k.birth_year is not None)
        # with some years unknown: true if at least 3 known children and a known one of rank >= 3 qualifies
        if len(known) >= 3 and any(2019 <= y <= 2030 for y in known[2:]):
            return True
        return None
    return any(2019 <= y <= 2030 for y in years[2:])


def _matcap_birth(ctx: _Ctx) -> bool | None:
    """1st child born since 2020 or a 2nd/further child born since 2007 (adoption is not modelled)."""
    if ctx.count is not None and ctx.count.hi == 0:
        return False
    years = _sorted_birth_years(ctx)
    if years is None:
        known = sorted(k.birth_year for k in ctx.kids if k.birth_year is not None)
        if len(known) >= 2 and known[-1] >= 2007:
            return True
        if known and known[-1] >= 2020:
            return True
        return None
    if not years:
        return False
    return (years[0] >= 2020 and years[0] <= 2030) or any(2007 <= y <= 2030 for y in years[1:])


def _income_at_most(level: str) -> Callable[[_Ctx], bool | None]:
    limit = _INCOME_ORDER.index(level)

    def f(ctx: _Ctx) -> bool | None:
        v = ctx.facts.get("income_level")
        if v in _INCOME_ORDER:
            return _INCOME_ORDER.index(v) <= limit
        low = ctx.facts.get("low_income")
        if low is True:
            return True
        if low is False and level == "below_pm":
            return False
        return None

    return f


def _pregnancy_days(ctx: _Ctx) -> Interval | None:
    w = as_interval(ctx.facts.get("pregnancy_weeks"))
    if w is None or ctx.facts.get("pregnant") is not True:
        return None
    return Interval(w.lo * 7, w.hi * 7 + 6)


def _large_family(ctx: _Ctx) -> bool | None:
    v = ctx.facts.get("large_family")
    if isinstance(v, bool):
        return v
    if ctx.count is not None and ctx.count.hi < 3:
        return False
    under18 = _under(18)(ctx)
    if isinstance(under18, Interval) and under18.lo >= 3:
        return True
    return None


def _family_size(ctx: _Ctx) -> Interval | None:
    adults = as_interval(ctx.facts.get("adults_count"))
    if adults is None or ctx.count is None:
        return None
    return Interval(adults.lo + ctx.count.lo, adults.hi + ctx.count.hi)


def _military_service(ctx: _Ctx) -> str | None:
    v = ctx.facts.get("military_service")
    if v is not None or "military_service" in ctx.facts:
        return v
    if ctx.facts.get("military") is False:
        return "none"
    return None


@dataclass(slots=True)
class _Ctx:
    facts: dict[str, Any]
    on: date
    kids: list[Child]
    count: Interval | None


DERIVED: dict[str, Callable[[_Ctx], Any]] = {
    "youngest_child_age": _youngest,
    "children_under_18": _under(18),
    "children_under_23": _under(23),
    "children_under_24": _under(24),
    "child_born_since_2018": _born_since_2018,
    "third_child_born_2019_2030": _third_child_2019_2030,
    "matcap_birth_ok": _matcap_birth,
    "income_below_pm": _income_at_most("below_pm"),
    "income_within_1_1_pm": _income_at_most("pm_to_1_1"),
    "income_within_1_5_pm": _income_at_most("pm_1_1_to_1_5"),
    "pregnancy_days": _pregnancy_days,
    "large_family": _large_family,
    "family_size": _family_size,
}


def resolve_facts(facts: dict[str, Any], on: date, region: str | None = None) -> dict[str, Any]:
    """Answers + profile → the full fact dict used by conditions (derived facts added)."""
    out = dict(facts)
    if region is not None:
        out["region"] = region
    kids, count = children_of(out, on)
    if count is not None:
        out["children_count"] = count.lo if count.exact else count
    ctx = _Ctx(out, on, kids, count)
    derived = {name: fn(ctx) for name, fn in DERIVED.items()}
    derived["military_service"] = _military_service(ctx)
    if "pregnancy_weeks" in out:
        out["pregnancy_weeks"] = as_interval(out["pregnancy_weeks"])
    out.update(derived)
    if count is not None and count.hi == 0 and out.get("child_disability") is None:
        out["child_disability"] = False  # no children: no child with a disability (not «to check»)
    return out
