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
from array import array
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import ValidationError

from bot.services import compiled, yamlsafe
from bot.services.bounded import WORDS, remember
from bot.services.crisis_compile import Match, Phrase, Slot, _add_form, _compiled
from bot.services.crisis_lexicon import (
    CRISIS_CATEGORIES,
    DEFAULT_LEXICON_PATH,
    LEXICON_FILE,
    Lexicon,
    LexiconError,
    _pydantic_problems,
)
from bot.services.crisis_model import DOWNGRADE_BELOW, MODEL_FILE, RAISE_ABOVE, RAISE_MIN_WORDS, CrisisModel
from bot.services.crisis_text import (
    _BOT_COMMAND,
    _CYR,
    _DOUBLE,
    _LAT,
    _LOOKALIKE,
    _NOWHERE,
    _REPEAT,
    _SENTENCE_END,
    _TOKEN,
    EN_TYPO_MIN_LEN,
    TYPO_MIN_LEN,
    Token,
    _en_inflections,
    _hash32,
    _negates_other_words,
    _one_edit,
    _ru_known,
    _russian_in_latin,
    _yo,
    en_lemmas,
    ru_lemmas,
)

RECENT_TEXTS = 32  # the last answers kept (see CrisisDetector.detect)

# --------------------------------------------------------------------------- detector


@dataclass(frozen=True, slots=True)
class CrisisHit:
    """A danger signal. ``categories`` are ordered by severity, most urgent first.

    ``level`` is "clear" (answer with emergency contacts at once) or "possible" (a weaker or ambiguous
    signal: ask gently whether the person is safe). ``evidence`` is what staff are shown: the words that
    matched, as written."""

    categories: list[str]
    pattern_ids: list[str]
    matched: list[str]  # the words that matched, as written, one string per match (for the operator)
    severity: int  # higher is more urgent; compare hits with ``hit.severity``
    level: Literal["clear", "possible"] = "clear"
    # The statistical second opinion (probability of danger) when it was asked: a clear signal from a single
    # pattern in a message the model reads as harmless is shown as "possible" (the safety check, not silence).
    second_opinion: float | None = None

    @property
    def evidence(self) -> list[str]:
        return list(self.matched)

    @property
    def clear(self) -> bool:
        return self.level == "clear"

    def __lt__(self, other: CrisisHit) -> bool:  # sorted(hits) puts the least urgent first
        return self.severity < other.severity


class CrisisDetector:
    """Finds danger signals in free text. Create once (loading lemmatises the lexicon) and reuse."""

    def __init__(
        self, lexicon: Lexicon, *, typos: bool = True, latin: bool = True, model: CrisisModel | None = None
    ):
        """``typos`` and ``latin`` switch off typo tolerance and the reading of Russian typed in Latin
        letters (the benchmark measures what each adds); ``model`` is the statistical second opinion."""
        self.lexicon = lexicon
        self.model = model
        self._raise_above = RAISE_ABOVE
        self._typos = typos
        self._latin = latin
        self._c = _compiled(lexicon)
        self.version = lexicon.version
        self.severity: dict[str, int] = {name: spec.severity for name, spec in lexicon.categories.items()}
        self._spelling = {_yo(k.lower()): _yo(v.lower()) for k, v in lexicon.spelling.items()}
        self._emoji = dict(lexicon.emoji)
        self._emoji_re = (
            re.compile("|".join(re.escape(e) for e in sorted(self._emoji, key=len, reverse=True)))
            if self._emoji
            else None
        )
        self._word_cache: dict[str, list[tuple[str, str, frozenset[str], frozenset[str]]]] = {}
        self.word_cache_limit = WORDS  # entries (bot/services/bounded.py)
        # One message is read by the door, the flood check, the crisis check and the understanding layer: the last
        # few answers are kept (a 4,000-character message costs 5 ms to read, an ordinary one 0.3 ms).
        self._recent: OrderedDict[str, CrisisHit | None] = OrderedDict()
        self._typo_read: dict[str, set[str]] = {}  # filled by _typo_lemmas, emptied by _analyse
        self._by_id = {p.id: p for p in lexicon.patterns}
        self._slots_by_lemma: dict[str, list[int]] = {}
        self._slots_by_exact: dict[str, list[int]] = {}
        self._slots_by_prefix: list[tuple[str, int]] = []
        # Phrase numbers (exceptions first, then patterns in file order) under the slot number of the first
        # word: a phrase whose first word is absent cannot match. In an `order: any` phrase every word must
        # be present too, so the first one is as good a key as any.
        self._n_exceptions = len(self._c.exceptions)
        # with `reach_within: clause` a reach stops at «а», «но», «вернулась» too, not only at «сейчас», «опять»
        self._clause_stops = LIVE_NOW | self._c.clause_breaks | self._c.scene_changes
        self._flat_phrases = [
            (pattern, phrase) for pattern, phrases in self._c.patterns for phrase in phrases
        ]
        self._phrases_by_first: dict[int, list[int]] = {}
        for k, (phrase, _reach, _clause) in enumerate(self._c.exceptions):
            self._phrases_by_first.setdefault(phrase.slots[0].sid, []).append(k)
        for k, (_pattern, phrase) in enumerate(self._flat_phrases):
            self._phrases_by_first.setdefault(phrase.slots[0].sid, []).append(self._n_exceptions + k)
        for slot in self._c.slots:
            for lemma in slot.lemmas:
                self._slots_by_lemma.setdefault(lemma, []).append(slot.sid)
            for surface in slot.exact:
                self._slots_by_exact.setdefault(surface, []).append(slot.sid)
            self._slots_by_prefix += [(prefix, slot.sid) for prefix in slot.prefixes]
        # Typo tolerance: every inflected form of a vocabulary word (5+ letters) under each of its one-letter
        # deletions. A word and a form that share a deletion are one edit apart (a missing, extra, wrong or
        # swapped letter), so lookup costs one probe per letter of the word: two flat arrays (the deletion's hash,
        # sorted; the form's number), 3 MB instead of 30 MB of dict and sets; a hash shared by chance is dropped by
        # the distance check. English words are indexed with their regular inflections («beats», «leaves»): a typo
        # is made in the word as written, not in its base form.
        en_words = [w for w in self._c.vocab if len(w) >= 3 and w.isalpha() and not _CYR.search(w)]
        shared: dict[frozenset[str], frozenset[str]] = {}
        for word in en_words:
            for form in _en_inflections(word):
                if form == word or len(form) >= EN_TYPO_MIN_LEN - 1:
                    _add_form(self._c.forms, shared, form, word)
        self._typo_forms = sorted(f for f in self._c.forms if len(f) >= TYPO_MIN_LEN)
        self._index_deletions()

    def _index_deletions(self) -> None:
        """The typo index over ``_typo_forms``, built in numpy (a list of tuples: +35 MB): 32 bits of each hash and,
        under 65,536 forms, 16 of each number (2.9 MB, not 5.8). Python's ``hash()`` of a string differs from one
        process to the next: never pickled (see ``__getstate__``), rebuilt where the detector is loaded."""
        lengths = [len(form) for form in self._typo_forms]
        hashes = np.fromiter(
            (hash(form[:i] + form[i + 1 :]) for form in self._typo_forms for i in range(len(form))),
            dtype=np.int64,
            count=sum(lengths),
        ).astype(np.int32)  # the low 32 bits, as _hash32
        count = len(self._typo_forms)
        numbers = np.repeat(np.arange(count, dtype=np.uint16 if count <= 0xFFFF else np.int32), lengths)
        order = np.argsort(hashes, kind="stable")  # ties keep the order of the forms, as the tuples' sort did
        self._delete_hashes = array(hashes.dtype.char)
        self._delete_hashes.frombytes(hashes[order].tobytes())
        self._delete_forms = array(numbers.dtype.char)
        self._delete_forms.frombytes(numbers[order].tobytes())

    # A detector built once is kept in a file (bot/services/compiled.py): what a process's hash seed or its traffic
    # shaped stays out of it.
    _NOT_KEPT = ("_delete_hashes", "_delete_forms", "_word_cache", "_recent", "_typo_read")

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in self._NOT_KEPT}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._word_cache, self._recent, self._typo_read = {}, OrderedDict(), {}
        self._index_deletions()

    @property
    def raise_above(self) -> float:
        """The second opinion's probability from which it raises a signal where the lexicon is silent (RAISE_ABOVE;
        benchmarks/crisis_cv.py compares others)."""
        return self._raise_above

    @raise_above.setter
    def raise_above(self, value: float) -> None:
        self._raise_above = value
        self._recent.clear()  # the answers kept for the last texts were given under the old threshold

    @classmethod
    def from_path(cls, path: Path | str = DEFAULT_LEXICON_PATH) -> CrisisDetector:
        """The lexicon at ``path`` with the second opinion of ``crisis_model.json`` beside it, if there is one."""
        model_path = Path(path).with_name(MODEL_FILE)
        model = CrisisModel.from_path(model_path) if model_path.exists() else None
        return cls(load_lexicon(path), model=model)

    # ------------------------------------------------------------------ tokens

    def _lemmas(self, surface: str, lang: str) -> frozenset[str]:
        """Lemmas of a token restricted to the lexicon vocabulary (all that matching needs)."""
        if lang == "en":
            result = en_lemmas(surface) & self._c.vocab
            if not result and len(surface) >= EN_TYPO_MIN_LEN:
                result = self._typo_lemmas(surface) or self._typo_lemmas(_DOUBLE.sub(r"\1", surface))
        elif lang == "num":
            result = frozenset({surface}) & self._c.vocab
        elif surface in self._c.forms:
            result = frozenset(self._c.forms[surface])
        elif len(surface) > 4 and not _ru_known(surface):
            # Not a dictionary word (slang, a typo): pymorphy3 predicts its lemma. A dictionary word that is
            # not in the inflection index cannot be a form of a vocabulary lemma, so it is skipped cheaply.
            result = ru_lemmas(surface) & self._c.vocab or self._typo_lemmas(surface)
        elif len(surface) == TYPO_MIN_LEN - 1 and self._typos and not _ru_known(surface):
            result = self._missing_letter_lemmas(surface)
        else:
            result = frozenset()
        if not result and self._typos and lang == "ru" and _DOUBLE.search(surface) and not _ru_known(surface):
            single = _DOUBLE.sub(r"\1", surface)  # «ноож»: a held key; «расселение»: a word
            if single != surface:
                result = self._lemmas(single, lang)
        return result

    def _typo_lemmas(self, surface: str) -> frozenset[str]:
        """Lemmas of the vocabulary forms one edit away from an unknown word of 5+ letters («избевает»)."""
        if len(surface) < TYPO_MIN_LEN or not self._typos:
            return frozenset()
        forms: set[str] = set(self._forms_with_deletion(surface))
        for i in range(len(surface)):
            d = surface[:i] + surface[i + 1 :]
            if d in self._c.forms:
                forms.add(d)
            forms.update(self._forms_with_deletion(d))
        lemmas: set[str] = set()
        for form in forms:
            # people rarely mistype the first letter; this halves false matches. The distance check also
            # drops the rare hash collision.
            if form[0] == surface[0] and _one_edit(surface, form):
                lemmas.update(self._c.forms[form])
                self._typo_read.setdefault(surface, set()).add(form)
        return frozenset(lemmas)

    def _missing_letter_lemmas(self, surface: str) -> frozenset[str]:
        """A 4-letter word no dictionary knows that is a 5-letter vocabulary form with one letter left out
        («ибил», «дврь»); the first letter must be right."""
        lemmas: set[str] = set()
        for form in self._forms_with_deletion(surface):
            if len(form) == TYPO_MIN_LEN and form[0] == surface[0] and _one_edit(surface, form):
                lemmas.update(self._c.forms[form])
                self._typo_read.setdefault(surface, set()).add(form)
        return frozenset(lemmas)

    def _forms_with_deletion(self, deleted: str) -> Iterator[str]:
        h = _hash32(deleted)
        k = bisect.bisect_left(self._delete_hashes, h)
        while k < len(self._delete_hashes) and self._delete_hashes[k] == h:
            yield self._typo_forms[self._delete_forms[k]]
            k += 1

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
            for word, lang, lemmas, alts in self._analyse(raw):
                if word in self._c.clause_breaks:
                    clause += 1
                tokens.append(Token(len(tokens), word, original, lang, sentence, clause, lemmas, alts))
        return tokens

    def _analyse(self, raw: str) -> list[tuple[str, str, frozenset[str], frozenset[str]]]:
        """(normalised word, language, vocabulary lemmas, forms it was read as) for each word a raw token
        stands for; cached."""
        got = self._word_cache.get(raw)
        if got is None:
            got = []
            for part in self._normalise_word(raw):
                for word in self._split_glued(part):
                    lang = "num" if word.isdigit() else ("ru" if _CYR.search(word) else "en")
                    lemmas = self._lemmas(word, lang)
                    alts = set(self._typo_read.pop(word, ()))
                    single = _DOUBLE.sub(r"\1", word)
                    if single != word:  # «выппил» read as «выпил»
                        alts.add(single)
                        alts.update(self._typo_read.pop(single, ()))
                    got.append((word, lang, lemmas, frozenset(alts)))
            remember(self._word_cache, raw, got, self.word_cache_limit)
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

    def _index(self, tokens: list[Token]) -> dict[int, list[int]]:
        """Slot number → ascending token positions where that slot matches; one pass over the tokens."""
        found: dict[int, list[int]] = {}

        def add(sid: int, pos: int) -> None:
            got = found.get(sid)
            if got is None:
                found[sid] = [pos]
            elif got[-1] != pos:
                got.append(pos)

        by_lemma, by_exact, prefixed = self._slots_by_lemma, self._slots_by_exact, self._slots_by_prefix
        for t in tokens:
            for lemma in t.lemmas:
                for sid in by_lemma.get(lemma, ()):
                    add(sid, t.pos)
            for sid in by_exact.get(t.text, ()):
                add(sid, t.pos)
            for alt in t.alts:
                for sid in by_exact.get(alt, ()):
                    add(sid, t.pos)
            if prefixed:
                for prefix, sid in prefixed:
                    if t.text.startswith(prefix):
                        add(sid, t.pos)
        return found

    @staticmethod
    def _positions(slot: Slot, index: dict[int, list[int]], cache: object = None) -> list[int]:
        """Ascending token positions where the slot matches (from the per-text index)."""
        return index.get(slot.sid, _NOWHERE)

    def _match_phrase(
        self, phrase: Phrase, tokens: list[Token], index: dict[int, list[int]], cache: dict
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
            tok, nxt = tokens[i], tokens[i + 1] if i + 1 < len(tokens) else None
            if tok.lemmas.isdisjoint(neg) and tok.text not in neg:
                continue
            if i < first and tok.clause != tokens[first].clause:
                continue
            if _negates_other_words(tokens, i, first):
                continue
            if nxt is not None and not (nxt.lemmas.isdisjoint(pseudo) and nxt.text not in pseudo):
                continue
            return True
        return False

    def _frame_negated(self, match: Match, tokens: list[Token]) -> bool:
        """A negation right before an exception's first word («не шучу»), or before a preposition there («не до
        шуток», «не в игре»). Only right before: «не хочу жить с родителями» still reads «жить с родителями»."""
        i = match.positions[0] - 1
        if i >= 0 and tokens[i].text in {"до", "в", "во", "на", "a", "in"}:
            i -= 1
        if i < 0 or tokens[i].clause != tokens[match.positions[0]].clause:
            return False
        # «не», not «нет»: «нет еды для кошки» is about the cat
        return tokens[i].text in {"не", "ни", "not", "no", "never"}

    def explain(self, text: str) -> list[tuple[str, str, str]]:
        """Every accepted match as (pattern id, phrase, matched words) — for debugging and the bench."""
        return [(m.phrase.owner, m.phrase.source, w) for m, w in self._accepted(text)]

    def _accepted(self, text: str, rejected: list[Match] | None = None) -> list[tuple[Match, str]]:
        """Accepted matches; ``rejected`` (when given) collects the matches an exception, a negation or the
        length limit cancelled."""
        if not text or not text.strip():
            return []
        text = _BOT_COMMAND.sub(
            "", text, count=1
        )  # «/help» is a command, not a cry for help; its argument is text
        out = self._accepted_in(text, rejected)
        converted = _russian_in_latin(text) if self._latin else text
        if (
            converted != text
        ):  # Russian typed in Latin letters: English patterns on the text, Russian on its reading
            seen = {m.phrase.owner for m, _ in out}
            out += [(m, w) for m, w in self._accepted_in(converted, rejected) if m.phrase.owner not in seen]
        return out

    def _accepted_in(self, text: str, rejected: list[Match] | None = None) -> list[tuple[Match, str]]:
        tokens = self.tokenize(text)
        if not tokens:
            return []
        cache: dict[Slot, list[int]] = {}
        index = self._index(tokens)
        # Only phrases whose first word occurs in the text are tried (a handful out of hundreds).
        candidates = sorted({k for sid in index for k in self._phrases_by_first.get(sid, ())})
        exceptions = [self._c.exceptions[k] for k in candidates if k < self._n_exceptions]
        phrases_to_try = [
            self._flat_phrases[k - self._n_exceptions] for k in candidates if k >= self._n_exceptions
        ]
        benign: set[int] = set()
        # around an exception, but not over a danger said to be now or again («опять бьёт»)
        reached: set[int] = set()
        for phrase, reach, in_clause in exceptions:
            for m in self._match_phrase(phrase, tokens, index, cache):
                # «я не шучу», «это не шутка», «не до шуток»: a negated benign frame is no benign frame
                if self._frame_negated(m, tokens):
                    continue
                benign.update(m.positions)
                if reach:  # the words between the match's own, and up to `reach` around it
                    benign.update(range(m.positions[0], m.positions[-1] + 1))
                    stops = self._clause_stops if in_clause else LIVE_NOW
                    reached.update(_reached(tokens, m.positions[0], -1, reach, stops))
                    reached.update(_reached(tokens, m.positions[-1], 1, reach, stops))
        sentence_words: dict[int, int] = {}
        for t in tokens:
            if t.lang != "num":
                sentence_words[t.sentence] = sentence_words.get(t.sentence, 0) + 1
        out: list[tuple[Match, str]] = []
        for pattern, phrase in phrases_to_try:
            for m in self._match_phrase(phrase, tokens, index, cache):
                live = m.positions[0] > 0 and tokens[m.positions[0] - 1].text in LIVE_NOW
                if benign.intersection(m.positions) or (not live and reached.intersection(m.positions)):
                    if rejected is not None:
                        rejected.append(m)
                    continue
                # «бьёт.» alone, or as a sentence of its own inside a longer message
                if pattern.same_clause and tokens[m.positions[0]].clause != tokens[m.positions[-1]].clause:
                    continue
                if pattern.max_words is not None:
                    if pattern.short_scope == "message":
                        count = sum(sentence_words.values())
                    else:
                        count = sentence_words[tokens[m.positions[0]].sentence]
                    if count > pattern.max_words:
                        continue
                if pattern.negatable and self._negated(m, tokens):
                    if rejected is not None:
                        rejected.append(m)
                    continue
                out.append((m, " ".join(tokens[p].original for p in m.positions)))
                break  # one match per phrase is enough
        return out

    def detect(self, text: str) -> CrisisHit | None:
        """The danger signal in ``text``, or None. Safe on empty, emoji-only and very long texts."""
        recent = self._recent
        if text in recent:
            recent.move_to_end(text)
            return recent[text]
        hit = self._detect(text)
        recent[text] = hit
        if len(recent) > RECENT_TEXTS:
            recent.popitem(last=False)
        return hit

    def _detect(self, text: str) -> CrisisHit | None:
        rejected: list[Match] = []
        accepted = self._accepted(text, rejected)
        if not accepted:
            # Where the lexicon found danger words and ruled them out (a negation, a benign use), it has an
            # opinion; the model, which reads a bag of words, does not overrule it.
            return None if rejected else self._raised(text)
        by_id = self._by_id
        cat_sev: dict[str, int] = {}
        pattern_ids: list[str] = []
        matched: list[str] = []
        level: Literal["clear", "possible"] = "possible"
        for m, words in accepted:
            pattern = by_id[m.phrase.owner]
            if pattern.level == "clear":
                level = "clear"
            sev = pattern.severity or self.severity[pattern.category]
            cat_sev[pattern.category] = max(cat_sev.get(pattern.category, 0), sev)
            if pattern.id not in pattern_ids:
                pattern_ids.append(pattern.id)
            if words not in matched:
                matched.append(words)
        order = {c: i for i, c in enumerate(CRISIS_CATEGORIES)}
        categories = sorted(cat_sev, key=lambda c: (-cat_sev[c], order.get(c, len(order)), c))
        opinion = None
        if level == "clear" and len(pattern_ids) == 1 and self.model is not None:
            # One pattern alone is where the lexicon's false alarms are (cross-validated on the tune part);
            # the model never silences a signal, it only softens it to the safety check.
            opinion = self.model.probability(text)
            if opinion < DOWNGRADE_BELOW:
                level = "possible"
        return CrisisHit(categories, pattern_ids, matched, max(cat_sev.values()), level, opinion)

    def _raised(self, text: str) -> CrisisHit | None:
        """A "possible" signal (the safety check) for a message in which the lexicon found nothing but the second
        opinion reads as danger (probability at least ``raise_above``: RAISE_ABOVE, chosen on unseen wordings by
        benchmarks/crisis_cv.py)."""
        if self.model is None or len(_WORDS.findall(text)) < RAISE_MIN_WORDS:
            return None
        opinion = self.model.opinion(text)
        # no content word weighing towards danger («он меня не трогает» leans on «он» and «я»): nothing to show
        if opinion.probability < self._raise_above or not opinion.evidence:
            return None
        category = self.model.category(opinion.evidence) or "suicide"
        severity, p = self.severity.get(category, 1), opinion.probability
        return CrisisHit([category], ["model"], opinion.evidence[:3], severity, "possible", p)


_WORDS = re.compile(r"\w+")


# the modules a detector is built by: a change to one of them builds a kept detector anew (bot/services/compiled.py)
_BUILT_BY = tuple(
    Path(__file__).with_name(f"{name}.py")
    for name in (
        "crisis",
        "crisis_compile",
        "crisis_lexicon",
        "crisis_model",
        "crisis_text",
        "bounded",
        "morph",
        "yamlsafe",
    )
)


@functools.lru_cache(maxsize=4)
def _detector_for(
    path: str, mtime: float, model_mtime: float, cache_dir: Path | None = None
) -> CrisisDetector:
    inputs = (Path(path), Path(path).with_name(MODEL_FILE), *_BUILT_BY)
    # one kept detector per lexicon file: a second data directory does not replace the first one's
    name = f"crisis-detector-{compiled.short_digest(str(Path(path).resolve()))}"
    return compiled.cached(name, inputs, lambda: CrisisDetector.from_path(path), cache_dir, CrisisDetector)


def load_detector(data_dir: Path | str | None = None, cache_dir: Path | None = None) -> CrisisDetector:
    """The detector for ``data_dir/crisis_lexicon.yaml`` (default: the repository's data/) with the second
    opinion of ``crisis_model.json`` beside it when that file exists; cached per file in the process and, with
    ``cache_dir``, kept there for the next start."""
    path = Path(data_dir) / LEXICON_FILE if data_dir is not None else DEFAULT_LEXICON_PATH
    model_path = path.with_name(MODEL_FILE)
    model_mtime = model_path.stat().st_mtime if model_path.exists() else 0.0
    return _detector_for(str(path), path.stat().st_mtime, model_mtime, cache_dir)


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
    problems = _compiled(lexicon).problems()
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
    model_path = path.with_name(MODEL_FILE)
    if model_path.exists():
        try:
            CrisisModel.from_path(model_path)
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            return [
                f"{MODEL_FILE}: not a model file ({exc}); rebuild it: python -m bot.services.crisis_model"
            ]
    return []


# Words that say «now», «today» or «again»: an exception's reach (a past, a frame) stops at them, so «в детстве меня
# били, мне сейчас 30 и муж меня душит», «раньше пил, сейчас опять бьёт» or «после пожара прошлой зимой жили у
# родственников, сегодня и оттуда выгнали» keep their live half. The exception's own
# words may include one («мне сейчас 30»): only the words beyond the match are reached.
LIVE_NOW = frozenset({"сейчас", "щас", "счас", "щаз", "сегодня", "опять", "снова", "now", "today", "again"})


def _reached(tokens: list[Token], start: int, step: int, reach: int, stops: frozenset[str]) -> list[int]:
    """The positions an exception's reach covers from ``start`` in one direction: up to ``reach`` words of the same
    sentence, not past a word of ``stops``."""
    out: list[int] = []
    sentence, i = tokens[start].sentence, start + step
    while 0 <= i < len(tokens) and len(out) < reach and tokens[i].sentence == sentence:
        if tokens[i].text in stops:
            break
        out.append(i)
        i += step
    return out
