"""The triage tree: a few plain questions that route a family's request (`data/triage.yaml`).

Pure data + pure functions (no Telegram, no database). The tree is a directed acyclic graph of question
nodes whose options lead to another node or to an outcome. The first question is always the explicit safety
question (as comparable crisis services do); its «yes» leads to an emergency outcome routed to the crisis
centre.

Navigation:

    tree = load_triage(data_dir)
    node = tree.start_node()
    nxt = tree.answer(node.id, "no")          # -> Node | Outcome

    path = TriagePath(tree)                   # keeps the choices for the operator's case card
    path.choose("no"); path.choose("money"); path.choose("info")
    path.outcome, path.summary("ru"), path.to_record()

Option ids and node ids are short ASCII strings so that `node_id:option_id` fits Telegram's 64-byte
callback data.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from bot.services.content_base import (
    LANGS,
    TRIAGE_FILE,
    ContentError,
    I18n,
    format_validation_error,
    read_yaml,
    strip_anchor_keys,
)
from bot.services.texts import gettext

__all__ = [
    "CATEGORIES",
    "LIFE_SITUATIONS",
    "LIFE_SITUATIONS_FILE",
    "MAX_LABEL_CHARS",
    "MAX_LABEL_WORDS",
    "MAX_QUESTIONS",
    "ROUTES",
    "SPECIALTIES",
    "URGENCIES",
    "Node",
    "Option",
    "Outcome",
    "Route",
    "Step",
    "TriageError",
    "TriagePath",
    "TriageTree",
    "check_tree",
    "load_triage",
    "validate_triage",
]

Category = Literal[
    "legal",
    "psychological",
    "social_benefits",
    "material_help",
    "pregnancy_infants",
    "housing",
    "children_health_education",
    "disability",
    "violence_safety",
    "family_relationships",
    "other",
]
Urgency = Literal["routine", "soon", "urgent", "emergency"]
RouteType = Literal["info_measures", "consultant", "crisis_centre", "maternity_centre", "directory"]
Specialty = Literal["lawyer", "psychologist", "social_consultant"]

CATEGORIES: tuple[str, ...] = Category.__args__  # type: ignore[attr-defined]
URGENCIES: tuple[str, ...] = Urgency.__args__  # type: ignore[attr-defined]
ROUTES: tuple[str, ...] = RouteType.__args__  # type: ignore[attr-defined]
SPECIALTIES: tuple[str, ...] = Specialty.__args__  # type: ignore[attr-defined]

# Life situations of the measures navigator, with the ids the measures files use.
# When `data/life_situations.yaml` exists, `load_triage` checks against its ids instead.
LIFE_SITUATIONS: tuple[str, ...] = (
    "pregnancy",
    "birth",
    "child_growing",
    "child_disability",
    "large_family",
    "low_income",
    "housing",
    "guardianship",
    "young_family",
    "loss_of_breadwinner",
    "divorce",
    "job_loss",
)
LIFE_SITUATIONS_FILE = "life_situations.yaml"

MAX_QUESTIONS = 4  # at most this many questions on any path, the safety question included
MAX_LABEL_CHARS = 30  # option labels are Telegram buttons
MAX_LABEL_WORDS = 3
MAX_OPTIONS = 8
MAX_TEXT_CHARS = 700  # one phone screen
MAX_ID_CHARS = 24  # node/option ids travel in callback data (64 bytes)


class TriageError(KeyError):
    """An unknown node, option or outcome was asked for."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "triage error"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_id(v: str) -> str:
    if not v or len(v) > MAX_ID_CHARS or not all(c.isascii() and (c.isalnum() or c == "_") for c in v):
        raise ValueError(f"id {v!r}: use up to {MAX_ID_CHARS} latin letters, digits and _")
    return v


Id = Annotated[str, AfterValidator(_check_id)]


class Option(_Model):
    id: Id
    label: I18n
    next: str


class Node(_Model):
    """A question. `safety: true` marks the explicit danger question (it must be the start node)."""

    id: Id
    text: I18n
    short: I18n | None = None
    """A few words naming the question on the operator's case card («Тема»); defaults to `text`."""
    hint: I18n | None = None
    safety: bool = False
    options: list[Option] = Field(min_length=2, max_length=MAX_OPTIONS)

    @model_validator(mode="after")
    def _unique_options(self) -> Node:
        ids = [o.id for o in self.options]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError("duplicate option ids: " + ", ".join(dupes))
        return self

    def option(self, option_id: str) -> Option:
        for opt in self.options:
            if opt.id == option_id:
                return opt
        raise TriageError(f"node {self.id!r} has no option {option_id!r}")


class Route(_Model):
    type: RouteType
    specialty: Specialty | None = None
    kind: str | None = None

    @model_validator(mode="after")
    def _complete(self) -> Route:
        if self.type == "consultant" and self.specialty is None:
            raise ValueError(
                "a `consultant` route needs a specialty (lawyer, psychologist or social_consultant)"
            )
        if self.type != "consultant" and self.specialty is not None:
            raise ValueError(f"specialty is only for `consultant` routes, not {self.type!r}")
        if self.type == "directory" and not self.kind:
            raise ValueError("a `directory` route needs a kind (see kinds in organisations.yaml)")
        if self.type != "directory" and self.kind is not None:
            raise ValueError(f"kind is only for `directory` routes, not {self.type!r}")
        return self

    @property
    def tier(self) -> int | None:
        """Tier of the request: 2 for consultants, 3 for the crisis centre; None for self-service."""
        return {"consultant": 2, "crisis_centre": 3, "maternity_centre": 2}.get(self.type)

    @property
    def opens_case(self) -> bool:
        return self.type in ("consultant", "crisis_centre", "maternity_centre")


class Outcome(_Model):
    id: Id
    category: Category
    urgency: Urgency
    route: Route
    title: I18n
    next_steps: I18n
    life_situation: str | None = None

    @property
    def is_emergency(self) -> bool:
        return self.urgency == "emergency"

    @property
    def show_emergency_contacts(self) -> bool:
        """Urgent and emergency outcomes show emergency contacts before anything else."""
        return self.urgency in ("urgent", "emergency")


def _inject_ids(section: Any) -> Any:
    """`nodes: {safety: {...}}` → each value gets `id: safety` (the key is the id)."""
    if not isinstance(section, dict):
        return section
    out = {}
    for key, value in section.items():
        if isinstance(value, dict):
            if "id" in value and value["id"] != key:
                value = {**value, "id": f"{value['id']}≠{key}"}  # fails the id check with both names shown
            else:
                value = {"id": key, **value}
        out[key] = value
    return out


class TriageTree(_Model):
    version: int
    start: str
    nodes: dict[str, Node]
    outcomes: dict[str, Outcome]

    @model_validator(mode="before")
    @classmethod
    def _ids_from_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = {
                **data,
                "nodes": _inject_ids(data.get("nodes")),
                "outcomes": _inject_ids(data.get("outcomes")),
            }
        return data

    # -- navigation ------------------------------------------------------------------------------------------

    def start_node(self) -> Node:
        return self.node(self.start)

    def node(self, node_id: str) -> Node:
        try:
            return self.nodes[node_id]
        except KeyError:
            raise TriageError(f"unknown triage node {node_id!r}") from None

    def outcome(self, outcome_id: str) -> Outcome:
        try:
            return self.outcomes[outcome_id]
        except KeyError:
            raise TriageError(f"unknown triage outcome {outcome_id!r}") from None

    def target(self, target_id: str) -> Node | Outcome:
        if target_id in self.nodes:
            return self.nodes[target_id]
        return self.outcome(target_id)

    def answer(self, node_id: str, option_id: str) -> Node | Outcome:
        """Where choosing `option_id` at `node_id` leads. Raises TriageError for unknown ids."""
        return self.target(self.node(node_id).option(option_id).next)

    def emergency_outcome(self) -> Outcome:
        """The outcome the safety question's «yes» leads to (for a danger word typed at any moment)."""
        start = self.start_node()
        for opt in start.options:
            target = self.target(opt.next)
            if isinstance(target, Outcome) and target.is_emergency:
                return target
        raise TriageError("the safety question has no emergency outcome")

    # -- structure -------------------------------------------------------------------------------------------

    def paths(self) -> Iterator[tuple[list[tuple[Node, Option]], Outcome]]:
        """Every (choices, outcome) path from the start. Assumes a valid (acyclic) tree."""

        def walk(
            node: Node, trail: list[tuple[Node, Option]]
        ) -> Iterator[tuple[list[tuple[Node, Option]], Outcome]]:
            for opt in node.options:
                nxt = self.target(opt.next)
                step = [*trail, (node, opt)]
                if isinstance(nxt, Outcome):
                    yield step, nxt
                else:
                    yield from walk(nxt, step)

        yield from walk(self.start_node(), [])

    def depth(self, node_id: str | None = None) -> int:
        """Most questions asked from `node_id` (default: the start) to an outcome, that node included."""
        node = self.node(node_id or self.start)
        best = 0
        for opt in node.options:
            if opt.next in self.nodes:
                best = max(best, self.depth(opt.next))
        return best + 1

    def max_depth(self) -> int:
        return self.depth(self.start)


# ------------------------------------------------------------------------------------------------
# Structural checks
# ------------------------------------------------------------------------------------------------


def check_tree(
    tree: TriageTree, *, file_name: str = TRIAGE_FILE, life_situations: Collection[str] | None = None
) -> list[str]:
    """Problems the schema cannot see: dangling or unreachable branches, cycles, depth, labels, safety,
    unknown life situations (checked against `life_situations`, default `LIFE_SITUATIONS`)."""
    errors: list[str] = []

    def err(where: str, msg: str) -> None:
        errors.append(f"{file_name}: {where}: {msg}")

    known_situations = set(LIFE_SITUATIONS if life_situations is None else life_situations)
    for outcome in tree.outcomes.values():
        if outcome.life_situation is not None and outcome.life_situation not in known_situations:
            err(
                f"outcomes.{outcome.id}.life_situation",
                f"unknown life_situation {outcome.life_situation!r} "
                f"(known: {', '.join(sorted(known_situations))})",
            )

    clash = sorted(set(tree.nodes) & set(tree.outcomes))
    if clash:
        err("nodes/outcomes", "the same id is used for a node and an outcome: " + ", ".join(clash))
    if tree.start not in tree.nodes:
        err("start", f"start node {tree.start!r} does not exist")
        return errors

    dangling = False
    for node in tree.nodes.values():
        for opt in node.options:
            if opt.next not in tree.nodes and opt.next not in tree.outcomes:
                err(
                    f"nodes.{node.id}.options.{opt.id}",
                    f"dangling branch: leads to {opt.next!r}, which does not exist",
                )
                dangling = True
            for lang in LANGS:
                label = opt.label.get(lang)
                if len(label) > MAX_LABEL_CHARS:
                    err(
                        f"nodes.{node.id}.options.{opt.id}.label.{lang}",
                        f"button label {label!r} has {len(label)} characters (at most {MAX_LABEL_CHARS})",
                    )
                if len(label.split()) > MAX_LABEL_WORDS:
                    err(
                        f"nodes.{node.id}.options.{opt.id}.label.{lang}",
                        f"button label {label!r} has more than {MAX_LABEL_WORDS} words",
                    )
        for lang in LANGS:
            if len(node.text.get(lang)) > MAX_TEXT_CHARS:
                err(f"nodes.{node.id}.text.{lang}", f"longer than {MAX_TEXT_CHARS} characters")
    for outcome in tree.outcomes.values():
        for lang in LANGS:
            if len(outcome.next_steps.get(lang)) > MAX_TEXT_CHARS:
                err(f"outcomes.{outcome.id}.next_steps.{lang}", f"longer than {MAX_TEXT_CHARS} characters")

    # cycles (iterative DFS with colours), reporting the cycle itself
    white, grey, black = 0, 1, 2
    colour = dict.fromkeys(tree.nodes, white)
    cycles: list[list[str]] = []

    def visit(start: str) -> None:
        stack: list[tuple[str, Iterator[str]]] = [(start, iter(o.next for o in tree.nodes[start].options))]
        trail = [start]
        colour[start] = grey
        while stack:
            node_id, children = stack[-1]
            child = next(children, None)
            if child is None:
                colour[node_id] = black
                stack.pop()
                trail.pop()
                continue
            if child not in tree.nodes:
                continue
            if colour[child] == grey:
                cycles.append([*trail[trail.index(child) :], child])
            elif colour[child] == white:
                colour[child] = grey
                trail.append(child)
                stack.append((child, iter(o.next for o in tree.nodes[child].options)))

    for node_id in tree.nodes:
        if colour[node_id] == white:
            visit(node_id)
    for cycle in cycles:
        err("nodes", "cycle: " + " → ".join(cycle) + " (a family could go round forever)")

    # reachability
    seen: set[str] = set()
    todo = [tree.start]
    while todo:
        cur = todo.pop()
        if cur in seen:
            continue
        seen.add(cur)
        if cur in tree.nodes:
            todo.extend(o.next for o in tree.nodes[cur].options)
    for node_id in tree.nodes:
        if node_id not in seen:
            err(f"nodes.{node_id}", "unreachable: no option leads here")
    for outcome_id in tree.outcomes:
        if outcome_id not in seen:
            err(f"outcomes.{outcome_id}", "unreachable: no option leads here")

    # the safety question
    start = tree.nodes[tree.start]
    if not start.safety:
        err(f"nodes.{start.id}", "the first question must be the safety question (`safety: true`)")
    safety_nodes = [n.id for n in tree.nodes.values() if n.safety and n.id != tree.start]
    if safety_nodes:
        err("nodes", "only the start node may be marked `safety: true`: " + ", ".join(safety_nodes))
    emergency = [
        o
        for o in start.options
        if o.next in tree.outcomes
        and tree.outcomes[o.next].urgency == "emergency"
        and tree.outcomes[o.next].route.type == "crisis_centre"
    ]
    if not emergency:
        err(
            f"nodes.{start.id}",
            "the safety question needs an option leading to an emergency crisis_centre outcome",
        )

    if cycles or dangling:
        return errors  # depth is meaningless with cycles or missing targets
    deepest = _deepest_path(tree)
    if len(deepest) > MAX_QUESTIONS:
        err(
            "nodes",
            f"a path asks {len(deepest)} questions (at most {MAX_QUESTIONS}): " + " → ".join(deepest),
        )
    return errors


def _deepest_path(tree: TriageTree) -> list[str]:
    memo: dict[str, list[str]] = {}

    def deepest(node_id: str) -> list[str]:
        if node_id not in memo:
            best: list[str] = []
            for opt in tree.nodes[node_id].options:
                if opt.next in tree.nodes:
                    sub = deepest(opt.next)
                    if len(sub) > len(best):
                        best = sub
            memo[node_id] = [node_id, *best]
        return memo[node_id]

    return deepest(tree.start)


def _parse(path: Path) -> TriageTree:
    raw = strip_anchor_keys(read_yaml(path))
    try:
        return TriageTree.model_validate(raw)
    except ValidationError as exc:
        raise ContentError(format_validation_error(path.name, raw, exc)) from exc


def _life_situation_ids(data_dir: Path) -> list[str] | None:
    """Ids from `data/life_situations.yaml` (owned by the measures module); None if absent or unreadable."""
    path = data_dir / LIFE_SITUATIONS_FILE
    if not path.is_file():
        return None
    try:
        raw = read_yaml(path)
    except ContentError:
        return None  # the measures loader reports its own file's problems
    items = raw.get("life_situations") if isinstance(raw, dict) else None
    if not isinstance(items, list):
        return None
    return [str(i["id"]) for i in items if isinstance(i, dict) and "id" in i]


def load_triage(data_dir: Path) -> TriageTree:
    """Load `data_dir/triage.yaml` (or a file path) and check its structure; raise ContentError if bad."""
    path = Path(data_dir)
    if path.is_dir() or path.suffix not in (".yaml", ".yml"):
        path = path / TRIAGE_FILE
    tree = _parse(path)
    errors = check_tree(tree, file_name=path.name, life_situations=_life_situation_ids(path.parent))
    if errors:
        raise ContentError(errors)
    return tree


def validate_triage(data_dir: Path) -> list[str]:
    try:
        load_triage(data_dir)
    except ContentError as exc:
        return exc.errors
    return []


# ------------------------------------------------------------------------------------------------
# A walk through the tree
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One answered question (its short name or text) and the button pressed — for the case card."""

    node_id: str
    option_id: str
    question: I18n
    answer: I18n

    def as_dict(self) -> dict[str, str]:
        return {
            "node": self.node_id,
            "option": self.option_id,
            "question_ru": self.question.ru,
            "answer_ru": self.answer.ru,
            "question_en": self.question.en,
            "answer_en": self.answer.en,
        }


@dataclass
class TriagePath:
    """The family's walk: current position plus every choice made so far. Pure; store `choices` in the FSM."""

    tree: TriageTree
    steps: list[Step] = field(default_factory=list)
    current: Node | Outcome | None = None

    def __post_init__(self) -> None:
        if self.current is None:
            self.current = self.tree.start_node()

    @classmethod
    def replay(cls, tree: TriageTree, choices: Sequence[tuple[str, str]] | Sequence[str]) -> TriagePath:
        """Rebuild a walk from stored choices: option ids, or (node_id, option_id) pairs (checked)."""
        path = cls(tree)
        for choice in choices:
            if isinstance(choice, str):
                path.choose(choice)
            else:
                node_id, option_id = choice
                if path.node is None or path.node.id != node_id:
                    raise TriageError(f"stored choice for node {node_id!r} does not match the current tree")
                path.choose(option_id)
        return path

    @property
    def node(self) -> Node | None:
        return self.current if isinstance(self.current, Node) else None

    @property
    def outcome(self) -> Outcome | None:
        return self.current if isinstance(self.current, Outcome) else None

    @property
    def done(self) -> bool:
        return self.outcome is not None

    @property
    def depth(self) -> int:
        """Questions answered so far."""
        return len(self.steps)

    @property
    def choices(self) -> list[tuple[str, str]]:
        return [(s.node_id, s.option_id) for s in self.steps]

    def choose(self, option_id: str) -> Node | Outcome:
        node = self.node
        if node is None:
            raise TriageError("the walk has already reached an outcome")
        opt = node.option(option_id)
        nxt = self.tree.target(opt.next)
        self.steps.append(Step(node.id, opt.id, node.short or node.text, opt.label))
        self.current = nxt
        return nxt

    def back(self) -> Node:
        """Undo the last choice; at the start, stay there."""
        if self.steps:
            last = self.steps.pop()
            self.current = self.tree.node(last.node_id)
        else:
            self.current = self.tree.start_node()
        return self.current

    def summary(self, lang: str = "ru") -> list[tuple[str, str]]:
        """(question, answer) pairs in `lang`, in the order asked."""
        return [(s.question.get(lang), s.answer.get(lang)) for s in self.steps]

    def summary_text(self, lang: str = "ru") -> str:
        """Plain lines for the case card: «Вопрос — ответ», then the outcome title."""
        lines = [f"• {q} — {a}" for q, a in self.summary(lang)]
        if self.outcome is not None:
            lines.append(gettext("Outcome: {title}", lang).format(title=self.outcome.title.get(lang)))
        return "\n".join(lines)

    def to_record(self) -> dict[str, Any]:
        """JSON-ready data for `TriageResult` (category, urgency, route, specialty, path)."""
        out = self.outcome
        return {
            "version": self.tree.version,
            "outcome": out.id if out else None,
            "category": out.category if out else None,
            "urgency": out.urgency if out else None,
            "route": out.route.type if out else None,
            "specialty": out.route.specialty if out else None,
            "kind": out.route.kind if out else None,
            "life_situation": out.life_situation if out else None,
            "path": [s.as_dict() for s in self.steps],
        }
