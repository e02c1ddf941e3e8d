"""Caches of words seen in families' messages, kept to a fixed size.

What families type has no end (names, typos, rare words), so a cache of words is bounded by the number of its
entries, not by the data: benchmarks/vocabulary_memory_bench.py feeds 200,000 words never seen before and shows the
process's memory level off. The bounds keep the words people use most (a reading of 18,500 real messages needs fewer
than 24,000 distinct words in all)."""

from __future__ import annotations

from itertools import islice
from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")

WORDS = 20_000  # entries of one per-word cache


def remember(cache: dict[K, V], key: K, value: V, limit: int = WORDS) -> V:
    """Store ``value`` under ``key``; a full cache first lets its oldest quarter go (insertion order): the words in
    use come back at once, the rest stay gone."""
    if len(cache) >= limit:
        for old in list(islice(cache, max(1, limit // 4))):
            del cache[old]
    cache[key] = value
    return value
