"""Income against the subsistence minimum (ПМ) of a region and year: the thresholds the income questions use."""

from __future__ import annotations

from bot.services.measures.loader import Catalogue, default_catalogue
from bot.services.measures.models import Text
from bot.services.texts import N_

# --------------------------------------------------------------------------------------------------- income / ПМ


def pm_entry(region: str | None, year: int, catalogue: Catalogue | None = None):
    cat = catalogue or default_catalogue()
    table = cat.pm.get(year)
    if table is None or region is None:
        return None
    return table.regions.get(region)


def income_threshold(
    region: str | None, family_size: int, year: int, catalogue: Catalogue | None = None
) -> float | None:
    """Monthly income of the whole family below which it counts as low-income: regional ПМ per capita × family size.

    None when the region's ПМ for that year is unknown or unverified: the screener then answers «maybe» and the
    question tells where to check (`pm_check_where`)."""
    entry = pm_entry(region, year, catalogue)
    if entry is None or family_size <= 0:
        return None
    pc = entry.per_capita
    if pc.value is None or pc.status not in ("verified", "sourced"):
        return None
    return round(pc.value * family_size, 2)


def pm_check_where(region: str | None, year: int, catalogue: Catalogue | None = None) -> Text:
    cat = catalogue or default_catalogue()
    entry = pm_entry(region, year, cat)
    if entry is not None:
        return entry.check_where
    table = cat.pm.get(year)
    if table is not None:
        return Text.of(
            N_(
                "The subsistence minimum is set by the regional government. Find it on the regional social protection"
                " website, at an MFC or on Gosuslugi."
            )
        )
    return Text.of(N_("Check on Gosuslugi."))


def income_level_for(
    monthly_family_income: float,
    region: str | None,
    family_size: int,
    year: int,
    catalogue: Catalogue | None = None,
) -> str | None:
    """Map a family's monthly income to the questionnaire's `income_level` option (None if ПМ is unknown).

    «below_pm» is strictly below the threshold: an income exactly at the threshold is not below it."""
    t = income_threshold(region, family_size, year, catalogue)
    if t is None:
        return None
    if monthly_family_income < t:
        return "below_pm"
    if monthly_family_income <= t * 1.1:
        return "pm_to_1_1"
    if monthly_family_income <= t * 1.5:
        return "pm_1_1_to_1_5"
    return "above_1_5"
