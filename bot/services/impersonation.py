"""A family's message must never pass for one of the bot's own notices in a staff topic.

The bot's notices in a topic (danger signals, erasure, blocked family, reminders) are sent as a reply to the
request's card: a relayed copy of a family's message can never be one (its reply threading maps only onto other
relayed messages), so the quoted card marks a notice as the bot's. And a family's text or caption that opens the
way a notice does (with an emoji or symbol, or with words such as «Семья…», «Обращение…», «Бот…») is relayed framed
under a label saying it is the family's message, so even at a glance it cannot be read as a notice.
"""

from __future__ import annotations

import unicodedata

# openings of the bot's own notices (both staff languages), compared case-insensitively
NOTICE_WORDS = ("семья", "семьи", "обращение", "бот", "family", "the family", "request", "bot")


def looks_like_notice(text: str | None) -> bool:
    """True when ``text`` opens the way a notice of the bot does."""
    stripped = (text or "").lstrip()
    if not stripped:
        return False
    first = stripped[0]
    category = unicodedata.category(first)
    if not (category.startswith("L") or category.startswith("N") or first in "«\"'(„“"):
        return True  # an emoji, a symbol or a mark: every notice of the bot opens with one
    lowered = stripped.lower().lstrip("«\"'(„“")
    return any(lowered.startswith(word) for word in NOTICE_WORDS)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def shift_entities(entities: list[dict] | None, by: int) -> list[dict]:
    """Telegram entities moved ``by`` UTF-16 units to the right (a label put in front of the text)."""
    return [{**e, "offset": e["offset"] + by} for e in entities or []]
