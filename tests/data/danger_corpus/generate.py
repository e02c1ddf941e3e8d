"""Builds the labelled danger corpus (tune.yaml) from the hand-written bases beside this file.

    python tests/data/danger_corpus/generate.py

Each base message is written out as typed by real people: as is, and in variants chosen per base by a seeded
generator — lower case without punctuation, one or two typos, Latin transliteration («muzh b'et»), typed on
the wrong keyboard layout («vE; ,mtn»), caps, letters stretched, emoji, unrelated text before or after it,
a long message where the signal is one clause. Every message records its base: cross-validation
(benchmarks/crisis_cv.py) keeps all variants of a base in one fold, so a fold is never judged on a wording it
was trained on. Until December 2026 every second base of bases_danger.txt / bases_benign.txt was a held-out
part (heldout.yaml); it had been looked at too often to stay a fair judge and is now tuning data
(``part: second``). The first independent set (written by another author, the judge twice) is tuning data
since December 2026 too: ``part: indep1``, from bases_indep1_*.txt (README_indep1.md), with its old base ids
(``i.d.…``, ``i.b.…``) and variant counts, so its messages are those of its former independent.yaml. The judge
is now independent set 2 (tests/data/danger_independent2/, written elsewhere; never read by this corpus). The
output is deterministic: re-running the script gives the same file.
"""

from __future__ import annotations

import random
import re
import textwrap
import zlib
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent

TRANSLIT = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ё": "yo",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "y",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "h",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "sch",
    "ъ": "",
    "ы": "y",
    "ь": "'",
    "э": "e",
    "ю": "yu",
    "я": "ya",
}
TRANSLIT_ALT = {"х": "kh", "ж": "j", "ч": "4", "ш": "w", "ы": "i", "ь": "", "я": "ia", "ц": "c", "й": "i"}
LAYOUT = dict(zip("йцукенгшщзхъфывапролджэячсмитьбюё", "qwertyuiop[]asdfghjkl;'zxcvbnm,.`", strict=True))

OPENERS_RU = [
    "здравствуйте",
    "добрый вечер",
    "извините что пишу сюда",
    "не знаю к кому обратиться",
    "помогите пожалуйста",
    "алло",
    "девочки",
    "подскажите",
    "срочно",
    "хелп",
    "пишу с телефона подруги",
    "я не знаю что делать",
]
CLOSERS_RU = [
    "что делать",
    "помогите",
    "подскажите что делать",
    "спасибо",
    "куда звонить",
    "пожалуйста ответьте",
    "мне страшно",
    "я не знаю как быть",
    "",
    "((",
    "!!!",
]
OPENERS_EN = ["hi", "hello", "please help", "i dont know who to ask", "sorry to write here", "urgent"]
CLOSERS_EN = ["what do i do", "please help", "thanks", "who do i call", "", "!!"]
UNRELATED_RU = [
    "хотела спросить про маткапитал",
    "ещё вопрос про пособие на второго",
    "у нас трое детей живём в деревне",
    "я уже писала в соцзащиту но ответа нет",
    "мы недавно переехали из другого региона",
    "ребёнку 4 года ходит в садик",
    "работаю продавцом, зарплата маленькая",
    "муж на вахте был полгода",
    "по поводу семейной карты у меня не открывается",
    "живём у свекрови в двушке",
]
UNRELATED_EN = [
    "i wanted to ask about the child benefit",
    "we moved here last year",
    "i have two kids, 3 and 7",
    "the family card app does not open",
    "my mother in law lives with us",
]
EMOJI = ["😭", "😢", "🙏", "😔", "😡", "💔"]


def _rng(text: str, salt: str) -> random.Random:
    return random.Random(zlib.crc32(f"{salt}:{text}".encode()))


def is_ru(text: str) -> bool:
    return bool(re.search("[а-яё]", text.lower()))


def no_punct(text: str, rng: random.Random) -> str:
    return " ".join(re.sub(r"[.,!?;:«»\"()—]+", " ", text.lower()).split())


def typos(text: str, rng: random.Random) -> str:
    words = text.split()
    idx = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    rng.shuffle(idx)
    for i in idx[: rng.choice([1, 1, 2])]:
        w = list(words[i])
        op = rng.choice(["swap", "drop", "double", "replace"])
        k = rng.randrange(1, len(w) - 1)
        if op == "swap":
            w[k], w[k + 1] = w[k + 1], w[k]
        elif op == "drop":
            del w[k]
        elif op == "double":
            w.insert(k, w[k])
        else:
            near = {"е": "и", "и": "е", "о": "а", "а": "о", "ь": "", "т": "ь", "ё": "е", "e": "a", "i": "e"}
            w[k] = near.get(w[k], w[k])
        words[i] = "".join(w)
    return " ".join(words)


def translit(text: str, rng: random.Random) -> str:
    alt = rng.random() < 0.4
    out = []
    for ch in no_punct(text, rng):
        if alt and ch in TRANSLIT_ALT:
            out.append(TRANSLIT_ALT[ch])
        else:
            out.append(TRANSLIT.get(ch, ch))
    return "".join(out)


def layout(text: str, rng: random.Random) -> str:
    return "".join(LAYOUT.get(ch, ch) for ch in text.lower().replace(",", "").replace(".", ""))


def caps(text: str, rng: random.Random) -> str:
    return text.upper()


def stretch(text: str, rng: random.Random) -> str:
    words = text.split()
    i = rng.randrange(len(words))
    w = words[i]
    vowels = [k for k, c in enumerate(w) if c in "аеиоуыэюяaeiou"]
    if vowels:
        k = rng.choice(vowels)
        words[i] = w[:k] + w[k] * rng.randint(3, 5) + w[k + 1 :]
    return " ".join(words) + " " + rng.choice(EMOJI) * rng.randint(1, 3)


def wrap(text: str, rng: random.Random) -> str:
    ru = is_ru(text)
    opener = rng.choice(OPENERS_RU if ru else OPENERS_EN)
    closer = rng.choice(CLOSERS_RU if ru else CLOSERS_EN)
    return f"{opener} {text} {closer}".strip()


def mixed(text: str, rng: random.Random) -> str:
    ru = is_ru(text)
    other = rng.choice(UNRELATED_RU if ru else UNRELATED_EN)
    if rng.random() < 0.5:
        return f"{other}. {text}"
    return f"{text}. {other}"


def long(text: str, rng: random.Random) -> str:
    ru = is_ru(text)
    pool = UNRELATED_RU if ru else UNRELATED_EN
    a, b, c = rng.sample(pool, 3)
    opener = rng.choice(OPENERS_RU if ru else OPENERS_EN)
    return f"{opener}, {a}, {b}. {text}. {c}, {rng.choice(CLOSERS_RU if ru else CLOSERS_EN)}"


RU_VARIANTS = [
    (no_punct, 4),
    (typos, 4),
    (translit, 2),
    (layout, 1),
    (caps, 1),
    (stretch, 1),
    (wrap, 3),
    (mixed, 2),
    (long, 2),
]
EN_VARIANTS = [(no_punct, 4), (typos, 4), (caps, 1), (stretch, 1), (wrap, 3), (mixed, 2), (long, 2)]


def variants(text: str, count: int) -> list[tuple[str, str]]:
    rng = _rng(text, "variants")
    table = RU_VARIANTS if is_ru(text) else EN_VARIANTS
    out = [("as_written", text)]
    seen = {text}
    tries = 0
    while len(out) < count + 1 and tries < 50:
        tries += 1
        fn = rng.choices([f for f, _ in table], weights=[w for _, w in table])[0]
        new = fn(text, rng)
        # a second transformation now and then: a typo in a message without punctuation, etc.
        if rng.random() < 0.3 and fn not in (translit, layout):
            new = rng.choice([no_punct, typos])(new, rng)
        if new not in seen and new.strip():
            seen.add(new)
            out.append((fn.__name__, new))
    return out


def read_bases(name: str, directory: Path = HERE) -> list[list[str]]:
    rows = []
    for line in (directory / name).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            rows.append([p.strip() for p in line.split("|")])
    return rows


def build_judge(directory: Path, prefix: str) -> list[dict]:
    """An independent judge set's messages (tests/data/danger_independent*/): its bases_danger.txt
    (``category | level | text``) and bases_benign.txt (``kind | text``), each base as written plus as many variants
    as in this corpus (danger 2, benign hard 3, benign plain 2); base ids ``<prefix>.d.<category>.<n>`` and
    ``<prefix>.b.<kind>.<n>``."""
    items: list[dict] = []
    counters: dict[str, int] = {}
    for category, level, text in read_bases("bases_danger.txt", directory):
        assert level in ("clear", "possible"), (category, level, text)
        n = counters[category] = counters.get(category, 0) + 1
        for variant, written in variants(text, 2):
            base = f"{prefix}.d.{category}.{n}"
            items.append(
                {
                    "text": written,
                    "danger": True,
                    "category": category,
                    "level": level,
                    "base": base,
                    "variant": variant,
                }
            )
    for kind, text in read_bases("bases_benign.txt", directory):
        assert kind in ("hard", "plain"), (kind, text)
        n = counters[kind] = counters.get(kind, 0) + 1
        for variant, written in variants(text, 3 if kind == "hard" else 2):
            base = f"{prefix}.b.{kind}.{n}"
            items.append(
                {
                    "text": written,
                    "danger": False,
                    "category": kind,
                    "level": None,
                    "base": base,
                    "variant": variant,
                }
            )
    return items


def write_judge(directory: Path, prefix: str, about: str) -> None:
    """Writes a judge set's independent.yaml (deterministic: the same bases give the same file). ``about``: the
    header's lines on the set and its writers; the lines every judge set's header ends with are added here."""
    items = build_judge(directory, prefix)
    body = yaml.safe_dump({"messages": items}, allow_unicode=True, sort_keys=False, width=200)
    header = about + (
        "# NEVER use this file for tuning the detector: it is a judge only.\n"
        "# danger: true/false; category: detector category (danger) or hard/plain (benign);\n"
        f"# level: clear | possible (danger only); base: the hand-written base it was written from (prefix {prefix}.).\n"
    )
    (directory / "independent.yaml").write_text(header + body, encoding="utf-8")
    danger = sum(i["danger"] for i in items)
    bases = len({i["base"] for i in items})
    print(f"{directory.name}: {danger} danger, {len(items) - danger} benign, {bases} bases")


def _rows(split: str, base: str, category: str, level: str | None, text: str) -> list[dict]:
    danger = level is not None
    count = 2 if danger or category != "hard" else 3
    return [
        {
            "text": written,
            "danger": danger,
            "category": category,
            "level": level,
            "base": base,
            "part": split,
            "variant": variant,
        }
        for variant, written in variants(text, count)
    ]


# The later bases, one file a part: (file, part, prefix of its base ids). A new round is a line here.
BASE_FILES = (
    ("bases_extra_tune.txt", "extra", "e"),
    ("bases_own.txt", "own", "o"),
    ("bases_own2.txt", "own2", "p"),
    ("bases_own3.txt", "own3", "q"),
    ("bases_own4.txt", "own4", "r"),
    ("bases_own5.txt", "own5", "s"),
    ("bases_own6.txt", "own6", "t"),
    ("bases_own7.txt", "own7", "u"),
    ("bases_own8a.txt", "own8a", "v"),
    ("bases_own8b.txt", "own8b", "w"),
    ("bases_own8c.txt", "own8c", "x"),
    ("bases_own9a.txt", "own9a", "y"),
    ("bases_own9b.txt", "own9b", "z"),
    ("bases_own9c.txt", "own9c", "za"),
    ("bases_own10a.txt", "own10a", "zb"),
    ("bases_own10b.txt", "own10b", "zc"),
    ("bases_own10c.txt", "own10c", "zd"),
    ("bases_own11a.txt", "own11a", "ze"),
    ("bases_own11b.txt", "own11b", "zf"),
    ("bases_own11c.txt", "own11c", "zg"),
    ("bases_own12a.txt", "own12a", "zh"),
    ("bases_own12b.txt", "own12b", "zi"),
    ("bases_own12c.txt", "own12c", "zj"),
    ("bases_own13a.txt", "own13a", "zk"),
    ("bases_own13b.txt", "own13b", "zl"),
    ("bases_own13c.txt", "own13c", "zm"),
    ("bases_own14a.txt", "own14a", "zn"),
    ("bases_own14b.txt", "own14b", "zo"),
    ("bases_own15a.txt", "own15a", "zp"),
    ("bases_own15b.txt", "own15b", "zq"),
)


def build() -> list[dict]:
    """Every labelled message, in file order (deterministic)."""
    items: list[dict] = []
    counters: dict[str, int] = {}
    # «first» and «second»: the two halves of the original split (every second base of each category was the
    # held-out part until December 2026; it had been looked at too often to judge, so it became tuning data).
    for category, level, text in read_bases("bases_danger.txt"):
        n = counters[category] = counters.get(category, 0) + 1
        items += _rows("second" if n % 2 == 0 else "first", f"d.{category}.{n}", category, level, text)
    for kind, text in read_bases("bases_benign.txt"):
        n = counters[kind] = counters.get(kind, 0) + 1
        items += _rows("second" if n % 2 == 0 else "first", f"b.{kind}.{n}", kind, None, text)
    for name, split, prefix in BASE_FILES:
        for row in read_bases(name):
            if row[0] == "danger":
                _, category, level, text = row
            else:
                (_, category, text), level = row, None
            n = counters[f"{split}.{category}"] = counters.get(f"{split}.{category}", 0) + 1
            items += _rows(split, f"{prefix}.{category}.{n}", category, level, text)
    # «indep1»: independent set 1 (the judge until December 2026), in its own format and base ids
    for category, level, text in read_bases("bases_indep1_danger.txt"):
        n = counters[f"indep1.{category}"] = counters.get(f"indep1.{category}", 0) + 1
        items += _rows("indep1", f"i.d.{category}.{n}", category, level, text)
    for kind, text in read_bases("bases_indep1_benign.txt"):
        n = counters[f"indep1.{kind}"] = counters.get(f"indep1.{kind}", 0) + 1
        items += _rows("indep1", f"i.b.{kind}.{n}", kind, None, text)
    return items


PARTS = ("first", "second", *(split for _, split, _ in BASE_FILES), "indep1")


def main() -> None:
    items = build()
    header = (
        "# Labelled first messages for tuning and cross-validation. Generated by generate.py from bases_*.txt;\n"
        "# do not edit. danger: true/false; category: detector category (danger) or hard/plain (benign);\n"
        "# level: clear | possible (danger only); base: the hand-written base it was written from (the unit of\n"
        "# grouped cross-validation).\n"
        + textwrap.fill(
            "part: first | second (the old tune and held-out halves) | "
            + " | ".join(split for _, split, _ in BASE_FILES)
            + " | indep1 (independent set 1, the judge until December 2026).",
            width=116,
            initial_indent="# ",
            subsequent_indent="# ",
        )
        + "\n"
    )
    body = yaml.safe_dump({"messages": items}, allow_unicode=True, sort_keys=False, width=200)
    (HERE / "tune.yaml").write_text(header + body, encoding="utf-8")
    for split in PARTS:
        part = [i for i in items if i["part"] == split]
        danger = sum(i["danger"] for i in part)
        print(
            f"{split}: {danger} danger, {len(part) - danger} benign, {len({i['base'] for i in part})} bases"
        )


if __name__ == "__main__":
    main()
