"""What start-up builds from the data files, kept in a file for the next start.

The danger detector is built from its lexicon and model at every start: every word of every phrase in all its
forms, the typo index, the model's weights — about a second of a start's three on this machine. Built once, it is
kept (pickled) in the cache directory (``CACHE_DIR``) under a key made of everything it was built from: the bytes
of its data files, the source of the modules that build it, the versions of Python and of the libraries that read
the words. A change to any of them makes a new key, so the next start builds it anew and replaces the file.

A file that cannot be read is built anew; a directory that cannot be written is logged and the start goes on with
what it built. A pickle is code: the directory is created for the bot's user alone, and a file is read only if that
user owns it and nobody else may write it — whoever can write the bot's own files can run code as the bot anyway.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import logging
import os
import pickle
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

# whose versions go into every key: they read the words or hold the built tables
LIBRARIES = ("pymorphy3", "pymorphy3-dicts-ru", "DAWG-Python", "numpy", "pydantic", "PyYAML")
# settings read by those libraries at build time (pymorphy3's dictionaries can live elsewhere)
ENVIRONMENT = ("PYMORPHY2_DICT_PATH",)


def short_digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def key_of(inputs: Iterable[Path]) -> str:
    """A digest of the files' names and bytes, Python's version, the libraries' versions and their settings."""
    digest = hashlib.sha256(sys.version.encode())
    for library in LIBRARIES:
        digest.update(f"\0{library}={importlib.metadata.version(library)}".encode())
    for name in ENVIRONMENT:
        digest.update(f"\0{name}={os.environ.get(name, '')}".encode())
    for path in sorted(Path(p) for p in inputs):
        digest.update(f"\0{path.name}\0".encode())
        digest.update(path.read_bytes() if path.exists() else b"\0missing")
    return digest.hexdigest()[:32]


def cached(
    name: str, inputs: Iterable[Path], build: Callable[[], T], cache_dir: Path | None, kind: type[T]
) -> T:
    """``build()``, or what an earlier ``build()`` from the same inputs left in ``cache_dir`` (None: no cache).
    ``kind``: what ``build()`` returns; a kept file holding anything else is built anew."""
    if cache_dir is None:
        return build()
    inputs = tuple(inputs)
    try:
        key = key_of(inputs)
    except Exception as exc:  # an input or a library's metadata that cannot be read: no cache this time
        log.warning("%s: no key for a kept copy (%s); building it", name, exc)
        return build()
    directory = Path(cache_dir)
    path = directory / f"{name}-{key}.pickle"
    kept = _read(path, kind)
    if kept is not None:
        return kept
    value = build()
    try:
        if key_of(inputs) == key:  # an input changed while it was built: not kept under the old key
            _write(directory, path, value, name)
    except Exception as exc:  # never a reason not to start
        log.warning("%s not kept for the next start: %s", name, exc)
    return value


def _read(path: Path, kind: type[T]) -> T | None:
    """The kept value, if the file is ours: owned by this process's user and writable by nobody else."""
    try:
        status = path.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("%s: %s; building it anew", path.name, exc)
        return None
    if status.st_uid != os.getuid() or status.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        log.warning("%s is not the bot's own file (owner or permissions); not read", path)
        return None
    try:
        with path.open("rb") as f:
            value = pickle.load(f)  # written by this bot alone (see the docstring)
    except Exception as exc:  # a torn or foreign file: built anew and replaced
        log.warning("%s: the kept copy could not be read (%s); building it anew", path.name, exc)
        return None
    if not isinstance(value, kind):
        log.warning(
            "%s holds a %s, not a %s; building it anew", path.name, type(value).__name__, kind.__name__
        )
        return None
    return value


def _write(directory: Path, path: Path, value: object, name: str) -> None:
    """Whole or not at all (a temporary file renamed over), also with two processes starting at once; the older
    copies of the same name are removed."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(partial, path)
    finally:
        Path(partial).unlink(missing_ok=True)
    for old in directory.glob(f"{name}-*.pickle"):
        if old != path:
            old.unlink(missing_ok=True)
