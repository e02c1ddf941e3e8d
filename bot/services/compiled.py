"""What start-up builds from the data files, kept in a file for the next start.

The danger detector is built from its lexicon and model at every start: every word of every phrase in all its
forms, the typo index, the model's weights — about a second of a start's three on this machine. Built once, it is
kept (pickled) in the cache directory (``CACHE_DIR``) under a key made of everything it was built from: the bytes
of its data files, the source of the modules that build it, the versions of Python and of the libraries that read
the words. A change to any of them makes a new key, so the next start builds it anew and replaces the file.

A file that cannot be read is built anew; a directory that cannot be written is logged and the start goes on with
what it built. Only the bot writes the cache directory: a pickle is code, and whoever can write there can run code
as the bot — as anyone who can write the bot's own files can.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import logging
import os
import pickle
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

# whose versions go into every key: they read the words or hold the built tables
LIBRARIES = ("pymorphy3", "pymorphy3-dicts-ru", "numpy", "pydantic")


def short_digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def key_of(inputs: Iterable[Path]) -> str:
    """A digest of the files' names and bytes, Python's version and the libraries' versions."""
    digest = hashlib.sha256(sys.version.encode())
    for library in LIBRARIES:
        digest.update(f"\0{library}={importlib.metadata.version(library)}".encode())
    for path in sorted(Path(p) for p in inputs):
        digest.update(f"\0{path.name}\0".encode())
        digest.update(path.read_bytes() if path.exists() else b"\0missing")
    return digest.hexdigest()[:32]


def cached(name: str, inputs: Iterable[Path], build: Callable[[], T], cache_dir: Path | None) -> T:
    """``build()``, or what an earlier ``build()`` from the same inputs left in ``cache_dir`` (None: no cache)."""
    if cache_dir is None:
        return build()
    path = Path(cache_dir) / f"{name}-{key_of(inputs)}.pickle"
    try:
        with path.open("rb") as f:
            return pickle.load(f)  # written by this bot alone (see the docstring)
    except FileNotFoundError:
        pass
    except Exception as exc:  # a torn or foreign file: built anew and replaced
        log.warning("%s: the kept copy could not be read (%s); building it anew", path.name, exc)
    value = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{os.getpid()}.part")
        with partial.open("wb") as f:
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(partial, path)  # whole or not at all, also with two processes starting at once
        for old in path.parent.glob(f"{name}-*.pickle"):
            if old != path:
                old.unlink(missing_ok=True)
    except (OSError, pickle.PicklingError) as exc:
        log.warning("%s not kept for the next start: %s", name, exc)
    return value
