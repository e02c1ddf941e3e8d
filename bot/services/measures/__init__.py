"""Support measures for families: catalogue, screener, browser and search. No Telegram here.

Typical use in a handler::

    from bot.services import measures as ms

    cat = ms.default_catalogue()
    questions = ms.missing_questions(family.profile | answers, cat, on=today)
    q = ms.render_question(questions[0], facts, lang, cat, on=today)      # text + (label, value) buttons
    result = ms.screen(facts, region, today, cat)                          # likely / maybe / other
    for r in result.likely: r.title.get(lang), r.amount_display(lang), r.why(lang)
    ms.search("единое пасобие", "ru", cat)
"""

from bot.services.measures.engine import (
    DISCLAIMER,
    AmountView,
    MeasureResult,
    RenderedQuestion,
    ScreeningResult,
    TraceItem,
    amount_display,
    amount_text,
    amount_views,
    ask_next,
    evaluate_measure,
    missing_questions,
    render_question,
    screen,
)
from bot.services.measures.facts import PROFILE_FACTS, Interval, resolve_facts
from bot.services.measures.formatting import format_money
from bot.services.measures.income import income_level_for, income_threshold, pm_check_where
from bot.services.measures.loader import (
    DEFAULT_DATA_DIR,
    Catalogue,
    CatalogueError,
    default_catalogue,
    load_catalogue,
)
from bot.services.measures.models import LifeSituation, Measure, Question, Text
from bot.services.measures.search import search, search_scored
from bot.services.measures.validate import validate

__all__ = [
    "DEFAULT_DATA_DIR",
    "DISCLAIMER",
    "PROFILE_FACTS",
    "AmountView",
    "Catalogue",
    "CatalogueError",
    "Interval",
    "LifeSituation",
    "Measure",
    "MeasureResult",
    "Question",
    "RenderedQuestion",
    "ScreeningResult",
    "Text",
    "TraceItem",
    "amount_display",
    "amount_text",
    "amount_views",
    "ask_next",
    "by_level",
    "by_life_situation",
    "default_catalogue",
    "evaluate_measure",
    "format_money",
    "income_level_for",
    "income_threshold",
    "load_catalogue",
    "missing_questions",
    "pm_check_where",
    "render_question",
    "resolve_facts",
    "screen",
    "search",
    "search_scored",
    "validate",
]


def by_life_situation(
    situation_id: str, region: str | None = None, catalogue: Catalogue | None = None
) -> list[Measure]:
    """Measures for a life situation: the listed federal ones plus the region's own measures for it."""
    return (catalogue or default_catalogue()).by_life_situation(situation_id, region)


def by_level(level: str, region: str | None = None, catalogue: Catalogue | None = None) -> list[Measure]:
    """level «federal», or «regional» with a region code."""
    return (catalogue or default_catalogue()).by_level(level, region)
