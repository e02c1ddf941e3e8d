"""Rules of the social family card from `data/card.yaml`: categories, kinds of offers, rules per region."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.services import yamlsafe
from bot.services.content_base import I18n
from bot.services.profile import YES_NO_FIELDS

CARD_FILE = "card.yaml"
DEFAULT = "default"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Category(_Model):
    id: str
    profile: str | None
    name: I18n


class OfferKind(_Model):
    id: str
    name: I18n


class RegionRules(_Model):
    open: bool = True
    document_required: bool = False
    validity_months: int = Field(default=12, ge=1, le=60)
    renew_before_days: int = Field(default=30, ge=0, le=365)


class CardRules(_Model):
    version: int
    categories: list[Category] = Field(min_length=1)
    offer_kinds: list[OfferKind] = Field(min_length=1)
    regions: dict[str, RegionRules]

    @model_validator(mode="after")
    def _check(self) -> CardRules:
        ids = [c.id for c in self.categories]
        if len(set(ids)) != len(ids):
            raise ValueError("duplicate category ids")
        for c in self.categories:
            if c.profile is not None and c.profile not in YES_NO_FIELDS:
                raise ValueError(f"category {c.id}: profile {c.profile!r} is not a yes/no profile answer")
        if sum(c.profile is None for c in self.categories) != 1:
            raise ValueError("exactly one category (families with children) must have `profile: null`")
        kinds = [k.id for k in self.offer_kinds]
        if len(set(kinds)) != len(kinds):
            raise ValueError("duplicate offer kinds")
        if DEFAULT not in self.regions:
            raise ValueError("`regions` needs a `default` entry")
        return self

    # --- lookups ---------------------------------------------------------------------------------
    def region(self, code: str | None) -> RegionRules:
        return self.regions.get(code or "", self.regions[DEFAULT])

    def category(self, cid: str) -> Category | None:
        return next((c for c in self.categories if c.id == cid), None)

    def kind(self, kid: str) -> OfferKind | None:
        return next((k for k in self.offer_kinds if k.id == kid), None)

    def category_name(self, cid: str, locale: str) -> str:
        c = self.category(cid)
        return c.name.get(locale) if c else cid

    def kind_name(self, kid: str, locale: str) -> str:
        k = self.kind(kid)
        return k.name.get(locale) if k else kid

    def categories_of(self, profile: dict[str, Any]) -> list[str]:
        """The family's categories from its profile, in priority order; [] when it is not eligible.

        Eligible: at least one child or a pregnancy (domain.md §7.3). The general category
        «families with children» is always last, and only kept when nothing more specific applies.
        """
        has_children = (profile.get("children_count") or 0) > 0
        if not has_children and not profile.get("pregnant"):
            return []
        found = [c.id for c in self.categories if c.profile and profile.get(c.profile)]
        if not found:
            found = [c.id for c in self.categories if c.profile is None]
        return found


def read(data_dir: Path) -> CardRules:
    raw = yamlsafe.load((data_dir / CARD_FILE).read_text(encoding="utf-8"))
    return CardRules.model_validate(raw)


def validate(data_dir: Path) -> list[str]:
    """Readable problems of `data/card.yaml` (empty when it is valid)."""
    try:
        read(data_dir)
    except FileNotFoundError:
        return [f"{CARD_FILE}: missing"]
    except yaml.YAMLError as exc:
        return [f"{CARD_FILE}: not valid YAML: {exc}"]
    except ValidationError as exc:
        return [f"{CARD_FILE}: {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
    return []
