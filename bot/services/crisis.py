"""Danger-signal detector for free text (violence, a child in danger, suicide, no food or shelter, medical).

The lexicon lives in ``data/crisis_lexicon.yaml`` so content editors can change it without code. Editors write
plain phrases («не хочу жить»); the loader lemmatises every word with pymorphy3, so every inflection matches
(«бьёт / избил / избивает»). The phrase syntax is documented at the top of the YAML file.

Matching is token based and linear in the length of the text (no regular expressions over user text apart
from one tokeniser pattern), so a 10,000-character message is checked in a few milliseconds.

This module must not import aiogram: it is used by the bot, by ``python -m bot check`` and by tests.
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.services import yamlsafe
from bot.services.morph import analyzer

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

    @model_validator(mode="after")
    def _cross_check(self) -> Lexicon:
        problems: list[str] = []
        missing = [c for c in CRISIS_CATEGORIES if c not in self.categories]
        if missing:
            problems.append(f"categories: missing {', '.join(missing)}")
        seen: set[str] = set()
        for p in [*self.patterns, *self.exceptions]:
            if p.id in seen:
                problems.append(f"duplicate id {p.id!r}")
            seen.add(p.id)
        for p in self.patterns:
            if p.category not in self.categories:
                problems.append(f"pattern {p.id!r}: unknown category {p.category!r}")
        for name, words in self.groups.items():
            if not words:
                problems.append(f"group @{name} is empty")
        for p in [*self.patterns, *self.exceptions]:
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


def load_lexicon(path: Path | str) -> Lexicon:
    """Read and validate the lexicon file. Raises :class:`LexiconError` listing every problem."""
    path = Path(path)
    try:
        raw: Any = yamlsafe.load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LexiconError(path, [f"cannot read file: {exc}"]) from exc
    except yaml.YAMLError as exc:
        raise LexiconError(path, [f"not valid YAML: {exc}"]) from exc
    if not isinstance(raw, dict):
        raise LexiconError(path, ["the file must be a mapping with version, reviewed, categories, patterns"])
    try:
        lexicon = Lexicon.model_validate(raw)
    except ValidationError as exc:
        raise LexiconError(path, _pydantic_problems(exc)) from exc
    # Compile once so that phrases which cannot match anything are reported at load time too.
    problems = _Compiler(lexicon).problems()
    if problems:
        raise LexiconError(path, problems)
    return lexicon


def validate(data_dir: Path) -> list[str]:
    """Human-readable problems with ``data_dir/crisis_lexicon.yaml``; empty when valid (for `python -m bot check`)."""
    path = Path(data_dir) / LEXICON_FILE
    if not path.exists():
        return [f"{path}: file is missing (the danger-signal lexicon is required)"]
    try:
        load_lexicon(path)
    except LexiconError as exc:
        return [f"{path.name}: {p}" for p in exc.problems]
    return []


# --------------------------------------------------------------------------- text normalisation


def _yo(s: str) -> str:
    return s.replace("ё", "е")


@functools.lru_cache(maxsize=200_000)
def ru_lemmas(word: str) -> frozenset[str]:
    """All normal forms pymorphy3 gives for a (lower-case) Russian word, with ё written as е."""
    return frozenset(_yo(p.normal_form) for p in analyzer().parse(word))


@functools.lru_cache(maxsize=50_000)
def _ru_known(word: str) -> bool:
    return analyzer().word_is_known(word)


@functools.lru_cache(maxsize=4_096)
def _ru_lexeme(lemma: str) -> frozenset[str]:
    """Every inflected form of a lemma (all its parses whose normal form is the lemma)."""
    forms: set[str] = {lemma}
    for parse in analyzer().parse(lemma):
        if _yo(parse.normal_form) == lemma:
            forms.update(_yo(f.word) for f in parse.lexeme)
    return frozenset(forms)


def en_lemmas(word: str) -> frozenset[str]:
    """Candidate base forms of an English word (crude suffix stripping; patterns use base forms)."""
    word = word.replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    out = {word}
    n = len(word)
    if n > 3 and word.endswith("ies"):
        out.add(word[:-3] + "y")
    if n > 3 and word.endswith("es"):
        out.add(word[:-2])
    if n > 2 and word.endswith("s") and not word.endswith("ss"):
        out.add(word[:-1])
    if n > 3 and word.endswith("ed"):
        out.update({word[:-2], word[:-1]})
        if n > 4 and word[-3] == word[-4]:
            out.add(word[:-3])
    if n > 4 and word.endswith("ing"):
        stem = word[:-3]
        out.update({stem, stem + "e"})
        if len(stem) > 2 and stem[-1] == stem[-2]:
            out.add(stem[:-1])
    return frozenset(out)


# Latin letters that look like Cyrillic ones; applied only inside a word that already has Cyrillic letters.
_LOOKALIKE = str.maketrans("aceopxykmthb", "асеорхукмтнв")
_CYR = re.compile(r"[а-я]")
_LAT = re.compile(r"[a-z]")
_REPEAT = re.compile(r"(.)\1{2,}")
# One tokeniser pattern, linear: words (Cyrillic, Latin, digits, apostrophes inside words) or punctuation.
_TOKEN = re.compile(r"[0-9a-zа-яё]+(?:['’][a-z]+)?|[.!?\n]|[,;:()\u2014\u2013]|\s-\s")
_SENTENCE_END = frozenset(".!?\n")


@dataclass(slots=True)
class Token:
    pos: int
    text: str  # normalised surface: lower case, ё→е, look-alikes fixed, repeats collapsed
    original: str  # as written, for the operator
    lang: str  # "ru", "en" or "num"
    sentence: int
    clause: int
    lemmas: frozenset[str] = field(default_factory=frozenset)


# --------------------------------------------------------------------------- compiled lexicon


@dataclass(slots=True, frozen=True)
class Slot:
    """One word position of a phrase: any of its lemmas, exact surfaces or surface prefixes."""

    lemmas: frozenset[str]
    exact: frozenset[str]
    prefixes: tuple[str, ...]
    source: str


@dataclass(slots=True, frozen=True)
class Phrase:
    owner: str  # pattern or exception id
    source: str
    slots: tuple[Slot, ...]
    gaps: tuple[int, ...]  # gaps[i]: words allowed between slot i and slot i+1
    any_order: bool
    window: int


@dataclass(slots=True, frozen=True)
class Match:
    phrase: Phrase
    positions: tuple[int, ...]  # token indexes, ascending


class _Compiler:
    """Turns the validated lexicon into slots, expanding every lemma to all its inflected forms."""

    def __init__(self, lexicon: Lexicon):
        self.lex = lexicon
        self.settings = lexicon.settings
        self.vocab: set[str] = set()  # every lemma used by a slot
        self.forms: dict[str, set[str]] = {}  # inflected surface -> lemmas of the vocabulary
        self._problems: list[str] = []
        self.patterns: list[tuple[Pattern, list[Phrase]]] = []
        self.exceptions: list[Phrase] = []
        for p in lexicon.patterns:
            self.patterns.append((p, [self._phrase(p, s) for s in p.phrases]))
        for e in lexicon.exceptions:
            self.exceptions.extend(self._phrase(e, s) for s in e.phrases)
        self.negation = frozenset(self._lemmas_of(w) for w in lexicon.negation.words)
        self.pseudo = frozenset(self._lemmas_of(w) for w in lexicon.negation.pseudo)
        self.clause_breaks = frozenset(_yo(w.lower()) for w in lexicon.negation.clause_breaks)
        for lemma in self.vocab:
            if _CYR.search(lemma):
                for form in _ru_lexeme(lemma):
                    self.forms.setdefault(form, set()).add(lemma)

    def problems(self) -> list[str]:
        return self._problems

    def _lemmas_of(self, word: str) -> str:
        """The single lemma used for negation words (the word itself if it is a dictionary form)."""
        word = _yo(word.lower())
        lemmas = ru_lemmas(word) if _CYR.search(word) else frozenset({word})
        lemma = word if word in lemmas or len(lemmas) != 1 else next(iter(lemmas))
        self.vocab.add(lemma)
        return lemma

    def _word_lemmas(self, word: str, lang: str) -> frozenset[str]:
        if lang == "en" or not _CYR.search(word):
            return frozenset({word})
        lemmas = ru_lemmas(word)
        # An editor who writes a dictionary form means that word, not a homonym («дома» is not «дом»).
        return frozenset({word}) if word in lemmas else lemmas

    def _slot(self, owner: str, word: str, lang: str) -> Slot:
        lemmas: set[str] = set()
        exact: set[str] = set()
        prefixes: list[str] = []
        for alt in _yo(word.lower()).split("|"):
            if alt.startswith("@"):
                for member in self.lex.groups.get(alt[1:], []):
                    for sub in _yo(member.lower()).split("|"):
                        self._add_alt(owner, sub, lang, lemmas, exact, prefixes)
            else:
                self._add_alt(owner, alt, lang, lemmas, exact, prefixes)
        self.vocab.update(lemmas)
        return Slot(frozenset(lemmas), frozenset(exact), tuple(prefixes), word)

    def _add_alt(self, owner: str, alt: str, lang: str, lemmas: set, exact: set, prefixes: list) -> None:
        if alt.startswith("="):
            exact.add(alt[1:])
        elif alt.endswith("*"):
            stem = alt[:-1]
            if len(stem) < 3:
                self._problems.append(f"{owner!r}: prefix {alt!r} is too short (at least 3 letters)")
            prefixes.append(stem)
        elif alt.startswith("@"):
            self._problems.append(f"{owner!r}: groups cannot contain groups ({alt!r})")
        else:
            lemmas.update(self._word_lemmas(alt, lang))

    def _phrase(self, p: Pattern | Exception_, source: str) -> Phrase:
        slots: list[Slot] = []
        gaps: list[int] = []
        gap = self.settings.gap if p.gap is None else p.gap
        wide = False
        for word in source.split():
            if word == GAP_TOKEN:
                wide = True
                continue
            if slots:
                gaps.append(self.settings.wide_gap if wide else gap)
            wide = False
            slots.append(self._slot(p.id, word, p.lang))
        if p.order == "any" and GAP_TOKEN in source.split():
            self._problems.append(f"{p.id!r}: '...' has no meaning in an `order: any` phrase: {source!r}")
        window = p.window or max(self.settings.window, len(slots))
        return Phrase(p.id, source, tuple(slots), tuple(gaps), p.order == "any", window)


# --------------------------------------------------------------------------- detector


@dataclass(frozen=True, slots=True)
class CrisisHit:
    """A danger signal. ``categories`` are ordered by severity, most urgent first."""

    categories: list[str]
    pattern_ids: list[str]
    matched: list[str]  # the words that matched, as written, one string per match (for the operator)
    severity: int  # higher is more urgent; compare hits with ``hit.severity``

    def __lt__(self, other: CrisisHit) -> bool:  # sorted(hits) puts the least urgent first
        return self.severity < other.severity


class CrisisDetector:
    """Finds danger signals in free text. Create once (loading lemmatises the lexicon) and reuse."""

    def __init__(self, lexicon: Lexicon):
        self.lexicon = lexicon
        self._c = _Compiler(lexicon)
        self.version = lexicon.version
        self.severity: dict[str, int] = {name: spec.severity for name, spec in lexicon.categories.items()}
        self._spelling = {_yo(k.lower()): _yo(v.lower()) for k, v in lexicon.spelling.items()}
        self._emoji = dict(lexicon.emoji)
        self._emoji_re = (
            re.compile("|".join(re.escape(e) for e in sorted(self._emoji, key=len, reverse=True)))
            if self._emoji
            else None
        )
        self._word_cache: dict[str, list[tuple[str, str, frozenset[str]]]] = {}

    @classmethod
    def from_path(cls, path: Path | str = DEFAULT_LEXICON_PATH) -> CrisisDetector:
        return cls(load_lexicon(path))

    # ------------------------------------------------------------------ tokens

    def _lemmas(self, surface: str, lang: str) -> frozenset[str]:
        """Lemmas of a token restricted to the lexicon vocabulary (all that matching needs)."""
        if lang == "en":
            result = en_lemmas(surface) & self._c.vocab
        elif lang == "num":
            result = frozenset({surface}) & self._c.vocab
        elif surface in self._c.forms:
            result = frozenset(self._c.forms[surface])
        elif len(surface) > 4 and not _ru_known(surface):
            # Not a dictionary word (slang, a typo): pymorphy3 predicts its lemma. A dictionary word that is
            # not in the inflection index cannot be a form of a vocabulary lemma, so it is skipped cheaply.
            result = ru_lemmas(surface) & self._c.vocab
        else:
            result = frozenset()
        return result

    def _normalise_word(self, raw: str) -> list[str]:
        word = _yo(raw.lower().replace("’", "'"))
        if _CYR.search(word) and _LAT.search(word):
            word = word.translate(_LOOKALIKE)
        word = _REPEAT.sub(r"\1", word)
        return self._spelling.get(word, word).split()

    def tokenize(self, text: str) -> list[Token]:
        text = unicodedata.normalize("NFC", text)
        if self._emoji_re is not None:
            text = self._emoji_re.sub(lambda m: f" {self._emoji[m.group(0)]} ", text)
        lowered = text.lower()
        if len(lowered) != len(text):  # rare Unicode case changes: show the lower-cased text instead
            text = lowered
        tokens: list[Token] = []
        sentence = clause = 0
        for m in _TOKEN.finditer(lowered):
            raw = m.group(0)
            if not raw[0].isalnum():
                if raw in _SENTENCE_END:
                    sentence += 1
                clause += 1
                continue
            original = text[m.start() : m.end()]
            for word, lang, lemmas in self._analyse(raw):
                if word in self._c.clause_breaks:
                    clause += 1
                tokens.append(Token(len(tokens), word, original, lang, sentence, clause, lemmas))
        return tokens

    def _analyse(self, raw: str) -> list[tuple[str, str, frozenset[str]]]:
        """(normalised word, language, vocabulary lemmas) for each word a raw token stands for; cached."""
        got = self._word_cache.get(raw)
        if got is None:
            got = []
            for part in self._normalise_word(raw):
                for word in self._split_glued(part):
                    lang = "num" if word.isdigit() else ("ru" if _CYR.search(word) else "en")
                    got.append((word, lang, self._lemmas(word, lang)))
            if len(self._word_cache) < 100_000:
                self._word_cache[raw] = got
        return got

    def _split_glued(self, word: str) -> Iterator[str]:
        """«нехочу» → «не», «хочу» when the glued form is unknown but the rest is a known word."""
        if (
            len(word) > 4
            and word.startswith("не")
            and word not in self._c.forms
            and not _ru_known(word)
            and _ru_known(word[2:])
        ):
            yield "не"
            yield from self._spelling.get(word[2:], word[2:]).split()
        else:
            yield word

    # ------------------------------------------------------------------ matching

    @staticmethod
    def _index(tokens: list[Token]) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
        by_lemma: dict[str, list[int]] = {}
        by_text: dict[str, list[int]] = {}
        for t in tokens:
            by_text.setdefault(t.text, []).append(t.pos)
            for lemma in t.lemmas:
                by_lemma.setdefault(lemma, []).append(t.pos)
        return by_lemma, by_text

    def _positions(self, slot: Slot, index: tuple[dict, dict], cache: dict[Slot, list[int]]) -> list[int]:
        """Ascending token positions where the slot matches, from the per-text inverted index."""
        got = cache.get(slot)
        if got is None:
            by_lemma, by_text = index
            found: set[int] = set()
            for lemma in slot.lemmas & by_lemma.keys():
                found.update(by_lemma[lemma])
            for surface in slot.exact & by_text.keys():
                found.update(by_text[surface])
            for prefix in slot.prefixes:
                for surface, pos in by_text.items():
                    if surface.startswith(prefix):
                        found.update(pos)
            got = cache[slot] = sorted(found)
        return got

    def _match_phrase(
        self, phrase: Phrase, tokens: list[Token], index: tuple, cache: dict
    ) -> Iterator[Match]:
        lists = []
        for slot in phrase.slots:
            pos = self._positions(slot, index, cache)
            if not pos:
                return
            lists.append(pos)
        if phrase.any_order:
            yield from self._match_any(phrase, tokens, lists)
        else:
            yield from self._match_fixed(phrase, tokens, lists)

    @staticmethod
    def _match_fixed(phrase: Phrase, tokens: list[Token], lists: list[list[int]]) -> Iterator[Match]:
        def extend(i: int, chosen: tuple[int, ...]) -> Iterator[tuple[int, ...]]:
            if i == len(lists):
                yield chosen
                return
            last = chosen[-1]
            limit = last + phrase.gaps[i - 1] + 1
            candidates = lists[i]
            for k in range(bisect.bisect_right(candidates, last), len(candidates)):
                p = candidates[k]
                if p > limit or tokens[p].sentence != tokens[last].sentence:
                    break
                yield from extend(i + 1, (*chosen, p))

        for start in lists[0]:
            for chosen in extend(1, (start,)):
                yield Match(phrase, chosen)
                break  # one match per start is enough

    @staticmethod
    def _match_any(phrase: Phrase, tokens: list[Token], lists: list[list[int]]) -> Iterator[Match]:
        """All slots inside `window` consecutive tokens of one sentence, in any order, on distinct tokens."""
        rarest = min(lists, key=len)
        anchors = sorted({q for p in rarest for q in range(max(0, p - phrase.window + 1), p + 1)})
        for lo in anchors:
            hi = lo + phrase.window - 1
            sent = tokens[lo].sentence
            chosen: list[int] = []
            for pos in lists:
                pick = None
                for k in range(bisect.bisect_left(pos, lo), len(pos)):
                    p = pos[k]
                    if p > hi:
                        break
                    if p not in chosen and tokens[p].sentence == sent:
                        pick = p
                        break
                if pick is None:
                    break
                chosen.append(pick)
            else:
                yield Match(phrase, tuple(sorted(chosen)))

    def _negated(self, match: Match, tokens: list[Token]) -> bool:
        neg, pseudo = self._c.negation, self._c.pseudo
        first, last = match.positions[0], match.positions[-1]
        used = set(match.positions)
        start = max(0, first - self.lexicon.negation.before)
        for i in range(start, last + 1):
            if i in used:
                continue
            tok = tokens[i]
            if tok.lemmas.isdisjoint(neg) and tok.text not in neg:
                continue
            if i < first and tok.clause != tokens[first].clause:
                continue
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            if nxt is not None and not (nxt.lemmas.isdisjoint(pseudo) and nxt.text not in pseudo):
                continue
            return True
        return False

    def explain(self, text: str) -> list[tuple[str, str, str]]:
        """Every accepted match as (pattern id, phrase, matched words) — for debugging and the bench."""
        return [(m.phrase.owner, m.phrase.source, w) for m, w in self._accepted(text)]

    def _accepted(self, text: str) -> list[tuple[Match, str]]:
        if not text or not text.strip():
            return []
        tokens = self.tokenize(text)
        if not tokens:
            return []
        cache: dict[Slot, list[int]] = {}
        index = self._index(tokens)
        benign: set[int] = set()
        for phrase in self._c.exceptions:
            for m in self._match_phrase(phrase, tokens, index, cache):
                benign.update(m.positions)
        out: list[tuple[Match, str]] = []
        for pattern, phrases in self._c.patterns:
            for phrase in phrases:
                for m in self._match_phrase(phrase, tokens, index, cache):
                    if benign.intersection(m.positions):
                        continue
                    if pattern.negatable and self._negated(m, tokens):
                        continue
                    out.append((m, " ".join(tokens[p].original for p in m.positions)))
                    break  # one match per phrase is enough
        return out

    def detect(self, text: str) -> CrisisHit | None:
        """The danger signal in ``text``, or None. Safe on empty, emoji-only and very long texts."""
        accepted = self._accepted(text)
        if not accepted:
            return None
        by_id = {p.id: p for p in self.lexicon.patterns}
        cat_sev: dict[str, int] = {}
        pattern_ids: list[str] = []
        matched: list[str] = []
        for m, words in accepted:
            pattern = by_id[m.phrase.owner]
            sev = pattern.severity or self.severity[pattern.category]
            cat_sev[pattern.category] = max(cat_sev.get(pattern.category, 0), sev)
            if pattern.id not in pattern_ids:
                pattern_ids.append(pattern.id)
            if words not in matched:
                matched.append(words)
        order = {c: i for i, c in enumerate(CRISIS_CATEGORIES)}
        categories = sorted(cat_sev, key=lambda c: (-cat_sev[c], order.get(c, len(order)), c))
        return CrisisHit(categories, pattern_ids, matched, max(cat_sev.values()))


@functools.lru_cache(maxsize=4)
def _detector_for(path: str, mtime: float) -> CrisisDetector:
    return CrisisDetector.from_path(path)


def load_detector(data_dir: Path | str | None = None) -> CrisisDetector:
    """The detector for ``data_dir/crisis_lexicon.yaml`` (default: the repository's data/), cached per file."""
    path = Path(data_dir) / LEXICON_FILE if data_dir is not None else DEFAULT_LEXICON_PATH
    return _detector_for(str(path), path.stat().st_mtime)
