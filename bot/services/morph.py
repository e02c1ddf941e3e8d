"""One Russian morphological analyser (pymorphy3) per process, shared by crisis detection and measure search.

Its dictionaries take about a second and some 15 MB to load, so they are loaded once, on first use."""

from __future__ import annotations

from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def analyzer() -> Any:
    import pymorphy3

    return pymorphy3.MorphAnalyzer()
