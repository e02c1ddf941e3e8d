"""`python -m bot.i18n_check locales`: every message translated in every shipped language, no fuzzy entries."""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po

from bot.config import SUPPORTED_LOCALES


def problems(locales_dir: Path) -> list[str]:
    found = []
    for locale in SUPPORTED_LOCALES:
        po = locales_dir / locale / "LC_MESSAGES" / "messages.po"
        if not po.exists():
            found.append(f"{po}: missing")
            continue
        with po.open("rb") as f:
            catalog = read_po(f, locale=locale)
        for message in catalog:
            if not message.id:
                continue
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
