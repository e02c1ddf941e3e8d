"""Does the bot's memory grow with what families type? The reading of text keeps caches of the words it has seen
(their lemmas, how the danger detector read them, the closest vocabulary word): bounded, but a bound is only as good
as its size. This feeds the layers the bot runs on every family message — the door's danger check, the crisis check,
the understanding layer and the measure search — with messages of words never seen before, and prints the resident
memory (the process's own and the pages of the word-vector file it maps) and the caches' sizes as the distinct words
grow, then how many distinct words the danger tuning corpus (18,500 messages written the way people write) has.

    .venv/bin/python benchmarks/vocabulary_memory_bench.py [--words 200000]
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.services import crisis_text  # noqa: E402
from bot.services.catalog import load_catalog  # noqa: E402
from bot.services.crisis_model import training_items  # noqa: E402
from bot.services.morph import analyzer  # noqa: E402

search = importlib.import_module(
    "bot.services.measures.search"
)  # the module (the package exports a function)


def rss_mb(field: str = "VmRSS") -> float:
    """Resident memory; RssAnon is the process's own, RssFile the pages of files it maps (the word vectors)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def distinct_words(n: int) -> list[str]:
    """n distinct Russian word forms from the morphology dictionary, in its order (common and rare alike)."""
    seen: dict[str, None] = {}
    for word, _tag, _normal, _para, _idx in analyzer().dictionary.iter_known_words():
        if word.isalpha() and len(word) > 2:
            seen.setdefault(word, None)
            if len(seen) >= n:
                break
    return list(seen)


def caches(catalog) -> str:
    detector = catalog.detector
    return (
        f"ru_lemmas {crisis_text.ru_lemmas.cache_info().currsize:,}, "
        f"detector words {len(detector._word_cache):,}, "
        f"search lemmas {search._lemma_ru.cache_info().currsize:,}"
    )


def read(catalog, text: str) -> None:
    catalog.detector.detect(text[:500])  # the door
    catalog.detector.detect(text)  # the crisis check
    catalog.understander.understand(text)
    search.search(text, "ru", catalog.measures)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--words", type=int, default=200_000)
    args = parser.parse_args()
    catalog = load_catalog(ROOT / "data")
    messages = [item["text"] for item in training_items()]
    for text in messages[:200]:  # warm: what start-up and the first messages build
        read(catalog, text)
    words = distinct_words(args.words)
    base, anon, mapped = rss_mb(), rss_mb("RssAnon"), rss_mb("RssFile")
    print(f"after load and 200 messages: {base:.1f} MB ({caches(catalog)})", flush=True)
    step = max(1, len(words) // 8)
    for start in range(0, len(words), 10):
        read(catalog, " ".join(words[start : start + 10]))
        done = start + 10
        if done % step < 10 or done >= len(words):
            print(
                f"  {min(done, len(words)):>8,} new words: {rss_mb():.1f} MB (+{rss_mb() - base:.1f}; own "
                f"+{rss_mb('RssAnon') - anon:.1f}, mapped files +{rss_mb('RssFile') - mapped:.1f}; {caches(catalog)})",
                flush=True,
            )
    distinct = {w for text in messages for w in re.findall(r"\w+", text.lower())}
    print(
        f"the real corpus ({len(messages):,} messages) has {len(distinct):,} distinct words in all",
        flush=True,
    )


if __name__ == "__main__":
    main()
