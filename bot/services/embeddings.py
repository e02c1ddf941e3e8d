"""Russian word embeddings (navec, 250 000 words × 300 dimensions, product-quantised) without loading them into memory.

The vectors ship inside the `natasha` wheel from the package index (natasha/data/emb/…tar); nothing is fetched at run
time. natasha itself is never imported (it needs pymorphy2, which does not run on Python 3.11): the tar file is read
directly. Its layout (navec 0.10): `meta.json`; `vocab.bin` — gzip of [uint32 n][n × uint32 counts][words joined by
'\\n']; `pq.bin` — [uint32 vectors, dim, qdim, centroids][vectors × qdim uint8 indexes][qdim × centroids × dim/qdim
float32 codes].

Memory: the 25 MB index matrix is memory-mapped straight from the tar (pages are read on demand and shared between
processes), only the 300 KB codebook is copied. The vocabulary is kept as a sorted array of 64-bit word hashes and
their row numbers (3 MB) instead of a dict of 250 000 Python strings (~30 MB).
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.metadata
import logging
import os
import tarfile
from functools import lru_cache
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

NAVEC_FILE = "natasha/data/emb/navec_news_v1_1B_250K_300d_100q.tar"
ENV_PATH = "NAVEC_PATH"  # another navec tar (tests, or a file shipped another way); "off" disables embeddings


def _hash(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little") >> 1


class Embeddings:
    """Word vectors looked up by exact (lower-case) word form."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        with tarfile.open(self.path) as tar:
            members = {m.name.lstrip("./"): m for m in tar.getmembers()}
            pq, vocab = members["pq.bin"], members["vocab.bin"]
            header = np.frombuffer(tar.extractfile(pq).read(16), np.uint32)  # type: ignore[union-attr]
            vectors, dim, qdim, centroids = (int(x) for x in header)
            index_offset = pq.offset_data + 16
            codes_size = pq.size - 16 - vectors * qdim
            with open(self.path, "rb") as f:
                f.seek(index_offset + vectors * qdim)
                codes = np.frombuffer(f.read(codes_size), np.float32)
            self.codes = codes.reshape(qdim, centroids, dim // qdim).copy()
            raw = gzip.decompress(tar.extractfile(vocab).read())  # type: ignore[union-attr]
        if vectors <= 0 or dim % qdim:
            raise ValueError(f"{self.path}: not a navec file")
        self.indexes = np.memmap(
            self.path, dtype=np.uint8, mode="r", offset=index_offset, shape=(vectors, qdim)
        )
        self.dim = dim
        self.qdims = np.arange(qdim)
        size = int(np.frombuffer(raw[:4], np.uint32)[0])
        counts = np.frombuffer(raw[4 : 4 + 4 * size], np.uint32)
        words = raw[4 + 4 * size :].decode("utf8").split("\n")
        del raw
        hashes = np.fromiter((_hash(w) for w in words), dtype=np.int64, count=len(words))
        del words
        order = np.argsort(hashes, kind="stable")
        self._hashes = hashes[order]
        self._rows = order.astype(np.int32)
        total = float(counts.sum()) or 1.0
        self._freq = (counts.astype(np.float64) / total).astype(np.float32)  # word frequency, for weighting

    def __len__(self) -> int:
        return len(self._rows)

    def row(self, word: str) -> int | None:
        h = _hash(word)
        i = int(np.searchsorted(self._hashes, h))
        if i < len(self._hashes) and self._hashes[i] == h:
            return int(self._rows[i])
        return None

    def vector(self, word: str) -> np.ndarray | None:
        row = self.row(word)
        if row is None:
            return None
        return self.codes[self.qdims, self.indexes[row]].reshape(self.dim)

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
            vec = self.codes[self.qdims, self.indexes[row]].reshape(self.dim)
            freq = float(self._freq[row]) if row < len(self._freq) else 0.0
            total += vec * (a / (a + freq))
            found = True
        if not found:
            return None
        norm = float(np.linalg.norm(total))
        return total / norm if norm else None


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
