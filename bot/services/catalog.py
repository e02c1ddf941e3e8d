"""Everything in data/, loaded once at start and validated by `python -m bot check`.

A thin facade over the content modules (regions, organisations, privacy, canned answers, triage tree,
crisis lexicon, support measures) so handlers ask one object for what they need.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.services import card_rules, checkin, crisis, directory, embeddings, places, understanding
from bot.services import content as content_mod
from bot.services import measures as ms
from bot.services.card_rules import CardRules
from bot.services.content import Content
from bot.services.content_base import OTHER_REGION
from bot.services.crisis import CrisisDetector
from bot.services.organisations import Organisation
from bot.services.regions import Region
from bot.services.triage import Node, Outcome, TriageError


@dataclass
class Catalog:
    data_dir: Path
    content: Content
    detector: CrisisDetector
    measures: ms.Catalogue
    card: CardRules  # data/card.yaml: the family card's categories, kinds of offers and regional rules
    understander: understanding.Understander
    places: places.Directory | None = None

    # --- privacy ---------------------------------------------------------------------------------
    @property
    def privacy_version(self) -> str:
        return str(self.content.privacy.version)

    def privacy_consent_text(self, locale: str) -> str:
        return self.content.privacy.consent_text(locale)

    def privacy_full_text(self, locale: str) -> str:
        return self.content.privacy.notice_text(locale)

    # --- regions ---------------------------------------------------------------------------------
    @property
    def regions(self) -> list[Region]:
        """Regions in file order with «other region» last."""
        regions = list(self.content.regions.values())
        return [r for r in regions if r.code != OTHER_REGION] + [r for r in regions if r.code == OTHER_REGION]

    def region(self, code: str | None) -> Region | None:
        return self.content.regions.get(code or "")

    def federal_line_note(self, region: str | None, locale: str) -> str | None:
        fallback = directory.regional_fallback(self.content, region)
        return fallback.note.get(locale) if fallback.uses_federal_line and fallback.note else None

    # --- directory -------------------------------------------------------------------------------
    def directory_kinds(self, locale: str) -> list[tuple[str, str]]:
        return [(k.id, k.text(locale)) for k in directory.kinds(self.content, only_used=True)]

    def directory(self, region: str | None, kind: str | None) -> list[Organisation]:
        return directory.find(self.content, region, kind)

    def crisis_contacts(self, region: str | None) -> list[Organisation]:
        return directory.emergency_contacts(self.content, region)

    def first_line_contacts(self, region: str | None) -> list[Organisation]:
        """Where a family can call for a person now: its centre, or the federal line when unknown."""
        fallback = directory.regional_fallback(self.content, region)
        orgs = (
            fallback.organisations
            if fallback.uses_federal_line
            else directory.find(self.content, region, None)
        )
        return [o for o in orgs if directory.CRISIS_KIND not in o.kinds][:2]

    # --- understanding -----------------------------------------------------------------------------
    def intent_title(self, key: str, locale: str) -> str:
        """A human name of the intent the bot read in a family's message (shown to staff on the case card)."""
        return self.understander.title(key, locale)

    # --- triage ----------------------------------------------------------------------------------
    def triage_start(self) -> Node:
        return self.content.triage.start_node()

    def triage_answer(self, node_id: str, option_id: str) -> Node | Outcome | None:
        try:
            return self.content.triage.answer(node_id, option_id)
        except (TriageError, KeyError):
            return None

    def triage_outcome(self, outcome_id: str) -> Outcome | None:
        return self.content.triage.outcomes.get(outcome_id)

    def triage_summary(self, path: list[dict], locale: str) -> list[tuple[str, str]]:
        """(question, answer) pairs of a stored triage path, in `locale`."""
        pairs = []
        for step in path:
            try:
                node = self.content.triage.node(step["node"])
                pairs.append((node.text.get(locale), node.option(step["option"]).label.get(locale)))
            except (TriageError, KeyError):
                continue
        return pairs


def load_catalog(data_dir: Path, cache_dir: Path | None = None) -> Catalog:
    """Everything in ``data_dir``, read once per process and per state of its files: a changed file (a new
    modification time) is read again. Half a second of parsing and lemmatising, which a process forked after the
    first load (the end-to-end tests' bot starts) does not pay again. With ``cache_dir`` the danger detector built
    from the files is kept there for the next start (bot/services/compiled.py)."""
    files = sorted(p for p in Path(data_dir).rglob("*") if p.is_file())
    return _catalog_for(Path(data_dir), tuple((str(p), p.stat().st_mtime_ns) for p in files), cache_dir)


@functools.lru_cache(maxsize=4)
def _catalog_for(
    data_dir: Path, files: tuple[tuple[str, int], ...], cache_dir: Path | None = None
) -> Catalog:
    checkin.load(
        Path(data_dir)
    )  # the check-in's questionnaire: a broken file stops the start like other content
    content = content_mod.load_content(data_dir)
    detector = crisis.load_detector(data_dir, cache_dir)
    measures = ms.load_catalogue(data_dir)
    return Catalog(
        data_dir=data_dir,
        content=content,
        detector=detector,
        measures=measures,
        card=card_rules.read(data_dir),
        places=places.load_directory(data_dir, content),
        understander=understanding.load_understander(
            data_dir, measures, detector=detector, embeddings=embeddings.default_embeddings()
        ),
    )


def check_catalog(data_dir: Path, *, strict: bool, today: date | None = None) -> tuple[list[str], list[str]]:
    """(errors, warnings) over every data file. With `strict`, a past review-by date is an error."""
    errors: list[str] = []
    warnings: list[str] = []
    errors += content_mod.validate(data_dir)
    stale = [e for e in content_mod.validate(data_dir, today=today or date.today()) if e not in errors]
    (errors if strict else warnings).extend(stale)
    errors += places.validate(data_dir)
    errors += crisis.validate(data_dir)
    errors += card_rules.validate(data_dir)
    errors += checkin.validate(data_dir)
    errors += _validate_intents(data_dir)
    # Support measures: schema and rule errors always fail; a past `review_by` like the rest (an error only with
    # `strict`). CI runs without `strict`: stale content goes to the coordinators' digest, not into a red build.
    m_errors, m_warnings = ms.validate(data_dir, strict=strict, today=today)
    errors += m_errors
    warnings += m_warnings
    return errors, warnings


def _validate_intents(data_dir: Path) -> list[str]:
    """data/intents.yaml, with its references to measures, life situations and kinds of help."""
    try:
        measures = ms.load_catalogue(data_dir)
    except Exception:  # the measures' own errors are reported by ms.validate
        measures = None
    try:
        kinds = set(content_mod.load_content(data_dir).kinds)
    except Exception:  # reported by content_mod.validate
        kinds = None
    return understanding.validate(data_dir, measures=measures, org_kinds=kinds)
