"""Pydantic schemas of the measures catalogue (data/measures, data/regions/*/measures, data/reference,
data/questionnaire.yaml, data/life_situations.yaml).

Everything a family sees has a Russian and an English text (`Text`). Every figure carries its sources, the year it
applies to and a status; only `verified` and `sourced` figures are ever shown as numbers (see `Amount.displayable`).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.services.texts import gettext

Lang = Literal["ru", "en"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Text(Strict):
    ru: str = Field(min_length=1)
    en: str = Field(min_length=1)

    @classmethod
    def of(cls, msgid: str) -> Text:
        """One of the services' own sentences (not data) in both languages, from locales/ (bot/services/texts.py)."""
        return cls(ru=gettext(msgid, "ru"), en=gettext(msgid, "en"))

    def fill(self, **values: Text) -> Text:
        """The text with its {placeholders} filled in, each language with its own value."""
        return Text(
            ru=self.ru.format(**{k: v.ru for k, v in values.items()}),
            en=self.en.format(**{k: v.en for k, v in values.items()}),
        )

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.ru

    def __str__(self) -> str:  # pragma: no cover - debugging aid
        return self.ru


# ----------------------------------------------------------------------------------------------------------- sources

_PUBLISHED = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


class Source(Strict):
    """A source as cited in the measures research. `cited_as` is the citation verbatim; `url` only if it gives the
    full address."""

    id: str
    cited_as: str
    publisher: str | None = None
    url: str | None = None
    published: str | None = None  # YYYY, YYYY-MM or YYYY-MM-DD; None = undated
    official: bool = False
    note: str | None = None
    checked: date | None = None  # the day we read it and compared our figures with it

    @field_validator("published")
    @classmethod
    def _published(cls, v: str | None) -> str | None:
        if v is not None and not _PUBLISHED.match(v):
            raise ValueError("published must be YYYY, YYYY-MM or YYYY-MM-DD")
        return v


# ----------------------------------------------------------------------------------------------------------- amounts

FigureStatus = Literal["verified", "sourced", "unverified"]
Periodicity = Literal["once", "monthly", "yearly", "per_leave", "per_child", "none"]
Unit = Literal["RUB", "percent", "RUB_per_month"]


class Amount(Strict):
    """One figure of a measure: either a number (`value` + `unit`) or a rule of computation (`formula`)."""

    id: str
    label: Text | None = None  # what this figure is, e.g. «на первого ребёнка»
    kind: Literal["fixed", "max", "min", "up_to", "rate", "formula"] = "fixed"
    value: float | None = None
    unit: Unit | None = None
    periodicity: Periodicity = "once"
    formula: Text | None = None  # how it is computed, in plain words
    year: int  # the year the figure applies to
    valid_from: date | None = None  # the period it is in force: the screener and cards take the one in force
    valid_to: date | None = None
    as_of: date | None = (
        None  # «по данным на»: the date of the newest source giving it (default: the measure's)
    )
    status: FigureStatus
    conflict: Text | None = None  # why sources disagree (then status must be unverified)
    sources: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _shape(self) -> Amount:
        if self.kind == "formula":
            if self.formula is None:
                raise ValueError(f"amount {self.id}: kind=formula needs `formula`")
        elif self.value is None or self.unit is None:
            raise ValueError(f"amount {self.id}: a numeric amount needs `value` and `unit`")
        if self.conflict is not None and self.status != "unverified":
            raise ValueError(f"amount {self.id}: a figure in conflict must have status unverified")
        if self.valid_from and self.valid_to and self.valid_from > self.valid_to:
            raise ValueError(f"amount {self.id}: valid_from is after valid_to")
        return self

    @property
    def displayable(self) -> bool:
        """Only verified figures and figures found in a cited source are shown; unverified ones never are."""
        return self.status in ("verified", "sourced")

    def applies_on(self, on: date) -> bool:
        if self.valid_from and on < self.valid_from:
            return False
        return not (self.valid_to and on > self.valid_to)


# -------------------------------------------------------------------------------------------------------- conditions

Op = Literal["==", "!=", "<", "<=", ">", ">=", "in", "not_in"]


class Condition(Strict):
    """A node of the eligibility tree.

    Exactly one of:
      - `all` / `any`: lists of conditions; `not`: one condition;
      - a leaf over a fact: `fact`, `op`, `value` and a human `label`;
      - `self_check`: something the bot cannot check (property, citizenship…) — listed as «проверьте сами»,
        does not change the group;
      - `unconfirmed`: a rule the research could not confirm — always evaluates to «unknown» (→ maybe).
    """

    all_: list[Condition] | None = Field(default=None, alias="all")
    any_: list[Condition] | None = Field(default=None, alias="any")
    not_: Condition | None = Field(default=None, alias="not")
    fact: str | None = None
    op: Op | None = None
    value: Any = None
    label: Text | None = None
    self_check: Text | None = None
    unconfirmed: Text | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    note: Text | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Condition:
        kinds = [
            k
            for k, v in (
                ("all", self.all_),
                ("any", self.any_),
                ("not", self.not_),
                ("fact", self.fact),
                ("self_check", self.self_check),
                ("unconfirmed", self.unconfirmed),
            )
            if v is not None
        ]
        if len(kinds) != 1:
            raise ValueError(
                f"a condition must have exactly one of all/any/not/fact/self_check/unconfirmed, got {kinds}"
            )
        if self.fact is not None:
            if self.op is None:
                raise ValueError(f"condition on {self.fact!r} has no op")
            if self.label is None:
                raise ValueError(f"condition on {self.fact!r} has no label {{ru, en}}")
            if self.op in ("in", "not_in") and not isinstance(self.value, list):
                raise ValueError(f"condition on {self.fact!r}: op {self.op} needs a list value")
        if (self.all_ is not None and not self.all_) or (self.any_ is not None and not self.any_):
            raise ValueError("empty all/any")
        return self

    @property
    def kind(self) -> str:
        for k, v in (
            ("all", self.all_),
            ("any", self.any_),
            ("not", self.not_),
            ("fact", self.fact),
            ("self_check", self.self_check),
        ):
            if v is not None:
                return k
        return "unconfirmed"

    @property
    def children(self) -> list[Condition]:
        if self.all_ is not None:
            return self.all_
        if self.any_ is not None:
            return self.any_
        if self.not_ is not None:
            return [self.not_]
        return []

    def walk(self):
        yield self
        for c in self.children:
            yield from c.walk()


# ----------------------------------------------------------------------------------------------------------- measure

Channel = Literal[
    "gosuslugi", "sfr", "mfc", "social_protection", "employer", "bank", "domrf", "tax", "proactive", "phone"
]


class ApplyStep(Strict):
    text: Text
    channels: list[Channel] = Field(default_factory=list)


class HowToApply(Strict):
    steps: list[ApplyStep] = Field(min_length=1)
    proactive: bool = False
    status: FigureStatus
    note: Text | None = None
    sources: list[str] = Field(default_factory=list)


class LegalAct(Strict):
    ref: Text  # e.g. «ФЗ от 19.05.1995 № 81-ФЗ «…»»
    status: FigureStatus
    sources: list[str] = Field(default_factory=list)


class Link(Strict):
    title: Text
    url: str
    status: FigureStatus = "sourced"


class Contact(Strict):
    title: Text
    phone: str
    sources: list[str] = Field(min_length=1)


class Note(Strict):
    text: Text
    kind: Literal["conflict", "change", "pending", "info"] = "info"
    sources: list[str] = Field(default_factory=list)


class Measure(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: Text
    short: Text  # one line for lists
    description: Text  # one warm plain paragraph
    who: Text
    level: Literal["federal", "regional"]
    stage: Literal["in_force", "bill"] = "in_force"  # a bill is never labelled «Федеральная мера»
    region: str | None = None
    provider: Text | None = None
    form: Literal[
        "cash_once",
        "cash_monthly",
        "cash_yearly",
        "tax",
        "loan",
        "certificate",
        "status",
        "service",
        "legal_aid",
    ]
    life_situations: list[str] = Field(default_factory=list)
    keywords: dict[Lang, list[str]] = Field(default_factory=dict)
    eligibility: Condition | None = None
    screen: bool = True  # False: browse/search only (bills, crisis services)
    amounts: list[Amount] = Field(default_factory=list)
    how_to_apply: HowToApply
    documents: list[Text] = Field(default_factory=list)
    legal_basis: list[LegalAct] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)
    contacts: list[Contact] = Field(default_factory=list)
    check_where: Text  # where to verify the figures and conditions
    notes: list[Note] = Field(default_factory=list)
    sources: list[str] = Field(min_length=0)
    valid_from: date | None = None
    valid_to: date | None = None
    as_of: date
    review_by: date
    status: Literal["verified", "unverified"]
    egisso_msz_code: str | None = None

    @model_validator(mode="after")
    def _region(self) -> Measure:
        if self.level == "regional" and not self.region:
            raise ValueError(f"{self.id}: a regional measure needs `region`")
        if self.level == "federal" and self.region:
            raise ValueError(f"{self.id}: a federal measure must not have `region`")
        return self

    def amounts_on(self, on: date) -> list[Amount]:
        """Figures valid on the date; for each amount id the latest applicable one."""
        best: dict[str, Amount] = {}
        for a in self.amounts:
            if not a.applies_on(on):
                continue
            cur = best.get(a.id)
            if cur is None or (a.year, a.valid_from or date.min) > (cur.year, cur.valid_from or date.min):
                best[a.id] = a
        order: dict[str, int] = {}
        for i, a in enumerate(self.amounts):
            order.setdefault(a.id, i)  # the order in the file, by the first figure of each id
        return sorted(best.values(), key=lambda a: order[a.id])


# ----------------------------------------------------------------------------------------------------- questionnaire

FactType = Literal["bool", "int", "number", "enum", "region", "year_list", "date_list"]


class FactDef(Strict):
    type: FactType
    label: Text
    values: dict[str, Text] | None = None  # enum values and their labels
    unit: Literal["years", "weeks", "days", "children", "people"] | None = None
    origin: Literal["question", "profile", "derived"] = "question"
    note: str | None = None


class Option(Strict):
    value: Any = None  # None = «не знаю»; a [lo, hi] list = a range of a number (hi None = no upper bound)
    label: Text
    label_amount: Text | None = (
        None  # variant with {pm}, {pm_1_1}, {pm_1_5} when the income threshold is known
    )


class Question(Strict):
    id: str
    fact: str
    kind: Literal["choice", "years", "number"] = "choice"
    text: Text
    text_amount: Text | None = None  # variant with {pm}… placeholders, used when the threshold is known
    hint: Text | None = None
    options: list[Option] = Field(default_factory=list)
    ask_if: Condition | None = None
    also_known_from: list[str] = Field(default_factory=list)  # facts that make this question unnecessary


class Questionnaire(Strict):
    version: int
    facts: dict[str, FactDef]
    questions: list[Question]


class LifeSituation(Strict):
    id: str
    title: Text
    description: Text | None = None
    measures: list[str]
    note: Text | None = None


# ------------------------------------------------------------------------------------------------------- references


class PmValue(Strict):
    value: float | None = None
    status: FigureStatus | Literal["unknown"] = "unknown"
    sources: list[str] = Field(default_factory=list)


class PmEntry(Strict):
    """Прожиточный минимум of one territory for one year (₽ per month)."""

    name: Text
    per_capita: PmValue
    children: PmValue
    working_age: PmValue
    check_where: Text
    note: Text | None = None


class PmTable(Strict):
    year: int
    as_of: date
    review_by: date
    federal: PmEntry
    regions: dict[str, PmEntry]


class Region(Strict):
    code: str = Field(pattern=r"^RU-[A-Z]{2,3}$")
    name: Text
    measures_note: Text | None = None


class Parameter(Strict):
    value: float
    year: int
    valid_from: date | None = None
    status: FigureStatus
    label: Text
    sources: list[str] = Field(min_length=1)
    conflict: Text | None = None


class FederalParams(Strict):
    year: int
    as_of: date
    review_by: date
    params: dict[str, Parameter]
