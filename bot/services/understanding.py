"""What a family's message is about: text → ranked intents, each with a confidence and the words that matched.

Sources of intents:
  * danger — delegated to the crisis detector (`catalog.detector`), always ranked first when it fires;
  * support measures — every measure's title and keywords (data/measures, data/regions/*/measures), and the life
    situations' titles (data/life_situations.yaml);
  * everything else — data/intents.yaml: contacts, the family card, a person by specialty, the family's requests,
    settings, greetings, thanks, «ок»… with example phrasings in Russian and English, edited by content editors.

How a message is compared with an example (a bag of words, soft cosine in spirit):
  * words are reduced to lemmas (pymorphy3 for Russian, a light stemmer for English), filler words dropped;
  * a misspelt word (one the embeddings do not know) is corrected to the nearest known lemma (difflib, ≥ 0.8);
  * a word that is not in any example may still match one by meaning: navec word vectors (bot/services/embeddings.py),
    cosine ≥ SEM_MIN, counted at a discount;
  * each word weighs by its rarity across intents (idf); recall = how much of the example the message covers,
    precision = how much of the message the example explains; confidence = their F-measure (precision first for
    small talk, so «здравствуйте, сколько маткапитал» is a question about маткапитал, not a greeting).

No aiogram here: handlers ask `Understander.understand(text, lang, region)` and route on the result.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, cast, get_args

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.services import yamlsafe
from bot.services.bounded import WORDS
from bot.services.measures.loader import Catalogue
from bot.services.measures.search import STOP, _lemma_ru, _stem_en

INTENTS_FILE = "intents.yaml"
Lang = Literal["ru", "en"]
LANGS: tuple[str, ...] = ("ru", "en")

SMALL_TALK = frozenset({"greeting", "thanks", "ack", "bye", "about_bot"})
Action = Literal[
    "about_bot",
    "ack",
    "bye",
    "greeting",
    "thanks",
    "measures",
    "measure",
    "situation",
    "contacts",
    "card",
    "specialist",
    "suggest",
    "requests",
    "settings",
]
ACTIONS: tuple[str, ...] = get_args(Action)
assert SMALL_TALK <= set(ACTIONS)
Specialty = Literal["lawyer", "psychologist", "social_consultant", "crisis"]
SPECIALTIES: tuple[str, ...] = get_args(Specialty)

CONFIDENT = 0.55  # the best intent is acted on at or above this…
CONFIDENT_REQUEST = 0.75  # …and a request to a person (action `specialist`) only at or above this
MARGIN = 0.06  # …when no other intent is this close to it
GUESS = 0.25  # below this an intent is not even offered as a guess
SEM_MIN = 0.5  # word vectors closer than this do not count as the same meaning
SEM_WEIGHT = 0.8  # a match by meaning counts this much of an exact one
TYPO_MIN = 0.8  # difflib ratio for a typo correction
TYPO_WEIGHT = 0.92
RECALL_WEIGHT = 2.25  # β² of the F-measure: covering the example matters more than explaining every word
TOP_EXAMPLES = 16  # examples whose precision is computed (ranked by recall first)

_TOKEN = re.compile(r"[a-zа-яё]+", re.IGNORECASE)  # numbers say little about what a message is about
_CYR = re.compile(r"[а-яё]", re.IGNORECASE)
_LAT = re.compile(r"[a-z]", re.IGNORECASE)
_ACK_SIGNS = frozenset("👍👌🙏❤️✅🙂😊👋🤝💐")


# --------------------------------------------------------------------------- the data file


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Model):
    ru: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.ru


class IntentDef(_Model):
    id: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    action: Action
    title: Text
    examples: dict[Lang, list[str]]
    measure: str | None = None
    situation: str | None = None
    org_kind: str | None = None
    specialty: Specialty | None = None

    @model_validator(mode="after")
    def _params(self) -> IntentDef:
        for lang in LANGS:
            if not [e for e in self.examples.get(cast(Lang, lang), []) if e.strip()]:
                raise ValueError(f"needs at least one {lang} example")
        needs = {
            "measure": "measure",
            "situation": "situation",
            "specialist": "specialty",
            "suggest": "specialty",
        }
        for param in ("measure", "situation", "specialty", "org_kind"):
            wanted = needs.get(self.action) == param or (param == "org_kind" and self.action == "contacts")
            value = getattr(self, param)
            if needs.get(self.action) == param and value is None:
                raise ValueError(f"action {self.action} needs `{param}`")
            if value is not None and not wanted:
                raise ValueError(f"`{param}` means nothing for action {self.action}")
        return self


class IntentsFile(_Model):
    version: Literal[1]
    filler: dict[Lang, list[str]] = Field(default_factory=dict)
    intents: list[IntentDef] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> IntentsFile:
        ids = [i.id for i in self.intents]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"intent ids repeat: {', '.join(dupes)}")
        seen: dict[tuple[str, str], str] = {}
        for intent in self.intents:
            for lang, examples in intent.examples.items():
                for example in examples:
                    key = (lang, " ".join(example.lower().replace("ё", "е").split()))
                    if key in seen and seen[key] != intent.id:
                        raise ValueError(f"example {example!r} stands under both {seen[key]} and {intent.id}")
                    seen[key] = intent.id
        return self


class IntentsError(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def load_intents(data_dir: Path) -> IntentsFile:
    path = Path(data_dir) / INTENTS_FILE
    try:
        raw = yamlsafe.load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise IntentsError([f"{path.name}: cannot be read: {exc}"]) from None
    try:
        return IntentsFile.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"])
            if err["loc"][:1] == ("intents",) and len(err["loc"]) > 1 and isinstance(raw, dict):
                try:
                    where = f"intent {raw['intents'][err['loc'][1]].get('id', err['loc'][1])}" + (
                        "." + ".".join(str(p) for p in err["loc"][2:]) if len(err["loc"]) > 2 else ""
                    )
                except (KeyError, IndexError, TypeError, AttributeError):
                    pass
            problems.append(f"{path.name}: {where}: {err['msg']}")
        raise IntentsError(problems) from None


def validate(
    data_dir: Path, *, measures: Catalogue | None = None, org_kinds: set[str] | None = None
) -> list[str]:
    """Problems with data/intents.yaml and its references to measures, life situations and kinds of help."""
    try:
        spec = load_intents(data_dir)
    except IntentsError as exc:
        return exc.problems
    problems: list[str] = []
    for intent in spec.intents:
        if measures is not None and intent.measure is not None and intent.measure not in measures.measures:
            problems.append(f"{INTENTS_FILE}: intent {intent.id}: unknown measure {intent.measure}")
        if (
            measures is not None
            and intent.situation is not None
            and intent.situation not in measures.life_situations
        ):
            problems.append(f"{INTENTS_FILE}: intent {intent.id}: unknown life situation {intent.situation}")
        if org_kinds is not None and intent.org_kind is not None and intent.org_kind not in org_kinds:
            problems.append(f"{INTENTS_FILE}: intent {intent.id}: unknown kind of help {intent.org_kind}")
    return problems


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Guess:
    """One reading of a message. `key` is the intent id, `measure:<id>`, `situation:<id>`, `danger` or `unclear`."""

    key: str
    action: str
    confidence: float
    evidence: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    title: Text | None = None

    @property
    def theme(self) -> str:
        """A key with no personal data, for counting unanswered questions by theme."""
        return self.key


@dataclass(frozen=True)
class Reading:
    text_lang: str
    guesses: tuple[Guess, ...]  # best first; danger (if any) first of all

    @property
    def best(self) -> Guess | None:
        return self.guesses[0] if self.guesses else None

    @property
    def decided(self) -> Guess | None:
        """The intent to act on, or None when the bot should ask (unclear)."""
        if not self.guesses:
            return None
        best = self.guesses[0]
        if best.action == "danger":
            return best
        if best.confidence < (CONFIDENT_REQUEST if best.action == "specialist" else CONFIDENT):
            return None
        for other in self.guesses[1:]:
            if other.confidence < best.confidence - MARGIN:
                break
            if not _same_answer(best, other) and not _more_specific(best, other):
                return None
        return best

    def apart_from_danger(self) -> Reading:
        """The other readings: for routing after the crisis middleware has already answered the danger signal."""
        return Reading(self.text_lang, tuple(g for g in self.guesses if g.action != "danger"))

    def options(self, n: int = 3) -> list[Guess]:
        """Up to `n` best guesses worth offering as buttons (small talk is never offered)."""
        out: list[Guess] = []
        for g in self.guesses:
            if g.action in SMALL_TALK or g.action == "danger" or g.confidence < GUESS:
                continue
            if any(_same_answer(g, o) for o in out):
                continue
            out.append(g)
            if len(out) == n:
                break
        return out

    @property
    def key(self) -> str:
        """The decided intent's key, or `unclear` (what the labelled sets are scored on)."""
        decided = self.decided
        return decided.key if decided is not None else "unclear"


def _more_specific(a: Guess, b: Guess) -> bool:
    """`a` answers what `b` answers, more precisely: then a near `b` does not make the bot ask."""
    if a.action == "specialist" and b.action == "suggest":
        return True  # asked for a person outright: the person, whatever the topic
    if a.action in ("measure", "situation") and b.action == "measures":
        return True  # one measure's card rather than the whole section
    if a.action == "contacts" and b.action == "contacts":
        return bool(a.params.get("org_kind")) and not b.params.get("org_kind")
    if a.action == "specialist" and b.action == "specialist":
        return b.params.get("specialty") == "social_consultant" != a.params.get("specialty")
    return False


# Among readings that score the same, the one whose reply fits better comes first («ясно, спасибо» → thanks).
TIE_ORDER = {"thanks": 0, "greeting": 1, "bye": 2, "about_bot": 3, "ack": 4}


def _same_answer(a: Guess, b: Guess) -> bool:
    """Two readings that lead to the same screen (e.g. ack and thanks both get a short reply and the menu)."""
    if a.key == b.key:
        return True
    return a.action in SMALL_TALK and b.action in SMALL_TALK


# --------------------------------------------------------------------------- the model


@dataclass
class _Doc:
    key: str
    action: str
    params: dict[str, Any]
    title: Text | None


@dataclass
class _LangIndex:
    vocab: list[str]
    pos: dict[str, int]
    idf: np.ndarray  # per vocabulary term
    weights: np.ndarray  # examples × vocabulary, idf where the example has the term
    totals: np.ndarray  # per example: sum of its idf
    terms: list[np.ndarray]  # per example: its vocabulary indices
    doc_of: list[int]  # per example: its doc
    vectors: np.ndarray | None  # vocabulary × dim, unit rows (zero where unknown)
    default_idf: float


class Understander:
    """Built once from the data (a few ms per intent); `understand` is then pure and fast."""

    def __init__(
        self,
        spec: IntentsFile,
        measures: Catalogue | None = None,
        *,
        detector: Any = None,
        embeddings: Any = None,
    ) -> None:
        self.spec = spec
        self.detector = detector
        self.embeddings = embeddings
        self.filler = {
            lang: {w.replace("ё", "е") for w in spec.filler.get(cast(Lang, lang), [])} for lang in LANGS
        }
        self.docs: list[_Doc] = []
        self._doc_pos: dict[str, int] = {}
        self._regional: dict[str, str] = {}  # measure doc key → its region
        examples: dict[str, list[tuple[int, str]]] = {lang: [] for lang in LANGS}
        if measures is not None:
            for m in measures.measures.values():
                d = self._doc(
                    f"measure:{m.id}", "measure", {"measure": m.id}, Text(ru=m.title.ru, en=m.title.en)
                )
                if m.level == "regional" and m.region:
                    self._regional[f"measure:{m.id}"] = m.region
                for lang in LANGS:
                    texts = [m.title.get(lang), *m.keywords.get(cast(Lang, lang), [])]
                    examples[lang] += [(d, t) for t in texts]
            for s in measures.life_situations.values():
                title = Text(ru=s.title.ru, en=s.title.en)
                d = self._doc(f"situation:{s.id}", "situation", {"situation": s.id}, title)
                for lang in LANGS:
                    examples[lang].append((d, s.title.get(lang)))
        for intent in spec.intents:
            if intent.action == "measure":
                key, params = f"measure:{intent.measure}", {"measure": intent.measure}
            elif intent.action == "situation":
                key, params = f"situation:{intent.situation}", {"situation": intent.situation}
            else:
                key = intent.id
                params = {k: v for k in ("org_kind", "specialty") if (v := getattr(intent, k)) is not None}
            if key.startswith(("measure:", "situation:")) and (
                measures is None
                or (intent.measure is not None and intent.measure not in measures.measures)
                or (intent.situation is not None and intent.situation not in measures.life_situations)
            ):
                continue  # a reference `python -m bot check` reports; never offer a screen that does not exist
            d = self._doc(key, intent.action, params, intent.title)
            if self.docs[d].title is None or intent.action not in ("measure", "situation"):
                self.docs[d].title = intent.title
            for lang in LANGS:
                examples[lang] += [(d, t) for t in intent.examples.get(cast(Lang, lang), [])]
        self.index = {lang: self._build(lang, examples[lang]) for lang in LANGS}

    def _doc(self, key: str, action: str, params: dict[str, Any], title: Text | None) -> int:
        if key not in self._doc_pos:
            self._doc_pos[key] = len(self.docs)
            self.docs.append(_Doc(key, action, params, title))
        return self._doc_pos[key]

    # --- normalisation -------------------------------------------------------------------------------

    def lemmas(self, text: str, lang: str) -> list[tuple[str, str]]:
        """(word as written, lemma) for the words that carry meaning."""
        out = []
        for raw in _TOKEN.findall(text.lower().replace("ё", "е")):
            if raw in self.filler[lang] or raw in STOP[lang]:
                continue
            lem = _lemma_ru(raw) if lang == "ru" else _stem_en(raw)
            if lem in self.filler[lang] or lem in STOP[lang]:
                continue
            out.append((raw, lem))
        return out

    def _build(self, lang: str, examples: list[tuple[int, str]]) -> _LangIndex:
        bags: list[tuple[int, list[str]]] = []
        for d, text in examples:
            lems = list(dict.fromkeys(lem for _w, lem in self.lemmas(text, lang)))
            if lems:
                bags.append((d, lems))
        vocab = sorted({lem for _d, lems in bags for lem in lems})
        pos = {v: i for i, v in enumerate(vocab)}
        df = np.zeros(len(vocab))
        for v in {(d, lem) for d, lems in bags for lem in lems}:
            df[pos[v[1]]] += 1
        idf = np.log(1.0 + len(self.docs) / np.maximum(df, 1.0)).astype(np.float32)
        weights = np.zeros((len(bags), len(vocab)), dtype=np.float32)
        terms = []
        for row, (_d, lems) in enumerate(bags):
            idx = np.array([pos[lem] for lem in lems], dtype=np.int32)
            weights[row, idx] = idf[idx]
            terms.append(idx)
        vectors = None
        if self.embeddings is not None and lang == "ru":
            vectors = np.zeros((len(vocab), self.embeddings.dim), dtype=np.float32)
            for i, word in enumerate(vocab):
                vec = self.embeddings.vector(word)
                if vec is not None:
                    norm = float(np.linalg.norm(vec))
                    if norm:
                        vectors[i] = vec / norm
        return _LangIndex(
            vocab=vocab,
            pos=pos,
            idf=idf,
            weights=weights,
            totals=weights.sum(axis=1),
            terms=terms,
            doc_of=[d for d, _l in bags],
            vectors=vectors,
            default_idf=float(np.median(idf)) if len(idf) else 1.0,
        )

    def _typo(self, lang: str, word: str, lemma: str) -> tuple[str, float]:
        """A misspelt word → the nearest lemma the examples know (only words the embeddings do not know)."""
        idx = self.index[lang]
        if lemma in idx.pos or len(lemma) < 4 or word[0].isdigit():
            return lemma, 1.0
        if self.embeddings is not None and lang == "ru" and self.embeddings.row(word) is not None:
            return lemma, 1.0  # a real word, just not one of ours: meaning may still match below
        return _closest(lang, lemma, tuple(idx.vocab), id(idx))

    # --- reading ---------------------------------------------------------------------------------------

    def understand(self, text: str, lang: str = "ru", region: str | None = None) -> Reading:
        text = (text or "")[:2000]
        text_lang = (
            "ru" if _CYR.search(text) else "en" if _LAT.search(text) else (lang if lang in LANGS else "ru")
        )
        guesses: list[Guess] = []
        danger = self._danger(text)
        if danger is not None:
            guesses.append(danger)
        words = self.lemmas(text, text_lang)
        if not words:
            if any(ch in _ACK_SIGNS for ch in text):
                guesses.append(self._guess_of("ack", 0.9, ("👍",)))
            return Reading(text_lang, tuple(g for g in guesses if g is not None))
        scored = self._score(text_lang, words)
        ranked: list[Guess] = []
        substantive = any(
            self.docs[d].action not in SMALL_TALK and conf >= CONFIDENT for d, (conf, _ev) in scored.items()
        )
        for d, (conf, evidence) in scored.items():
            doc = self.docs[d]
            if doc.key in self._regional and self._regional[doc.key] != region:
                continue  # another region's measure
            if doc.action in SMALL_TALK and substantive:
                conf *= 0.5  # «здравствуйте, сколько маткапитал» is a question, not a greeting
            if conf < GUESS / 2:
                continue
            ranked.append(Guess(doc.key, doc.action, round(conf, 3), evidence, dict(doc.params), doc.title))
        ranked.sort(key=lambda g: (-g.confidence, TIE_ORDER.get(g.action, 0), g.key))
        for i, other in enumerate(ranked[1:], 1):  # a more precise reading just as likely goes first
            if other.confidence < ranked[0].confidence - MARGIN:
                break
            if _more_specific(other, ranked[0]):
                ranked.insert(0, ranked.pop(i))
                break
        return Reading(text_lang, (*guesses, *ranked))

    def guess(self, key: str) -> Guess | None:
        """The intent `key` as a certain guess (a button the family pressed), or None when it no longer exists."""
        return self._guess_of(key, 1.0, ())

    def specialist_key(self, specialty: str) -> str:
        """The intent that asks for `specialty` (what a request opened by a button is recorded as)."""
        for doc in self.docs:
            if doc.action == "specialist" and doc.params.get("specialty") == specialty:
                return doc.key
        return specialty

    def title(self, key: str, lang: str) -> str:
        """A human name of an intent key (for the staff's case card); the key itself when unknown."""
        d = self._doc_pos.get(key)
        title = self.docs[d].title if d is not None else None
        return title.get(lang) if title is not None else key

    def _guess_of(self, key: str, conf: float, evidence: tuple[str, ...]) -> Guess | None:
        d = self._doc_pos.get(key)
        if d is None:
            return None
        doc = self.docs[d]
        return Guess(doc.key, doc.action, conf, evidence, dict(doc.params), doc.title)

    def _danger(self, text: str) -> Guess | None:
        if self.detector is None or not text.strip():
            return None
        hit = self.detector.detect(text)
        if hit is None:
            return None
        level = getattr(hit, "level", "clear")
        evidence = getattr(hit, "evidence", None) or getattr(hit, "matched", None) or ()
        params = {"categories": list(hit.categories), "level": level}
        return Guess(
            "danger", "danger", 1.0 if level == "clear" else 0.7, tuple(str(e) for e in evidence), params
        )

    def _score(self, lang: str, words: list[tuple[str, str]]) -> dict[int, tuple[float, tuple[str, ...]]]:
        idx = self.index[lang]
        if not idx.vocab:
            return {}
        n = len(words)
        sims = np.zeros((n, len(idx.vocab)), dtype=np.float32)
        shown: list[str] = []
        weights = np.empty(n, dtype=np.float32)
        unresolved = []
        for i, (word, lemma) in enumerate(words):
            fixed, quality = self._typo(lang, word, lemma)
            j = idx.pos.get(fixed)
            if j is not None:
                sims[i, j] = quality
                weights[i] = idx.idf[j]
                shown.append(word if fixed == lemma else f"{word}→{fixed}")
            else:
                weights[i] = idx.default_idf
                shown.append(word)
                unresolved.append((i, word, lemma))
        exact = sims.copy()  # small talk is matched by its own words only, never by meaning
        if unresolved and idx.vectors is not None:
            for i, word, lemma in unresolved:
                vec = self.embeddings.vector(lemma)
                if vec is None:
                    vec = self.embeddings.vector(word)
                if vec is None:
                    continue
                norm = float(np.linalg.norm(vec))
                if not norm:
                    continue
                cos = idx.vectors @ (vec / norm)
                best = int(np.argmax(cos))
                if cos[best] >= SEM_MIN:
                    row = np.where(cos >= SEM_MIN, cos * SEM_WEIGHT, 0.0)
                    sims[i] = np.maximum(sims[i], row)
                    weights[i] = idx.idf[best]
                    shown[i] = f"{word}≈{idx.vocab[best]}"
        best_per_term = sims.max(axis=0)
        recall = (idx.weights @ best_per_term) / np.maximum(idx.totals, 1e-6)
        recall_exact = (idx.weights @ exact.max(axis=0)) / np.maximum(idx.totals, 1e-6)
        top = np.argsort(-recall)[:TOP_EXAMPLES]
        rows = []
        small_talk_words = np.zeros(n, dtype=bool)
        for ex in top:
            r = float(recall[ex])
            if r <= 0:
                break
            d = idx.doc_of[ex]
            if self.docs[d].action in SMALL_TALK:
                r = float(recall_exact[ex])
                if r <= 0:
                    continue
                per_word = exact[:, idx.terms[ex]].max(axis=1)
            else:
                per_word = sims[:, idx.terms[ex]].max(axis=1)
            rows.append((ex, d, r, per_word))
            if self.docs[d].action in SMALL_TALK and r >= 0.99:
                small_talk_words |= per_word > 0  # «здравствуйте», «спасибо»: neutral for the other intents
        if small_talk_words.any() and not small_talk_words.all():
            rest = sims[~small_talk_words].max(axis=0)
            recall_rest = (idx.weights @ rest) / np.maximum(idx.totals, 1e-6)
        else:
            recall_rest = recall
        out: dict[int, tuple[float, tuple[str, ...]]] = {}
        for ex, d, r, per_word in rows:
            small = self.docs[d].action in SMALL_TALK
            if not small:
                r = float(recall_rest[ex])
                per_word = np.where(small_talk_words, 0.0, per_word)
                if r <= 0:
                    continue
            # words another small-talk phrase explains («хорошо, спасибо») count for neither side
            counted = weights * (~small_talk_words | (per_word > 0))
            p = float((per_word * counted).sum()) / (float(counted.sum()) or 1.0)
            if small:
                conf = p**0.5 * r  # small talk: its whole phrase, and not much else
            else:
                conf = (1 + RECALL_WEIGHT) * p * r / (RECALL_WEIGHT * p + r) if p + r else 0.0
            if d not in out or conf > out[d][0]:
                evidence = tuple(shown[i] for i in range(n) if per_word[i] > 0)
                out[d] = (conf, evidence)
        return out


@lru_cache(maxsize=WORDS)
def _closest(lang: str, lemma: str, vocab: tuple[str, ...], _index_id: int) -> tuple[str, float]:
    found = difflib.get_close_matches(lemma, vocab, n=1, cutoff=TYPO_MIN)
    if not found:
        return lemma, 1.0
    return found[0], TYPO_WEIGHT


def load_understander(
    data_dir: Path, measures: Catalogue, detector: Any = None, embeddings: Any = None
) -> Understander:
    return Understander(load_intents(data_dir), measures, detector=detector, embeddings=embeddings)
