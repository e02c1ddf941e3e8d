"""Russian word embeddings (navec, 250 000 words × 300 dimensions, product-quantised) without loading them into memory.

The vectors ship inside the `natasha` wheel from the package index (natasha/data/emb/…tar); nothing is fetched at run
time. natasha itself is never imported (it needs pymorphy2, which does not run on Python 3.11): the tar file is read
directly. Its layout (navec 0.10): `meta.json`; `vocab.bin` — gzip of [uint32 n][n × uint32 counts][words joined by
'\\n']; `pq.bin` — [uint32 vectors, dim, qdim, centroids][vectors × qdim uint8 indexes][qdim × centroids × dim/qdim
float32 codes].

Memory: the 25 MB index matrix stays in the file: a word's row (100 bytes) is read with pread when it is looked up,
so it costs no resident memory of the process (the system's page cache keeps what was read, shared by every
process). Memory-mapping it was measured too: page faults also map neighbouring pages ("fault-around"), and the
mapping grew to 12 MB of the process's RSS once the intents' vocabulary was looked up. Only the 300 KB codebook is
copied. The vocabulary is kept as a sorted array of 64-bit word hashes (FNV-1a) and their row numbers (3 MB) instead
of a dict of 250 000 Python strings (~30 MB).
"""

from __future__ import annotations

import ctypes
import gzip
import importlib.metadata
import logging
import os
import tarfile
import weakref
from functools import lru_cache
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

NAVEC_FILE = "natasha/data/emb/navec_news_v1_1B_250K_300d_100q.tar"
ENV_PATH = "NAVEC_PATH"  # another navec tar (tests, or a file shipped another way); "off" disables embeddings


FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3
MASK = (1 << 64) - 1


def _hash(word: str) -> int:
    """64-bit FNV-1a of the word's UTF-8 bytes (the same as `_hash_all` computes for the whole vocabulary)."""
    h = FNV_OFFSET
    for byte in word.encode():
        h = ((h ^ byte) * FNV_PRIME) & MASK
    return h


def _hash_all(blob: bytes) -> np.ndarray:
    """FNV-1a of every '\\n'-separated word of `blob`, column by column in numpy: no Python string per word, so
    loading leaves no heap of freed small objects behind (a list of 250 000 strings would)."""
    buf = np.frombuffer(blob, dtype=np.uint8)
    ends = np.flatnonzero(buf == 10)
    ends = np.append(ends, len(buf))
    starts = np.concatenate(([0], ends[:-1] + 1))
    lengths = ends - starts
    hashes = np.full(len(starts), FNV_OFFSET, dtype=np.uint64)
    prime = np.uint64(FNV_PRIME)
    with np.errstate(over="ignore"):
        for j in range(int(lengths.max()) if len(lengths) else 0):
            live = np.flatnonzero(lengths > j)
            byte = buf[starts[live] + j].astype(np.uint64)
            hashes[live] = (hashes[live] ^ byte) * prime
    return hashes


class Embeddings:
    """Word vectors looked up by exact (lower-case) word form."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        with tarfile.open(self.path) as tar:
            members = {m.name.lstrip("./"): m for m in tar.getmembers()}
            pq, vocab = members["pq.bin"], members["vocab.bin"]
            header = np.frombuffer(tar.extractfile(pq).read(16), np.uint32)
            vectors, dim, qdim, centroids = (int(x) for x in header)
            index_offset = pq.offset_data + 16
            codes_size = pq.size - 16 - vectors * qdim
            with open(self.path, "rb") as f:
                f.seek(index_offset + vectors * qdim)
                codes = np.frombuffer(f.read(codes_size), np.float32)
            self.codes = codes.reshape(qdim, centroids, dim // qdim).copy()
            raw = gzip.decompress(tar.extractfile(vocab).read())
        if vectors <= 0 or dim % qdim:
            raise ValueError(f"{self.path}: not a navec file")
        self._fd = os.open(self.path, os.O_RDONLY)
        weakref.finalize(self, os.close, self._fd)
        self._offset = index_offset
        self.qdim = qdim
        self.index_bytes = vectors * qdim
        self.dim = dim
        self.qdims = np.arange(qdim)
        size = int(np.frombuffer(raw[:4], np.uint32)[0])
        counts = np.frombuffer(raw[4 : 4 + 4 * size], np.uint32)
        hashes = _hash_all(raw[4 + 4 * size :])
        del raw
        if len(hashes) != size:
            raise ValueError(f"{self.path}: {len(hashes)} words for {size} counts")
        order = np.argsort(hashes, kind="stable")
        self._hashes = hashes[order]
        self._rows = order.astype(np.int32)
        total = float(counts.sum()) or 1.0
        self._freq = (counts.astype(np.float64) / total).astype(np.float32)  # word frequency, for weighting
        _give_back_freed_memory()

    def _codes_of(self, row: int) -> np.ndarray:
        """The row's centroid numbers, read from the file (the system's page cache keeps what was read)."""
        return np.frombuffer(os.pread(self._fd, self.qdim, self._offset + row * self.qdim), np.uint8)

    def __len__(self) -> int:
        return len(self._rows)

    def row(self, word: str) -> int | None:
        h = np.uint64(_hash(word))
        i = int(np.searchsorted(self._hashes, h))
        if i < len(self._hashes) and self._hashes[i] == h:
            return int(self._rows[i])
        return None

    def vector(self, word: str) -> np.ndarray | None:
        row = self.row(word)
        if row is None:
            return None
        return self.codes[self.qdims, self._codes_of(row)].reshape(self.dim)

    def frequency(self, word: str) -> float:
        row = self.row(word)
        return float(self._freq[row]) if row is not None and row < len(self._freq) else 0.0

    def sentence(self, words: list[str], a: float = 1e-4) -> np.ndarray | None:
        """A unit vector for a bag of words: frequency-weighted mean (frequent words count less), or None."""
        total = np.zeros(self.dim, dtype=np.float32)
        found = False
        for w in words:
            row = self.row(w)
            if row is None:
                continue
            vec = self.codes[self.qdims, self._codes_of(row)].reshape(self.dim)
            freq = float(self._freq[row]) if row < len(self._freq) else 0.0
            total += vec * (a / (a + freq))
            found = True
        if not found:
            return None
        norm = float(np.linalg.norm(total))
        return total / norm if norm else None


def _give_back_freed_memory() -> None:
    """The loading temporaries (≈ 20 MB) are freed, but glibc keeps freed heap pages; hand them back to the system."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the memory is reused by the process instead
        pass


def default_path() -> Path | None:
    """The navec file: $NAVEC_PATH, else the one inside the installed natasha wheel; None when there is none."""
    env = os.environ.get(ENV_PATH)
    if env:
        return None if env.lower() == "off" else Path(env)
    try:
        path = Path(str(importlib.metadata.distribution("natasha").locate_file(NAVEC_FILE)))
    except importlib.metadata.PackageNotFoundError:
        return None
    return path if path.is_file() else None


@lru_cache(maxsize=1)
def default_embeddings() -> Embeddings | None:
    """Loaded once per process; None (the layer then works on words alone) when the file is missing or broken."""
    path = default_path()
    if path is None:
        log.warning("no navec embeddings file: understanding works without semantic similarity")
        return None
    try:
        return Embeddings(path)
    except (OSError, KeyError, ValueError, tarfile.TarError) as exc:
        log.warning("navec embeddings at %s could not be read (%s): working without them", path, exc)
        return None
