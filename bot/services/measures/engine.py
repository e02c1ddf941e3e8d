"""The screener: three-valued evaluation of eligibility trees with a human-readable trace.

`screen()` is pure: the same facts, region, date and catalogue give the same result. It never promises a payment:
«likely» means every condition the bot can check is met; the decision belongs to the paying body.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Literal

from bot.services.measures.facts import NO_CHILDREN, Interval, as_interval, resolve_facts
from bot.services.measures.formatting import NBSP, describe_value, format_date, format_money
from bot.services.measures.income import income_threshold, pm_check_where
from bot.services.measures.loader import Catalogue, default_catalogue
from bot.services.measures.models import Amount, Condition, Measure, Question, Text
from bot.services.texts import N_, gettext

Status = Literal["met", "not_met", "unknown"]
Group = Literal["likely", "maybe", "other"]

# Which answers a derived fact needs: used to tell the handler which questions would resolve a «maybe».
DERIVED_INPUTS: dict[str, list[str]] = {
    "youngest_child_age": ["children_count", "children_birth_years"],
    "children_under_18": ["children_count", "children_birth_years"],
    "children_under_23": ["children_count", "children_birth_years"],
    "children_under_24": ["children_count", "children_birth_years"],
    "child_born_since_2018": ["children_count", "children_birth_years"],
    "third_child_born_2019_2030": ["children_count", "children_birth_years"],
    "matcap_birth_ok": ["children_count", "children_birth_years"],
    "income_below_pm": ["income_level"],
    "income_within_1_1_pm": ["income_level"],
    "income_within_1_5_pm": ["income_level"],
    "pregnancy_days": ["pregnant", "pregnancy_weeks"],
    "large_family": ["children_count", "children_birth_years"],
    "family_size": ["adults_count", "children_count"],
}

# An answer to the key also counts as given when one of these facts is known (the question would be skipped).
ANSWERED_VIA: dict[str, tuple[str, ...]] = {
    "children_count": ("children_birth_years", "children_birth_dates"),
    "children_birth_years": ("children_birth_dates",),
}

DISCLAIMER = Text.of(
    N_(
        "The bot is not a government body and does not decide on payments. The final decision is made by the "
        "Social Fund (SFR) or the social protection office. Check the conditions on Gosuslugi or call the "
        "SFR: 8-800-100-00-01."
    )
)
NO_REGION_NOTE = Text.of(
    N_(
        "Regional measures depend on the region. Tell us your region, or look them up on your regional social"
        " protection website and on Gosuslugi."
    )
)
SOURCED_CAVEAT = Text.of(
    N_(
        "The amount is from media reports quoting official bodies; we have not yet checked it on the official site."
    )
)
STALE_NOTE = Text.of(
    N_("This information may be out of date: we collected it on {as_of} and have not re-checked it yet.")
)

# ----------------------------------------------------------------------------------------------------- evaluation


def compare(value: Any, op: str, target: Any) -> bool | None:
    """Three-valued comparison: True / False / None (unknown)."""
    if value is None:
        return None
    if value is NO_CHILDREN:
        return False
    if op in ("in", "not_in"):
        if isinstance(value, Interval):
            return None
        res = value in target
        return res if op == "in" else not res
    if (
        isinstance(value, bool)
        or isinstance(target, bool)
        or isinstance(value, str)
        or isinstance(target, str)
    ):
        if op == "==":
            return value == target
        if op == "!=":
            return value != target
        return None
    iv = as_interval(value)
    if iv is None or not isinstance(target, int | float):
        return None
    t = float(target)
    if op == "<":
        return True if iv.hi < t else False if iv.lo >= t else None
    if op == "<=":
        return True if iv.hi <= t else False if iv.lo > t else None
    if op == ">":
        return True if iv.lo > t else False if iv.hi <= t else None
    if op == ">=":
        return True if iv.lo >= t else False if iv.hi < t else None
    if op == "==":
        return True if iv.lo == iv.hi == t else False if (t < iv.lo or t > iv.hi) else None
    if op == "!=":
        eq = compare(value, "==", target)
        return None if eq is None else not eq
    return None


def _status(v: bool | None) -> Status:
    return "met" if v is True else "not_met" if v is False else "unknown"


@dataclass(frozen=True, slots=True)
class TraceItem:
    """One line of «почему?»: a condition, its outcome and why.

    kind: all | any | not (groups), fact (a checked condition), self_check (the family checks it themselves),
    unconfirmed (a rule the research could not confirm). depth: nesting level for indentation."""

    kind: str
    status: Status
    label: Text
    detail: Text | None
    depth: int
    fact: str | None = None
    ask_facts: tuple[str, ...] = ()
    decisive: bool = True  # False: a branch that did not decide the outcome (hidden in the short «почему?»)


@dataclass(slots=True)
class _Node:
    cond: Condition
    status: Status
    item: TraceItem
    children: list[_Node] = field(default_factory=list)


_GROUP_LABELS = {
    "all": Text.of(N_("All of these must hold:")),
    "any": Text.of(N_("At least one of these must hold:")),
    "not": Text.of(N_("This must not be the case:")),
}
_SELF_CHECK_DETAIL = Text.of(N_("The bot cannot check this — please check it yourself."))
_UNCONFIRMED_DETAIL = Text.of(N_("We could not confirm this rule."))
_NOT_ASKED = Text.of(N_("you have not answered this yet"))
_DONT_KNOW = Text.of(N_("you answered «don't know»"))
_NOT_ENOUGH = Text.of(N_("we need more answers to tell"))
_NOT_IN_FORCE = Text.of(N_("this rule is not in force now"))


_NO_DETAIL = Text(ru="—", en="—")  # never shown: ask_next builds no results


class _Evaluator:
    def __init__(
        self,
        facts: dict[str, Any],
        raw: dict[str, Any],
        on: date,
        catalogue: Catalogue,
        *,
        details: bool = True,
    ) -> None:
        self.facts = facts
        self.raw = raw
        self.on = on
        self.cat = catalogue
        self.fdefs = catalogue.questionnaire.facts
        self.details = (
            details  # False: the leaves' «what we know» texts are not written (ask_next reads no text)
        )

    def ask_for(self, fact: str) -> tuple[str, ...]:
        inputs = DERIVED_INPUTS.get(fact, [fact])
        return tuple(f for f in inputs if not self._answered(f))

    def _answered(self, fact: str) -> bool:
        """Answered, possibly with «не знаю» (then it is not asked again)."""
        if fact in self.raw:
            return True
        return any(self.raw.get(alt) is not None for alt in ANSWERED_VIA.get(fact, ()))

    def leaf_detail(self, c: Condition, v: Any) -> Text:
        assert c.fact is not None
        fd = self.fdefs.get(c.fact)
        if v is None:
            inputs = DERIVED_INPUTS.get(c.fact)
            if inputs is not None:
                dont_know = any(f in self.raw and self.raw[f] is None for f in inputs)
                why = _DONT_KNOW if dont_know else _NOT_ENOUGH
            elif c.fact in self.raw:
                why = _DONT_KNOW
            else:
                why = _NOT_ASKED
            ru, en = why.ru, why.en
        else:
            ru, en = describe_value(fd, v, "ru", self.cat), describe_value(fd, v, "en", self.cat)
        name = fd.label if fd else Text(ru=c.fact, en=c.fact)
        return Text(ru=f"{name.ru}: {ru}", en=f"{name.en}: {en}")

    def eval(self, c: Condition, depth: int) -> _Node:
        if (c.valid_from and self.on < c.valid_from) or (c.valid_to and self.on > c.valid_to):
            label = c.label or _GROUP_LABELS.get(c.kind) or Text.of(N_("Rule"))
            item = TraceItem(c.kind, "not_met", label, _NOT_IN_FORCE, depth)
            return _Node(c, "not_met", item)
        kind = c.kind
        if kind == "fact":
            assert c.fact is not None and c.label is not None and c.op is not None
            v = self.facts.get(c.fact)
            fact_status = _status(compare(v, c.op, c.value))
            ask = self.ask_for(c.fact) if fact_status == "unknown" else ()
            return _Node(
                c,
                fact_status,
                TraceItem(
                    "fact",
                    fact_status,
                    c.label,
                    self.leaf_detail(c, v) if self.details else _NO_DETAIL,
                    depth,
                    c.fact,
                    ask,
                ),
            )
        if kind == "self_check":
            assert c.self_check is not None
            return _Node(c, "met", TraceItem("self_check", "met", c.self_check, _SELF_CHECK_DETAIL, depth))
        if kind == "unconfirmed":
            assert c.unconfirmed is not None
            return _Node(
                c, "unknown", TraceItem("unconfirmed", "unknown", c.unconfirmed, _UNCONFIRMED_DETAIL, depth)
            )
        kids = [self.eval(x, depth + 1) for x in c.children]
        sts = [k.status for k in kids]
        if kind == "all":
            st: Status = "not_met" if "not_met" in sts else "unknown" if "unknown" in sts else "met"
        elif kind == "any":
            st = "met" if "met" in sts else "unknown" if "unknown" in sts else "not_met"
        else:  # not
            st = {"met": "not_met", "not_met": "met", "unknown": "unknown"}[sts[0]]  # type: ignore[assignment]
        label = c.label or _GROUP_LABELS[kind]
        return _Node(c, st, TraceItem(kind, st, label, c.note, depth), kids)


def _flatten(node: _Node, out: list[TraceItem], decisive: bool = True) -> None:
    item = node.item if decisive else replace(node.item, decisive=False)
    out.append(item)
    kind, st = node.item.kind, node.status
    for k in node.children:
        # in a failed «all» only the failed parts matter; in a met «any» only the met parts do
        if kind == "all" and st == "not_met":
            d = k.status == "not_met"
        elif kind == "any" and st == "met":
            d = k.status == "met"
        else:
            d = True
        _flatten(k, out, decisive and d)


def _explaining(node: _Node, want: Status) -> list[TraceItem]:
    """The leaves that make the node have status `want` (what is unknown / what failed)."""
    if node.item.kind in ("fact", "unconfirmed", "self_check"):
        return [node.item] if node.status == want else []
    if node.item.kind == "not":
        flip: Status = {"met": "not_met", "not_met": "met", "unknown": "unknown"}[want]  # type: ignore[assignment]
        return _explaining(node.children[0], flip)
    out: list[TraceItem] = []
    for k in node.children:
        if k.status == want:
            out.extend(_explaining(k, want))
    return out


def _self_checks(node: _Node) -> list[Text]:
    if node.item.kind == "self_check":
        return [node.item.label]
    if node.item.kind == "any" and node.status == "met":
        kids = [k for k in node.children if k.status == "met"][:1]
    elif node.item.kind in ("all", "any"):
        kids = [k for k in node.children if k.status != "not_met"]
    else:
        kids = []
    return [t for k in kids for t in _self_checks(k)]


# ------------------------------------------------------------------------------------------------------- amounts

_PERIOD = {
    "monthly": Text.of(N_("a month")),
    "yearly": Text.of(N_("a year")),
    "per_leave": Text.of(N_("for the whole leave")),
    "per_child": Text.of(N_("per child")),
}


# «не больше», «до», «не меньше» (English says «up to» for the first two: locales/en)
_BOUND = {"max": N_("at most {amount}"), "up_to": N_("up to {amount}"), "min": N_("at least {amount}")}


def amount_text(a: Amount, lang: str, as_of: date | None = None) -> str | None:
    """The figure as a sentence with its period and «по данным на», or None if it must not be shown (unverified or
    in conflict). `as_of`: the measure's date, used when the figure has none of its own."""
    if not a.displayable:
        return None
    en = lang == "en"
    if a.kind == "formula":
        assert a.formula is not None
        body = a.formula.get(lang)
    else:
        assert a.value is not None
        if a.unit == "percent":
            num = f"{a.value:g}%".replace(".", "," if not en else ".")
        else:
            num = format_money(a.value, lang)
        bound = _BOUND.get(a.kind)
        body = gettext(bound, lang).format(amount=num) if bound else num
        period = _PERIOD.get(a.periodicity)
        body += f" {period.get(lang)}" if period else ""
    checked = a.as_of or as_of
    reported = ""
    if checked is not None:
        reported = gettext(N_("as of {date}"), lang).format(date=format_date(checked, lang))
    if a.valid_from is not None:
        since = format_date(a.valid_from, lang)
        when = (
            " " + gettext(N_("from {date}"), lang).format(date=since) + (f" ({reported})" if reported else "")
        )
    else:
        year = gettext(N_("the year {year}"), lang).format(year=a.year)
        when = f" ({year}; {reported})" if reported else f" ({year})"
    label = f"{a.label.get(lang)}: " if a.label else ""
    return f"{label}{body}{when}"


@dataclass(frozen=True, slots=True)
class AmountView:
    id: str
    text: Text  # ready to show, with the year
    year: int
    verified: bool  # False: show `caveat` next to it


def amount_views(measure: Measure, on: date) -> tuple[list[AmountView], bool]:
    """(figures to show, whether some figures were hidden because they are unverified/in conflict)."""
    views: list[AmountView] = []
    hidden = False
    for a in measure.amounts_on(on):
        ru, en = amount_text(a, "ru", measure.as_of), amount_text(a, "en", measure.as_of)
        if ru is None or en is None:
            hidden = True
            continue
        views.append(AmountView(a.id, Text(ru=ru, en=en), a.year, a.status == "verified"))
    return views, hidden


def amount_display(measure: Measure, lang: str, on: date) -> str | None:
    """All showable figures of the measure on the date, one per line; None if there is none to show."""
    views, _ = amount_views(measure, on)
    if not views:
        return None
    return "\n".join(v.text.get(lang) for v in views)


# -------------------------------------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class MeasureResult:
    """One measure in the screening result, with every text a handler needs (each a Text with ru/en)."""

    measure: Measure
    group: Group
    status: Status
    title: Text
    short: Text
    level_label: Text  # «Федеральная мера» / «Мера региона: Пензенская область»
    amounts: list[AmountView]  # only figures that may be shown; each has its year
    amount_hidden: bool  # some figure exists but is unverified: show `check_where` instead
    amount_caveat: Text | None  # shown next to sourced (not yet verified) figures
    check_where: Text
    trace: list[TraceItem]  # the full tree, flattened (depth for indentation)
    unknown: list[TraceItem]  # conditions that are unknown and decide the outcome
    failed: list[TraceItem]  # conditions not met that decide the outcome
    self_check: list[Text]  # «проверьте сами»
    ask_facts: list[str]  # answers that would resolve `unknown`
    stale: bool  # review_by has passed
    stale_note: Text | None

    def amount_display(self, lang: str) -> str | None:
        if not self.amounts:
            return None
        return "\n".join(a.text.get(lang) for a in self.amounts)

    def why(self, lang: str, *, full: bool = False) -> str:
        """A plain-text «почему?»: each condition with ✓ / ✗ / ? and its explanation.

        By default only the branches that decided the outcome; full=True shows the whole tree."""
        marks = {"met": "✓", "not_met": "✗", "unknown": "?"}
        lines = []
        for t in self.trace:
            if not (full or t.decisive):
                continue
            mark = "•" if t.kind == "self_check" else marks[t.status]
            line = "  " * t.depth + f"{mark} {t.label.get(lang)}"
            if t.detail is not None and t.kind in ("fact", "self_check", "unconfirmed"):
                line += f" — {t.detail.get(lang)}"
            lines.append(line)
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class ScreeningResult:
    on: date
    region: str | None
    region_name: Text | None
    likely: list[MeasureResult]
    maybe: list[MeasureResult]
    other: list[MeasureResult]
    ask_next: list[str]  # facts whose answers would move the most «maybe» results, most useful first
    regional_note: Text | None  # what we (do not) know about regional measures
    disclaimer: Text

    @property
    def all(self) -> list[MeasureResult]:
        return [*self.likely, *self.maybe, *self.other]

    def find(self, measure_id: str) -> MeasureResult | None:
        return next((r for r in self.all if r.measure.id == measure_id), None)


def _level_label(m: Measure, cat: Catalogue) -> Text:
    if m.stage == "bill":
        return Text.of(N_("Federal law: not in force yet"))
    if m.level == "federal":
        return Text.of(N_("Federal measure"))
    name = cat.region_name(m.region) or Text(ru=m.region or "", en=m.region or "")
    return Text.of(N_("Regional measure: {name}")).fill(name=name)


def _in_force(measure: Measure, on: date) -> bool:
    return not (
        (measure.valid_from and on < measure.valid_from) or (measure.valid_to and on > measure.valid_to)
    )


def _facts_to_ask(unknown: list[TraceItem]) -> list[str]:
    ask: list[str] = []
    for t in unknown:
        for f in t.ask_facts:
            if f not in ask:
                ask.append(f)
    return ask


def evaluate_measure(
    measure: Measure,
    facts: dict[str, Any],
    on: date,
    catalogue: Catalogue,
    *,
    raw: dict[str, Any] | None = None,
) -> MeasureResult:
    """Evaluate one measure against already resolved facts (see facts.resolve_facts)."""
    ev = _Evaluator(facts, raw if raw is not None else facts, on, catalogue)
    trace: list[TraceItem] = []
    if not _in_force(measure, on):
        item = TraceItem(
            "fact",
            "not_met",
            Text.of(N_("The measure is in force")),
            _NOT_IN_FORCE,
            0,
        )
        status: Status = "not_met"
        unknown: list[TraceItem] = []
        checks: list[Text] = []
        trace, failed = [item], [item]
    elif measure.eligibility is None:
        status, unknown, failed, checks = "met", [], [], []
    else:
        node = ev.eval(measure.eligibility, 0)
        status = node.status
        _flatten(node, trace)
        unknown = _explaining(node, "unknown") if status == "unknown" else []
        failed = _explaining(node, "not_met") if status == "not_met" else []
        checks = _self_checks(node) if status != "not_met" else []
    group: Group = {"met": "likely", "unknown": "maybe", "not_met": "other"}[status]  # type: ignore[assignment]
    amounts, hidden = amount_views(measure, on)
    ask = _facts_to_ask(unknown)
    stale = measure.review_by < on
    as_of = measure.as_of
    stale_note = (
        STALE_NOTE.fill(as_of=Text(ru=format_date(as_of, "ru"), en=format_date(as_of, "en")))
        if stale
        else None
    )
    return MeasureResult(
        measure=measure,
        group=group,
        status=status,
        title=measure.title,
        short=measure.short,
        level_label=_level_label(measure, catalogue),
        amounts=amounts,
        amount_hidden=hidden,
        amount_caveat=SOURCED_CAVEAT if any(not a.verified for a in amounts) else None,
        check_where=measure.check_where,
        trace=trace,
        unknown=unknown,
        failed=failed,
        self_check=checks,
        ask_facts=ask,
        stale=stale,
        stale_note=stale_note,
    )


def screen(
    facts: dict[str, Any], region: str | None, on: date, catalogue: Catalogue | None = None
) -> ScreeningResult:
    """Screen a family against every screenable measure of the federal level and of its region.

    facts: answers and profile values (see data/questionnaire.yaml; a key with value None = «не знаю»).
    region: ISO 3166-2 code (e.g. «RU-PNZ») or None; overrides facts["region"] when given."""
    cat, region, resolved = _screening(facts, region, on, catalogue)
    groups: dict[Group, list[MeasureResult]] = {"likely": [], "maybe": [], "other": []}
    for m in cat.measures_for_region(region):
        if not m.screen:
            continue
        r = evaluate_measure(m, resolved, on, cat, raw=facts)
        groups[r.group].append(r)
    # regional measures first within a group; «other» ordered by how close they came
    for g in ("likely", "maybe"):
        groups[g].sort(key=lambda r: r.measure.level != "regional")
    groups["other"].sort(key=lambda r: len(r.failed))
    ask_next = _most_asked(cat, [r.ask_facts for r in groups["maybe"]])
    if region and region in cat.regions:
        note = cat.regions[region].measures_note
    elif region:
        note = Text.of(
            N_(
                "We have not collected your region's measures yet. Look them up on your regional social protection "
                "website and on Gosuslugi."
            )
        )
    else:
        note = NO_REGION_NOTE
    return ScreeningResult(
        on=on,
        region=region,
        region_name=cat.region_name(region),
        likely=groups["likely"],
        maybe=groups["maybe"],
        other=groups["other"],
        ask_next=ask_next,
        regional_note=note,
        disclaimer=DISCLAIMER,
    )


# ---------------------------------------------------------------------------------------------------- questions


def missing_questions(
    facts: dict[str, Any], catalogue: Catalogue | None = None, on: date | None = None
) -> list[Question]:
    """Questions still to ask, in order. A fact present in `facts` (even as None = «не знаю») is not asked again;
    profile facts (children_birth_years, pregnant, region, …) count as answers; `ask_if` that is false skips."""
    cat = catalogue or default_catalogue()
    on = on or date.today()
    resolved = resolve_facts(facts, on, facts.get("region"))
    ev = _Evaluator(resolved, facts, on, cat)
    out: list[Question] = []
    for q in cat.questionnaire.questions:
        if q.fact in facts:
            continue
        if any(facts.get(f) is not None for f in q.also_known_from):
            continue
        if q.ask_if is not None and ev.eval(q.ask_if, 0).status == "not_met":
            continue
        out.append(q)
    return out


@dataclass(frozen=True, slots=True)
class RenderedQuestion:
    id: str
    fact: str
    kind: str  # choice | years | number
    text: str
    hint: str | None
    options: list[tuple[str, Any]]  # (button label, value to store in facts[fact]); value None = «не знаю»


def _fmt_int_money(v: float, lang: str) -> str:
    return format_money(round(v), lang).replace(f"{NBSP}₽", "")


def render_question(
    question: Question,
    facts: dict[str, Any],
    lang: str,
    catalogue: Catalogue | None = None,
    on: date | None = None,
) -> RenderedQuestion:
    """Texts and buttons of a question; the income question shows the family's threshold when ПМ is known."""
    cat = catalogue or default_catalogue()
    on = on or date.today()
    text = question.text.get(lang)
    labels = [o.label.get(lang) for o in question.options]
    hint = question.hint.get(lang) if question.hint else None
    if question.text_amount is not None:
        resolved = resolve_facts(facts, on, facts.get("region"))
        size = resolved.get("family_size")
        t = None
        if isinstance(size, Interval) and size.exact:
            t = income_threshold(resolved.get("region"), int(size.lo), on.year, cat)
        if t is not None:
            fmt = {
                "pm": _fmt_int_money(t, lang),
                "pm_1_1": _fmt_int_money(t * 1.1, lang),
                "pm_1_5": _fmt_int_money(t * 1.5, lang),
            }
            text = question.text_amount.get(lang).format(**fmt)
            labels = [(o.label_amount or o.label).get(lang).format(**fmt) for o in question.options]
        else:
            where = pm_check_where(resolved.get("region"), on.year, cat).get(lang)
            hint = f"{hint}\n{where}" if hint else where
    return RenderedQuestion(
        id=question.id,
        fact=question.fact,
        kind=question.kind,
        text=text,
        hint=hint,
        options=[(label, o.value) for label, o in zip(labels, question.options, strict=True)],
    )


def ask_next(
    facts: dict[str, Any], region: str | None, on: date, catalogue: Catalogue | None = None
) -> list[str]:
    """What ``screen(...).ask_next`` is — the facts that would settle the most «maybe» measures, most first —
    without building the results (their amounts, texts and traces): the screener asks it after every answer."""
    cat, region, resolved = _screening(facts, region, on, catalogue)
    asks: list[tuple[bool, list[str]]] = []
    for m in cat.measures_for_region(region):
        if not m.screen or not _in_force(m, on) or m.eligibility is None:
            continue
        node = _Evaluator(resolved, facts, on, cat, details=False).eval(m.eligibility, 0)
        if node.status == "unknown":
            asks.append((m.level != "regional", _facts_to_ask(_explaining(node, "unknown"))))
    asks.sort(key=lambda a: a[0])  # regional measures first, as in screen(): a tie goes the same way
    return _most_asked(cat, [ask for _, ask in asks])


def _screening(
    facts: dict[str, Any], region: str | None, on: date, catalogue: Catalogue | None
) -> tuple[Catalogue, str | None, dict[str, Any]]:
    cat = catalogue or default_catalogue()
    region = region or facts.get("region")
    if region == "other":
        region = None
    return cat, region, resolve_facts(facts, on, region)


def _most_asked(cat: Catalogue, asks: list[list[str]]) -> list[str]:
    counts: dict[str, int] = {}
    for ask in asks:
        for f in ask:
            counts[f] = counts.get(f, 0) + 1
    order = {q.fact: i for i, q in enumerate(cat.questionnaire.questions)}
    return sorted(counts, key=lambda f: (-counts[f], order.get(f, math.inf)))
