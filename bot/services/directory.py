"""Directory of hotlines and help organisations (`data/organisations.yaml`) by region and kind of help.

Pure functions over a loaded `Content`. Regional entries come first, then federal ones; inside each group the
`priority` field orders them (crisis lines first), then the Russian name.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.content import Content
from bot.services.content_base import FEDERAL, OTHER_REGION, I18n
from bot.services.organisations import Organisation

__all__ = [
    "Kind",
    "RegionalFallback",
    "emergency_contacts",
    "find",
    "kind_label",
    "kinds",
    "regional_fallback",
]

CRISIS_KIND = "crisis"


@dataclass(frozen=True)
class Kind:
    """A kind of help (`crisis`, `psychological`, `legal`, …) with its ru/en label."""

    id: str
    label: I18n

    def text(self, lang: str) -> str:
        return self.label.get(lang)


def kinds(content: Content, *, only_used: bool = False) -> list[Kind]:
    """Kinds of help in the order of `organisations.yaml`; with `only_used`, only kinds that have entries."""
    used = {k for org in content.organisations for k in org.kinds}
    return [Kind(k, label) for k, label in content.kinds.items() if not only_used or k in used]


def kind_label(content: Content, kind: str, lang: str) -> str:
    label = content.kinds.get(kind)
    if label is None:
        raise KeyError(kind)
    return label.get(lang)


def _order(org: Organisation) -> tuple[int, str]:
    return (org.priority, org.name.ru)


def find(content: Content, region: str | None, kind: str | None) -> list[Organisation]:
    """Organisations for `region` (None / `other` / unknown code → federal only) and `kind` (None → all).

    Regional entries first, then federal; each group ordered by `priority`, then name.
    """
    if kind is not None and kind not in content.kinds:
        raise KeyError(f"unknown kind of help {kind!r}")
    matches = [org for org in content.organisations if kind is None or kind in org.kinds]
    regional: list[Organisation] = []
    if region and region != OTHER_REGION and region != FEDERAL:
        regional = sorted((o for o in matches if o.region == region), key=_order)
    federal = sorted((o for o in matches if o.is_federal), key=_order)
    return regional + federal


def emergency_contacts(content: Content, region: str | None) -> list[Organisation]:
    """Lines to show at once when a family signals danger, by `priority` only (112 first), regional before
    federal on a tie. Unlike `find`, a regional line never pushes 112 or the children's helpline down."""
    found = find(content, region, CRISIS_KIND)
    return sorted(found, key=lambda o: (o.priority, o.is_federal, o.name.ru))


@dataclass(frozen=True)
class RegionalFallback:
    """What to tell a family whose region has no known Family Resource Centre."""

    uses_federal_line: bool
    note: I18n | None
    organisations: list[Organisation]


def regional_fallback(content: Content, region: str | None) -> RegionalFallback:
    """When the region's centre is unknown: the federal-line note and organisations to show instead."""
    reg = content.region(region)
    if not reg.uses_federal_line:
        return RegionalFallback(False, None, [])
    return RegionalFallback(True, content.federal_line.note, content.federal_line_organisations())
