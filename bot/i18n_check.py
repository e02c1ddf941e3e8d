"""`python -m bot.i18n_check locales`: every message translated in every shipped language, no fuzzy entries, a
plural header in every catalogue, and no number set next to a noun without a plural form (ngettext)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from bot.config import SUPPORTED_LOCALES

# Placeholders that hold a number: a Russian noun right after one needs three forms (1 семья, 2 семьи, 5 семей).
# Not numbers: ids shown as «№ {number}», dates, names, texts.
NOT_NUMBERS = frozenset(
    """id number date time when until name region zone link status reason partner urgency title what who where
    text version category specialty role label value query topic kind how until_date day_name month""".split()
)
# Words that may follow a number without agreeing with it: prepositions, particles, verbs, unit abbreviations.
FREE_WORDS = frozenset(
    """из за в во и или не на от до по с со к о об у при для про без через а но же ли уже ещё больше меньше
    мин ч с сек г дн мес тыс млн руб сообщ км м п""".split()
)
_NUMBER_NOUN = re.compile(r"(?<!№ )\{(\w+)\}(?:</?b>)?[ \u00a0]+([а-яё]+)", re.IGNORECASE)
PLURAL_FORMS = {"ru": 3, "en": 2}


def number_next_to_noun(text: str) -> list[str]:
    """The «{n} семей»-like spots of a Russian text: a number placeholder followed by a word that must agree."""
    found = []
    for m in _NUMBER_NOUN.finditer(text):
        name, word = m.group(1), m.group(2).lower()
        if name in NOT_NUMBERS or word in FREE_WORDS:
            continue
        found.append(m.group(0))
    return found


def problems(locales_dir: Path) -> list[str]:
    found = []
    for locale in SUPPORTED_LOCALES:
        po = locales_dir / locale / "LC_MESSAGES" / "messages.po"
        if not po.exists():
            found.append(f"{po}: missing")
            continue
        with po.open("rb") as f:
            header = f.read(4000).decode("utf-8", "replace")
            f.seek(0)
            catalog = read_po(f, locale=locale)
        want = PLURAL_FORMS.get(locale)
        declared = re.search(r'^"Plural-Forms:\s*nplurals=(\d+);', header, re.MULTILINE)
        if want and (declared is None or int(declared.group(1)) != want):
            found.append(f"{locale}: the catalogue has no Plural-Forms header with nplurals={want}")
        for message in catalog:
            if not message.id:
                continue
            if locale == "ru" and not message.pluralizable and isinstance(message.string, str):
                for spot in number_next_to_noun(message.string):
                    found.append(
                        f"ru: a number next to a noun without a plural form ({spot!r}): use ngettext"
                    )
            if message.fuzzy:
                found.append(f"{locale}: fuzzy translation of {message.id!r}")
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if not all(strings):
                found.append(f"{locale}: no translation of {message.id!r}")
    return found


def main() -> int:
    found = problems(Path(sys.argv[1] if len(sys.argv) > 1 else "locales"))
    for p in found:
        print(p)
    if found:
        print(f"{len(found)} translation problem(s)")
        return 1
    print("every message is translated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
