"""The danger lexicon compiled for matching: every phrase of ``data/crisis_lexicon.yaml`` as word slots (lemmas,
exact surfaces, prefixes), indexed by the first word, with the typo tolerance's word forms. Used by the detector in
``bot/services/crisis.py``; no aiogram here either."""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.crisis_lexicon import (
    GAP_TOKEN,
    Exception_,
    Lexicon,
    Pattern,
)
from bot.services.crisis_text import (
    _CYR,
    _ru_lexeme,
    _yo,
    ru_lemmas,
)

# --------------------------------------------------------------------------- compiled lexicon


@dataclass(slots=True, frozen=True, eq=False)
class Slot:
    """One word position of a phrase: any of its lemmas, exact surfaces or surface prefixes."""

    lemmas: frozenset[str]
    exact: frozenset[str]
    prefixes: tuple[str, ...]
    source: str
    sid: int = -1  # its number in the compiled lexicon (the per-message index is a dict by this number)


@dataclass(slots=True, frozen=True, eq=False)
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


def _compiled(lexicon: Lexicon) -> _Compiler:
    """The lexicon compiled once (expanding every lemma costs about a second): loading checks it, the detector
    uses it."""
    if lexicon._compiled is None:
        lexicon._compiled = _Compiler(lexicon)
    compiled: _Compiler = lexicon._compiled
    return compiled


def _add_form(
    forms: dict[str, frozenset[str]], shared: dict[frozenset[str], frozenset[str]], form: str, lemma: str
) -> None:
    """forms[form] gains lemma; equal sets of lemmas are one shared frozenset, and no set is built per form."""
    old = forms.get(form)
    if old is not None and lemma in old:
        return
    key = frozenset((lemma,)) if old is None else old | {lemma}
    forms[form] = shared.setdefault(key, key)


class _Compiler:
    """Turns the validated lexicon into slots, expanding every lemma to all its inflected forms."""

    def __init__(self, lexicon: Lexicon):
        self.lex = lexicon
        self.settings = lexicon.settings
        self.vocab: set[str] = set()  # every lemma used by a slot
        # inflected surface -> lemmas of the vocabulary; equal lemma sets are one shared frozenset (about 100,000
        # forms map to a few thousand distinct sets: a set per form was some 15 MB of the process)
        self.forms: dict[str, frozenset[str]] = {}
        self._problems: list[str] = []
        self.patterns: list[tuple[Pattern, list[Phrase]]] = []
        self.exceptions: list[tuple[Phrase, int, bool]] = []  # (phrase, reach, the reach stays in its clause)
        self.slots: list[Slot] = []
        for p in lexicon.patterns:
            self.patterns.append((p, [self._phrase(p, s) for s in p.phrases]))
        for e in lexicon.exceptions:
            self.exceptions.extend(
                (self._phrase(e, s), e.reach, e.reach_within == "clause") for s in e.phrases
            )
        self.negation = frozenset(self._lemmas_of(w) for w in lexicon.negation.words)
        self.pseudo = frozenset(self._lemmas_of(w) for w in lexicon.negation.pseudo)
        self.clause_breaks = frozenset(_yo(w.lower()) for w in lexicon.negation.clause_breaks)
        self.scene_changes = frozenset(_yo(w.lower()) for w in lexicon.settings.scene_changes)
        shared: dict[frozenset[str], frozenset[str]] = {}
        for lemma in sorted(self.vocab):
            if _CYR.search(lemma):
                for form in _ru_lexeme(lemma):
                    _add_form(self.forms, shared, form, lemma)

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
        slot = Slot(frozenset(lemmas), frozenset(exact), tuple(prefixes), word, len(self.slots))
        self.slots.append(slot)
        return slot

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
