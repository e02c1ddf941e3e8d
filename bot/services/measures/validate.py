"""Checks of the measures data (ARCHITECTURE.md: data files). CI runs `validate(data_dir, strict=True)`.

.venv/bin/python -m bot.services.measures.validate [--strict] [--today YYYY-MM-DD] [data_dir]
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.services.measures.facts import DERIVED, PROFILE_FACTS
from bot.services.measures.loader import DEFAULT_DATA_DIR, Catalogue, load_raw
from bot.services.measures.models import Amount, Condition, FactDef

# Official domains a family may be sent to (measures-2026.md §8.7 «Links»).
OFFICIAL_DOMAINS = (
    "gosuslugi.ru",
    "sfr.gov.ru",
    "pravo.gov.ru",
    "xn--d1aqf.xn--p1ai",  # дом.рф
    "дом.рф",
    "kremlin.ru",
    "mos.ru",
    "gov.ru",
)


def _official(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme != "https" and parts.scheme != "http":
        return False
    host = (parts.hostname or "").lower()
    return any(host == d or host.endswith("." + d) for d in OFFICIAL_DOMAINS)


def _known_facts(cat: Catalogue) -> dict[str, FactDef | None]:
    known: dict[str, FactDef | None] = {f: None for f in PROFILE_FACTS}
    known.update({f: None for f in DERIVED})
    known["military_service"] = None
    known.update(cat.questionnaire.facts)
    return known


def _check_condition(c: Condition, where: str, known: dict[str, FactDef | None], errors: list[str]) -> None:
    for node in c.walk():
        if node.fact is None:
            continue
        if node.fact not in known:
            errors.append(f"{where}: condition refers to unknown fact {node.fact!r}")
            continue
        fd = known[node.fact]
        if fd is None:
            continue
        values = node.value if isinstance(node.value, list) else [node.value]
        if fd.type == "enum" and fd.values is not None:
            for v in values:
                if v not in fd.values:
                    errors.append(f"{where}: {node.fact} has no value {v!r} (known: {sorted(fd.values)})")
        if fd.type == "bool" and not all(isinstance(v, bool) for v in values):
            errors.append(f"{where}: {node.fact} is a bool fact, compared with {node.value!r}")
        if fd.type in ("int", "number") and node.op in ("<", "<=", ">", ">="):
            if not isinstance(node.value, int | float) or isinstance(node.value, bool):
                errors.append(f"{where}: {node.fact} is numeric, compared with {node.value!r}")


def _check_sources(ids: list[str], where: str, cat: Catalogue, errors: list[str]) -> None:
    for sid in ids:
        if sid not in cat.sources:
            errors.append(f"{where}: unknown source {sid!r} (add it to reference/sources.yaml)")


def _overlaps(amounts: list[Amount]) -> list[tuple[Amount, Amount]]:
    out = []
    for i, a in enumerate(amounts):
        for b in amounts[i + 1 :]:
            if a.id != b.id:
                continue
            a_from, a_to = a.valid_from or date.min, a.valid_to or date.max
            b_from, b_to = b.valid_from or date.min, b.valid_to or date.max
            if a_from <= b_to and b_from <= a_to:
                out.append((a, b))
    return out


def validate(data_dir: Path, *, strict: bool, today: date | None = None) -> tuple[list[str], list[str]]:
    """Check the whole catalogue under data_dir. Returns (errors, warnings).

    A `review_by` date in the past is a warning, or an error when strict (CI)."""
    today = today or date.today()
    data_dir = Path(data_dir)
    cat, errors = load_raw(data_dir)
    warnings: list[str] = []
    if cat is None:
        return errors, warnings

    def stale(what: str, review_by: date) -> None:
        if review_by < today:
            msg = f"{what}: review_by {review_by.isoformat()} has passed (today {today.isoformat()}): re-check it"
            (errors if strict else warnings).append(msg)

    known = _known_facts(cat)
    q = cat.questionnaire
    for name, fd in q.facts.items():
        if fd.origin == "derived" and name not in DERIVED:
            errors.append(f"questionnaire.yaml: derived fact {name!r} is not implemented in facts.DERIVED")
        if fd.type == "enum" and not fd.values:
            errors.append(f"questionnaire.yaml: enum fact {name!r} has no values")
    for name in DERIVED:
        if name not in q.facts:
            errors.append(f"questionnaire.yaml: derived fact {name!r} is not declared (needs a label)")
    seen_q: set[str] = set()
    for question in q.questions:
        where = f"questionnaire.yaml: question {question.id}"
        if question.id in seen_q:
            errors.append(f"{where}: duplicate id")
        seen_q.add(question.id)
        if question.fact not in q.facts:
            errors.append(f"{where}: asks for undeclared fact {question.fact!r}")
            continue
        fd = q.facts[question.fact]
        if question.ask_if is not None:
            _check_condition(question.ask_if, where + " ask_if", known, errors)
        if question.kind == "choice" and not question.options:
            errors.append(f"{where}: a choice question needs options")
        if not any(o.value is None for o in question.options):
            errors.append(f"{where}: needs a «не знаю» / skip option (value: null)")
        for o in question.options:
            if fd.type == "enum" and o.value is not None and o.value not in (fd.values or {}):
                errors.append(f"{where}: option value {o.value!r} is not a value of {question.fact}")
            if fd.type == "region" and o.value not in (None, "other") and o.value not in cat.regions:
                errors.append(f"{where}: unknown region {o.value!r}")
        for f in question.also_known_from:
            if f not in known:
                errors.append(f"{where}: also_known_from refers to unknown fact {f!r}")

    for mid, m in cat.measures.items():
        where = str(cat.files.get(mid, mid))
        if not m.sources:
            errors.append(f"{where}: no sources")
        _check_sources(m.sources, where, cat, errors)
        if m.eligibility is not None:
            _check_condition(m.eligibility, where, known, errors)
        elif m.screen:
            warnings.append(f"{where}: no eligibility: every family will see it as «likely»")
        for lang in ("ru", "en"):
            if not m.keywords.get(lang):
                errors.append(f"{where}: keywords.{lang} is empty (search needs synonyms in both languages)")
        for a in m.amounts:
            if not a.sources:
                errors.append(f"{where}: amount {a.id} ({a.year}) has no source")
            _check_sources(a.sources, f"{where}: amount {a.id}", cat, errors)
        for a, b in _overlaps(m.amounts):
            errors.append(
                f"{where}: amounts {a.id} for {a.year} and {b.year} have overlapping validity windows"
            )
        for act in m.legal_basis:
            if act.status in ("sourced", "verified") and not act.sources:
                errors.append(f"{where}: legal basis {act.ref.ru!r} is marked {act.status} but has no source")
            _check_sources(act.sources, where, cat, errors)
        if m.how_to_apply.status in ("sourced", "verified") and not m.how_to_apply.sources:
            errors.append(f"{where}: how_to_apply is marked {m.how_to_apply.status} but has no source")
        _check_sources(m.how_to_apply.sources, where, cat, errors)
        for c in m.contacts:
            _check_sources(c.sources, f"{where}: contact {c.phone}", cat, errors)
        for n in m.notes:
            _check_sources(n.sources, f"{where}: note", cat, errors)
        for link in m.links:
            if not _official(link.url):
                errors.append(f"{where}: link {link.url} is not on an official domain")
        for sit in m.life_situations:
            if sit not in cat.life_situations:
                errors.append(f"{where}: unknown life situation {sit!r}")
        if m.valid_from and m.valid_to and m.valid_from > m.valid_to:
            errors.append(f"{where}: valid_from is after valid_to")
        if m.level == "regional" and m.region not in cat.regions:
            warnings.append(f"{where}: region {m.region} is not in reference/regions.yaml")
        if m.status == "verified" and any(a.status != "verified" for a in m.amounts):
            errors.append(f"{where}: a verified measure has unverified figures")
        stale(where, m.review_by)

    for situation in cat.life_situations.values():
        for mid in situation.measures:
            if mid not in cat.measures:
                errors.append(f"life_situations.yaml: {situation.id} refers to unknown measure {mid!r}")

    for year, table in cat.pm.items():
        where = f"reference/pm_{year}.yaml"
        stale(where, table.review_by)
        for code, entry in [("federal", table.federal), *table.regions.items()]:
            if code != "federal" and code not in cat.regions:
                errors.append(f"{where}: unknown region {code}")
            for kind in ("per_capita", "children", "working_age"):
                v = getattr(entry, kind)
                if v.value is not None and not v.sources:
                    errors.append(f"{where}: {code}.{kind} has a value but no source")
                if v.value is None and v.status in ("sourced", "verified"):
                    errors.append(f"{where}: {code}.{kind} is {v.status} but has no value")
                _check_sources(v.sources, f"{where}: {code}.{kind}", cat, errors)
    for code in cat.regions:
        if not any(code in t.regions for t in cat.pm.values()):
            warnings.append(f"reference: no ПМ table entry for region {code}")
    for year, fp in cat.federal_params.items():
        where = f"reference/federal_{year}.yaml"
        stale(where, fp.review_by)
        for name, p in fp.params.items():
            _check_sources(p.sources, f"{where}: {name}", cat, errors)
    return errors, warnings


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    strict = "--strict" in args
    today: Any = None
    if "--today" in args:
        i = args.index("--today")
        today = date.fromisoformat(args[i + 1])
        del args[i : i + 2]
    rest = [a for a in args if not a.startswith("--")]
    data_dir = Path(rest[0]) if rest else DEFAULT_DATA_DIR
    errors, warnings = validate(data_dir, strict=strict, today=today)
    for w in warnings:
        print(f"warning: {w}")
    for e in errors:
        print(f"error: {e}")
    print(f"{len(errors)} error(s), {len(warnings)} warning(s)")
    return 1 if errors else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
