"""The crisis lexicon's schema: what ``data/crisis_lexicon.yaml`` may say, loaded and validated.

Split from :mod:`bot.services.crisis` (the detector) so that each stays readable; the detector re-exports these.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

LEXICON_FILE = "crisis_lexicon.yaml"
DEFAULT_LEXICON_PATH = Path(__file__).resolve().parent.parent.parent / "data" / LEXICON_FILE

#: The categories the rest of the bot routes on. The lexicon must define a severity for each of them.
CRISIS_CATEGORIES: tuple[str, ...] = ("suicide", "medical", "violence", "child_danger", "no_food_shelter")

GAP_TOKEN = "..."

# --------------------------------------------------------------------------- schema of the YAML file


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CategorySpec(_Strict):
    severity: int = Field(ge=1, le=10, description="higher is more urgent")
    title: str = ""


class Settings(_Strict):
    gap: int = Field(2, ge=0, le=10, description="words allowed between neighbouring words of a phrase")
    wide_gap: int = Field(8, ge=1, le=30, description="words allowed where a phrase has '...'")
    window: int = Field(6, ge=1, le=30, description="span of an `order: any` phrase, in words")
    scene_changes: list[str] = Field(
        default_factory=list,
        description="words after which a story's frame is over («вернулась»): a clause-bound reach stops there",
    )


class NegationRules(_Strict):
    words: list[str] = Field(min_length=1, description="negation words, e.g. не, нет, никто")
    before: int = Field(2, ge=0, le=6, description="a negation this many words before a phrase cancels it")
    pseudo: list[str] = Field(default_factory=list, description="«не знаю», «не только»: not a negation")
    clause_breaks: list[str] = Field(default_factory=list, description="words that end a clause: но, а")


class Pattern(_Strict):
    id: str = Field(min_length=1)
    category: str
    lang: Literal["ru", "en"] = "ru"
    phrases: list[str] = Field(min_length=1)
    order: Literal["fixed", "any"] = "fixed"
    gap: int | None = Field(None, ge=0, le=10)
    window: int | None = Field(None, ge=1, le=30)
    negatable: bool = True
    severity: int | None = Field(None, ge=1, le=10)
    level: Literal["clear", "possible"] = "clear"
    max_words: int | None = Field(
        None, ge=1, le=10, description="only in a sentence of at most this many words"
    )
    short_scope: Literal["sentence", "message"] = Field("sentence", description="what max_words counts")
    same_clause: bool = Field(False, description="all words in one clause (no comma, «но», «а» between)")
    note: str = ""

    @field_validator("phrases")
    @classmethod
    def _phrases_not_blank(cls, value: list[str]) -> list[str]:
        for phrase in value:
            words = phrase.split()
            if not words or all(w == GAP_TOKEN for w in words):
                raise ValueError(f"empty phrase {phrase!r}")
            if words[0] == GAP_TOKEN or words[-1] == GAP_TOKEN:
                raise ValueError(f"'...' must stand between words: {phrase!r}")
        return value


class Exception_(_Strict):
    id: str = Field(min_length=1)
    lang: Literal["ru", "en"] = "ru"
    phrases: list[str] = Field(min_length=1)
    order: Literal["fixed", "any"] = "fixed"
    gap: int | None = Field(None, ge=0, le=10)
    window: int | None = Field(None, ge=1, le=30)
    reach: int = Field(
        0, ge=0, le=30, description="also silence danger words this many words around it in the sentence"
    )
    reach_within: Literal["sentence", "clause"] = Field(
        "sentence",
        description="how far the reach goes at most: its sentence, or its clause (not past «а», «но», «однако»)",
    )
    note: str = ""


class Lexicon(_Strict):
    version: str | int
    reviewed: str = Field(
        min_length=1, description="who reviewed the lexicon and when; must name the crisis centre"
    )
    settings: Settings = Field(default_factory=Settings)
    categories: dict[str, CategorySpec]
    negation: NegationRules
    spelling: dict[str, str] = Field(default_factory=dict, description="misspelling -> correct word")
    emoji: dict[str, str] = Field(default_factory=dict, description="emoji -> word, e.g. 💊 -> таблетка")
    groups: dict[str, list[str]] = Field(default_factory=dict)
    patterns: list[Pattern] = Field(min_length=1)
    exceptions: list[Exception_] = Field(default_factory=list)
    # the compiled form (bot/services/crisis.py), made once: the load's check and the detector share it
    _compiled: Any = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _cross_check(self) -> Lexicon:
        problems: list[str] = []
        missing = [c for c in CRISIS_CATEGORIES if c not in self.categories]
        if missing:
            problems.append(f"categories: missing {', '.join(missing)}")
        seen: set[str] = set()
        every: list[Pattern | Exception_] = [*self.patterns, *self.exceptions]
        for p in every:
            if p.id in seen:
                problems.append(f"duplicate id {p.id!r}")
            seen.add(p.id)
        for p in self.patterns:
            if p.category not in self.categories:
                problems.append(f"pattern {p.id!r}: unknown category {p.category!r}")
        for name, words in self.groups.items():
            if not words:
                problems.append(f"group @{name} is empty")
        for p in every:
            for phrase in p.phrases:
                for word in phrase.split():
                    for alt in word.split("|"):
                        if alt.startswith("@") and alt[1:] not in self.groups:
                            problems.append(f"{p.id!r}: unknown group {alt!r} in {phrase!r}")
                        elif not alt or alt in {"@", "=", "*"}:
                            problems.append(f"{p.id!r}: empty alternative in {phrase!r}")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class LexiconError(ValueError):
    """The lexicon file is missing or invalid; ``problems`` lists every problem found."""

    def __init__(self, path: Path, problems: list[str]):
        self.path = path
        self.problems = problems
        super().__init__(f"{path}: invalid crisis lexicon:\n" + "\n".join(f"  - {p}" for p in problems))


def _pydantic_problems(exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors():
        loc = ".".join(str(x) for x in err["loc"]) or "(file)"
        out.append(f"{loc}: {err['msg']}")
    return out
