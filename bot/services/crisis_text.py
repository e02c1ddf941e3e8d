"""Text normalisation for the crisis detector: lemmas (ru, en), Latin transliteration and keyboard layout,
typo tolerance, tokens. Split from :mod:`bot.services.crisis` so that each stays readable."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from bot.services.bounded import WORDS
from bot.services.morph import analyzer

# --------------------------------------------------------------------------- text normalisation


def _yo(s: str) -> str:
    return s.replace("ё", "е")


def _hash32(text: str) -> int:
    """The low 32 bits of Python's ``hash()``, signed (as numpy's cast to int32 keeps them): the typo index's key."""
    return ((hash(text) & 0xFFFFFFFF) ^ 0x80000000) - 0x80000000


@functools.lru_cache(maxsize=WORDS)
def ru_lemmas(word: str) -> frozenset[str]:
    """All normal forms pymorphy3 gives for a (lower-case) Russian word, with ё written as е."""
    return frozenset(_yo(p.normal_form) for p in analyzer().parse(word))


@functools.lru_cache(maxsize=WORDS)
def _ru_known(word: str) -> bool:
    return analyzer().word_is_known(word)


def _ru_lexeme(lemma: str) -> frozenset[str]:
    """Every inflected form of a lemma (all its parses whose normal form is the lemma). Not cached: the lexicon's
    4,000+ lemmas are expanded once, in order, and a cache of them kept about 8 MB of forms alive after the compile."""
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


def _en_inflections(word: str) -> set[str]:
    """The word and its regular English inflections (the forms `en_lemmas` reads back to it)."""
    out = {word}
    if word.endswith(("s", "x", "ch", "sh")):
        out.add(word + "es")
    elif word.endswith("y") and len(word) > 2 and word[-2] not in "aeiou":
        out.update({word[:-1] + "ies", word[:-1] + "ied"})
    else:
        out.add(word + "s")
    if word.endswith("e"):
        out.update({word + "d", word[:-1] + "ing"})
    else:
        out.update({word + "ed", word + "ing"})
    return out


# Latin letters that look like Cyrillic ones; applied only inside a word that already has Cyrillic letters.
_LOOKALIKE = str.maketrans("aceopxykmthb", "асеорхукмтнв")
_CYR = re.compile(r"[а-я]")
_LAT = re.compile(r"[a-z]")
_REPEAT = re.compile(r"(.)\1{2,}")
# One tokeniser pattern, linear: words (Cyrillic, Latin, digits, apostrophes inside words) or punctuation.
_TOKEN = re.compile(r"[0-9a-zа-яё]+(?:['’][a-z]+)?|[.!?\n]|[,;:()\u2014\u2013]|\s-\s")
_SENTENCE_END = frozenset(".!?\n")
_NOWHERE: list[int] = []
_BOT_COMMAND = re.compile(r"^\s*/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?")
TYPO_MIN_LEN = 5
EN_TYPO_MIN_LEN = 6  # shorter English words are too often one letter from another word («rates», «rapes»)
_DOUBLE = re.compile(r"(.)\1")

# Russian typed in Latin letters: transliteration («muzh b'et») or the Russian layout left on («vE; ,mtn»).
_LAYOUT = str.maketrans("qwertyuiop[]asdfghjkl;'zxcvbnm,.`", "йцукенгшщзхъфывапролджэячсмитьбюё")
_TRANSLIT = [
    ("yy", "ый"),
    ("iy", "ий"),
    ("shch", "щ"),
    ("sch", "щ"),
    ("zh", "ж"),
    ("kh", "х"),
    ("ch", "ч"),
    ("sh", "ш"),
    ("ts", "ц"),
    ("yo", "ё"),
    ("yu", "ю"),
    ("ya", "я"),
    ("ye", "е"),
    ("ia", "я"),
    ("iu", "ю"),
]
_TRANSLIT_ONE = str.maketrans(
    {
        "a": "а",
        "b": "б",
        "v": "в",
        "g": "г",
        "d": "д",
        "e": "е",
        "z": "з",
        "i": "и",
        "k": "к",
        "l": "л",
        "m": "м",
        "n": "н",
        "o": "о",
        "p": "п",
        "r": "р",
        "s": "с",
        "t": "т",
        "u": "у",
        "f": "ф",
        "h": "х",
        "c": "ц",
        "j": "ж",
        "w": "ш",
        "x": "кс",
        "q": "к",
        "'": "ь",
        "’": "ь",
        "4": "ч",
    }
)
_LATIN_WORD = re.compile(r"[a-z4'’]+")
_VOWELS = frozenset("аеёиоуыэюя")
# Frequent English words that are not a transliterated Russian word («i», «a», «to», «on», «no» are).
_EN_FUNCTION_WORDS = frozenset(
    "the is are am my you your he she we they his her our their and of in for with it that this was were have has "
    "not me can will do does did at from be been what who how dont don't can't cant won't i'm im there".split()
)
_SENTENCES = re.compile(r"(?<=[!?\n])|(?<=\.\s)")  # a split that keeps the separators («a. b» → «a. », «b»)
_SOFT_Y = re.compile(r"([bdfklmnprstvz])y(?=[aoue])")


def _translit_word(word: str) -> str:
    if word.isdigit():
        return word
    word = _SOFT_Y.sub(r"\1'y", word)  # «byot» is «бьёт»
    for lat, cyr in _TRANSLIT:
        word = word.replace(lat, cyr)
    out: list[str] = []
    for i, ch in enumerate(word):
        if ch == "y":  # «moy», «odnoy» → й after a vowel; «ty», «byt» → ы
            out.append(
                "й"
                if i and out[-1] in _VOWELS and (i + 1 == len(word) or word[i + 1] not in "aeiou")
                else "ы"
            )
        else:
            out.append(ch.translate(_TRANSLIT_ONE))
    word = "".join(out).lstrip("ь")
    if (
        len(word) > 2
        and word[-1] == "т"
        and not _is_verb(word)
        and _ru_known(word + "ь")
        and _is_infinitive(word + "ь")
    ):  # «zhit»
        word += "ь"
    return _repair_translit(word)


_SOFTENABLE = frozenset("бвдзлмнпрстфчш")
_HARD_I = frozenset("бвдлмнпрстфзц")  # after these «i» may stand for ы («sina», «smisl», «vipilyus»)


@functools.lru_cache(maxsize=8_192)
def _repair_translit(word: str) -> str:
    """A transliterated word the dictionary does not know, read the way people who type Latin write Russian:
    the soft sign left out («do4», «bolwe», «vipilyus») or one too many («menya» read as «менья»), «i» for ы («sina», «smisl») or й («kakoi»), «ii» for ий
    («poslednii»). Up to two such changes; the first spelling the dictionary knows wins, else the word as is."""
    if len(word) < 3 or not _CYR.fullmatch(word[0]) or _ru_known(word):
        return word

    def edits(w: str) -> list[str]:
        out = []
        if w.endswith("ии"):
            out.append(w[:-2] + "ий")
        for i, ch in enumerate(w):
            if ch == "ь":  # «menya» read as «менья»
                out.append(w[:i] + w[i + 1 :])
            if ch in _SOFTENABLE and (i + 1 == len(w) or (w[i + 1] not in _VOWELS and w[i + 1] != "ь")):
                out.append(w[: i + 1] + "ь" + w[i + 1 :])
            if ch == "и" and i and w[i - 1] in _HARD_I:
                out.append(w[:i] + "ы" + w[i + 1 :])
            elif ch == "и" and i and w[i - 1] in _VOWELS and (i + 1 == len(w) or w[i + 1] not in _VOWELS):
                out.append(w[:i] + "й" + w[i + 1 :])  # «kakoi», «moi»
        return out

    first = edits(word)
    for candidate in first:
        if _ru_known(candidate):
            return candidate
    for step in first:
        for candidate in edits(step):
            if _ru_known(candidate):
                return candidate
    return word


def _one_edit(a: str, b: str) -> bool:
    """True when a and b differ by one inserted, deleted, replaced or two swapped neighbouring letters."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1 :] == b[i + 1 :] or (a[i + 2 :] == b[i + 2 :] and a[i : i + 2] == b[i : i + 2][::-1])
    if len(a) > len(b):
        return a[i + 1 :] == b[i:]
    return a[i:] == b[i + 1 :]


@functools.lru_cache(maxsize=4_096)
def _is_verb(word: str) -> bool:
    """A known verb form («утопит»), which must not become an infinitive («утопить»)."""
    return _ru_known(word) and any(p.tag.POS == "VERB" for p in analyzer().parse(word))


@functools.lru_cache(maxsize=4_096)
def _genitive_noun(word: str) -> bool:
    return any(p.tag.POS == "NOUN" and "gent" in p.tag for p in analyzer().parse(word) if p.score > 0.1)


def _negates_other_words(tokens: list[Token], i: int, first: int) -> bool:
    """The negation at ``i`` is about other words than the phrase starting at ``first``: «нет» as «there is no …»
    («сил нет», «ночлега нет, сидим на вокзале»: right after a noun in the genitive, or right before a verb — Russian
    negates a verb with «не»), or «не» with a verb of its own before a phrase that starts with no verb («не пойду,
    верёвку в сарае приладил»)."""
    word, after = tokens[i].text, tokens[i + 1].text if i + 1 < len(tokens) else ""
    if word == "нет":
        return (i > 0 and _genitive_noun(tokens[i - 1].text)) or _is_verb(after)
    head = tokens[first].text
    return word == "не" and i + 1 < first and _is_verb(after) and not (_is_verb(head) or _is_infinitive(head))


@functools.lru_cache(maxsize=4_096)
def _is_infinitive(word: str) -> bool:
    return any(p.tag.POS == "INFN" for p in analyzer().parse(word) if p.score > 0.1)


def _known_share(text: str) -> float:
    words = [w for w in re.findall(r"[а-яё]+", text) if len(w) > 1]
    return sum(_ru_known(w) for w in words) / len(words) if words else 0.0


@functools.lru_cache(maxsize=4_096)
def _russian_in_latin(text: str) -> str:
    """A Latin-only message that reads as Russian once converted, converted; any other text unchanged.

    Both readings (keyboard layout and transliteration) are tried; the one with more dictionary words wins,
    and it must have at least half of its words in the dictionary, so English stays English."""
    if _CYR.search(text.lower()) or not _LAT.search(text.lower()):
        return text
    # Sentence by sentence: «we moved here last year. muzh menya izbil» has one English and one Russian.
    parts = [_read_latin_sentence(part) for part in _SENTENCES.split(text.lower())]
    converted = "".join(parts)
    return converted if converted != text.lower() else text


def _read_latin_sentence(low: str) -> str:
    words = re.findall(r"[a-z4']+", low)  # «do4» is «дочь», not the English «do»
    if not words or sum(w in _EN_FUNCTION_WORDS for w in words) >= max(1, len(words) // 5):
        return low  # English: «my son» is not «мы сон»
    layout = low.translate(_LAYOUT)
    translit = _LATIN_WORD.sub(lambda m: _translit_word(m.group(0)), low)
    best = max((layout, translit), key=_known_share)
    return best if _known_share(best) >= 0.5 else low


@dataclass(slots=True)
class Token:
    pos: int
    text: str  # normalised surface: lower case, ё→е, look-alikes fixed, repeats collapsed
    original: str  # as written, for the operator
    lang: str  # "ru", "en" or "num"
    sentence: int
    clause: int
    lemmas: frozenset[str] = field(default_factory=frozenset)
    alts: frozenset[str] = field(default_factory=frozenset)  # the forms a misspelt word was read as («убъет»)
