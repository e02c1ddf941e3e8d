"""Search over measure titles, keywords (synonyms), short texts and descriptions.

Russian words are reduced to lemmas with pymorphy3 («полутора» → «полтора», «единое» → «единый»); typos are
tolerated by fuzzy matching of lemmas (difflib, ratio ≥ 0.8: «пасобие» → «пособие»). English uses a light stemmer.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache

from bot.services.bounded import WORDS
from bot.services.measures.loader import Catalogue, default_catalogue
from bot.services.measures.models import Measure
from bot.services.morph import analyzer

_TOKEN = re.compile(r"[0-9]+(?:[.,][0-9]+)?|[a-zа-яё]+", re.IGNORECASE)
_CYR = re.compile(r"[а-яё]", re.IGNORECASE)

STOP = {
    "ru": set(
        "и в во на до за с со по для о об от к у из а но как что это мне я мы нам ли же не при ко или какой какие "
        "есть если где когда положен положено нужно можно".split()
    ),
    "en": set(
        "the a an of for to in on and or my i is are with under until up what how can do does get".split()
    ),
}

FIELD_WEIGHTS = {"title": 3.0, "keywords": 3.0, "short": 1.5, "who": 1.0, "description": 1.0}
FUZZY_CUTOFF = 0.8
QUERY_WORDS = 24  # a search reads its first 24 distinct words (a question is far shorter)


@lru_cache(maxsize=WORDS)
def _lemma_ru(word: str) -> str:
    if word[0].isdigit():
        return word
    return analyzer().parse(word)[0].normal_form.replace("ё", "е")


def _stem_en(word: str) -> str:
    if word[0].isdigit():
        return word
    for suf, rep in (("ies", "y"), ("ses", "s"), ("'s", "")):
        if word.endswith(suf) and len(word) > 4:
            return word[: -len(suf)] + rep
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def lemmas(text: str, lang: str) -> list[str]:
    """Normalised tokens of a text without stop words."""
    out = []
    for raw in _TOKEN.findall(text.lower().replace("ё", "е")):
        tok = raw.replace(",", ".")
        lem = _lemma_ru(tok) if lang == "ru" else _stem_en(tok)
        if lem not in STOP[lang] and tok not in STOP[lang]:
            out.append(lem)
    return out


@dataclass
class _Index:
    lang: str
    weights: dict[str, dict[str, float]]  # measure id → lemma → best field weight
    phrases: dict[str, list[str]]  # measure id → normalised title and keyword phrases
    title: dict[str, set[str]]  # measure id → title lemmas
    vocab: list[str]
    vocab_set: frozenset[str]


def _build(cat: Catalogue, lang: str) -> _Index:
    weights: dict[str, dict[str, float]] = {}
    phrases: dict[str, list[str]] = {}
    vocab: set[str] = set()
    title: dict[str, set[str]] = {}
    for m in cat.measures.values():
        title[m.id] = set(lemmas(m.title.get(lang), lang))
        w: dict[str, float] = {}
        fields = {
            "title": [m.title.get(lang)],
            "keywords": m.keywords.get(lang, []),  # type: ignore[call-overload]
            "short": [m.short.get(lang)],
            "who": [m.who.get(lang)],
            "description": [m.description.get(lang)],
        }
        for name, texts in fields.items():
            for t in texts:
                for lem in lemmas(t, lang):
                    w[lem] = max(w.get(lem, 0.0), FIELD_WEIGHTS[name])
        weights[m.id] = w
        phrases[m.id] = [" ".join(lemmas(t, lang)) for t in [m.title.get(lang), *m.keywords.get(lang, [])]]  # type: ignore[call-overload]
        vocab.update(w)
    return _Index(lang, weights, phrases, title, sorted(vocab), frozenset(vocab))


def _index(cat: Catalogue, lang: str) -> _Index:
    cache = cat._search_index
    if cache is None:
        cache = cat._search_index = {}
    if lang not in cache:
        cache[lang] = _build(cat, lang)
    return cache[lang]


def _matches(idx: _Index, lem: str) -> dict[str, float]:
    """Vocabulary lemmas similar to a query lemma, with similarity 0..1."""
    out = {lem: 1.0} if lem in idx.vocab_set else {}
    if len(lem) >= 4:
        for v in idx.vocab:
            if v != lem and len(v) >= 4 and (v.startswith(lem) or lem.startswith(v)):
                out[v] = max(out.get(v, 0.0), 0.85)
        for v in difflib.get_close_matches(lem, idx.vocab, n=5, cutoff=FUZZY_CUTOFF):
            if v != lem:
                out[v] = max(out.get(v, 0.0), difflib.SequenceMatcher(None, lem, v).ratio() * 0.95)
    return out


def query_lemmas(query: str, lang: str) -> list[str]:
    """The query's lemmas, each once, and no more than its first QUERY_WORDS: a 4,000-character message typed where
    a search was expected took 0.4 s of the event loop, and every other family waited behind it."""
    return list(dict.fromkeys(lemmas(query, lang)))[:QUERY_WORDS]


def search_scored(
    query: str, lang: str = "ru", catalogue: Catalogue | None = None
) -> list[tuple[Measure, float]]:
    """Measures matching the query with their scores, best first."""
    cat = catalogue or default_catalogue()
    qlang = "ru" if _CYR.search(query) else "en" if re.search(r"[a-z]", query, re.I) else lang
    idx = _index(cat, qlang)
    q = query_lemmas(query, qlang)
    if not q:
        return []
    expansions = [_matches(idx, lem) for lem in q]
    phrase = " ".join(q)
    scored: list[tuple[Measure, float]] = []
    for mid, w in idx.weights.items():
        total = 0.0
        matched = 0
        hit: set[str] = set()
        for exp in expansions:
            cands = [(sim * w[v], v) for v, sim in exp.items() if v in w]
            best, v = max(cands, default=(0.0, ""))
            if best > 0:
                matched += 1
                hit.add(v)
            total += best
        if matched == 0:
            continue
        coverage = matched / len(q)
        score = total / len(q) * (0.4 + 0.6 * coverage)
        if phrase in idx.phrases[mid]:
            score += 3.0  # the query is the title or a keyword
        elif len(q) > 1 and any(phrase in p for p in idx.phrases[mid]):
            score += 2.0
        if idx.title[mid]:
            score += len(hit & idx.title[mid]) / len(idx.title[mid])
        scored.append((cat.measures[mid], score))
    scored.sort(key=lambda x: (-x[1], x[0].id))
    if not scored:
        return []
    top = scored[0][1]
    return [(m, s) for m, s in scored if s >= max(0.5, top * 0.35)]


def search(query: str, lang: str = "ru", catalogue: Catalogue | None = None) -> list[Measure]:
    """Measures matching the query, best first («маткапитал», «единое пасобие», «family mortgage»…).

    The query's script decides the language of the texts searched (Cyrillic → Russian); `lang` is the fallback."""
    return [m for m, _ in search_scored(query, lang, catalogue)]
