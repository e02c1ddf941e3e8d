"""The caches of words families type stay at a fixed size (bot/services/bounded.py)."""

from __future__ import annotations

from pathlib import Path

from bot.services.bounded import remember
from bot.services.catalog import load_catalog
from bot.services.crisis_text import ru_lemmas


def test_a_full_cache_lets_its_oldest_quarter_go_and_keeps_the_rest() -> None:
    cache: dict[str, int] = {}
    for n in range(100):
        assert remember(cache, f"w{n}", n, limit=40) == n
        assert len(cache) <= 40
    assert list(cache)[-1] == "w99" and cache["w99"] == 99
    assert "w0" not in cache and "w59" not in cache  # the oldest went, a quarter at a time
    assert list(cache) == [f"w{n}" for n in range(60, 100)]


def _word(n: int) -> str:
    """A made-up Cyrillic word of its own for each n (letters only: one token each)."""
    letters = "бвгдклмнпрст"
    out = "за"
    while True:
        n, k = divmod(n, len(letters))
        out += letters[k] + "о"
        if not n:
            return out


def test_the_detectors_word_readings_do_not_grow_with_new_words() -> None:
    detector = load_catalog(Path(__file__).resolve().parents[2] / "data").detector
    assert detector.word_cache_limit == 20_000 and ru_lemmas.cache_info().maxsize == 20_000
    detector.word_cache_limit = (
        400  # the same bound, small enough to pass quickly (the catalogue is shared: restored)
    )
    try:
        for n in range(0, 1_500, 10):
            detector.detect(" ".join(_word(n + k) for k in range(10)))
            assert len(detector._word_cache) <= 400
        # the cache still reads as before: a danger message is found after the flood of unknown words
        assert detector.detect("муж бьёт меня ножом") is not None
    finally:
        detector.word_cache_limit = 20_000
