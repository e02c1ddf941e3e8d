"""What start-up builds, kept for the next start (bot/services/compiled.py): used only while its inputs are the same,
and a danger detector read back in another process detects exactly as one built there."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys

from bot.config import ROOT
from bot.services import compiled


def test_built_once_read_back_and_built_anew_when_an_input_changes(tmp_path):
    source, cache = tmp_path / "source.txt", tmp_path / "cache"
    source.write_text("один")
    builds: list[str] = []

    def build() -> dict:
        builds.append(source.read_text())
        return {"words": source.read_text()}

    assert compiled.cached("thing", [source], build, cache, dict) == {"words": "один"}
    assert compiled.cached("thing", [source], build, cache, dict) == {"words": "один"}
    assert builds == ["один"]  # the second came from the file
    source.write_text("два")
    assert compiled.cached("thing", [source], build, cache, dict) == {"words": "два"}
    assert builds == ["один", "два"]
    assert len(list(cache.glob("thing-*.pickle"))) == 1  # the old one removed
    assert compiled.cached("thing", [source], build, None, dict) == {"words": "два"}  # no cache: built
    assert builds == ["один", "два", "два"]
    assert oct(cache.stat().st_mode & 0o777) == oct(0o700)  # the bot's user alone


def test_what_is_not_kept_or_not_read(tmp_path):
    source, cache = tmp_path / "source.txt", tmp_path / "cache"
    source.write_text("x")
    compiled.cached("thing", [source], lambda: [1, 2, 3], cache, list)
    [kept] = cache.glob("thing-*.pickle")
    kept.write_bytes(kept.read_bytes()[:5])  # a file cut short: built anew, and the new one kept
    assert compiled.cached("thing", [source], lambda: [4], cache, list) == [4]
    assert compiled.cached("thing", [source], lambda: [5], cache, list) == [4]
    kept.chmod(0o666)  # writable by others: not read (and replaced)
    assert compiled.cached("thing", [source], lambda: [6], cache, list) == [6]
    assert compiled.cached("thing", [source], lambda: {"not": "a list"}, cache, dict) == {"not": "a list"}
    assert compiled.cached("thing", [source], lambda: [7], cache, list) == [7]  # a dict kept: not a list

    def edited_meanwhile() -> list:
        source.write_text("y")  # an input changed while it was built: not kept under the old key
        return [8]

    source.write_text("z")
    assert compiled.cached("thing", [source], edited_meanwhile, cache, list) == [8]
    source.write_text("z")
    assert compiled.cached("thing", [source], lambda: [9], cache, list) == [9]

    import threading

    lock = threading.Lock()  # cannot be pickled: the start goes on with it, and nothing is left behind
    assert compiled.cached("lock", [source], lambda: lock, cache, type(lock)) is lock
    assert not list(cache.glob("*lock*"))
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    assert compiled.cached("thing", [source], lambda: [10], blocker / "cache", list) == [10]
    assert compiled.cached("thing", [tmp_path / "missing"], lambda: [11], cache, list) == [11]


_DETECT = """
import json, sys
from pathlib import Path
from bot.services.crisis import load_detector

cache = Path(sys.argv[1]) if sys.argv[1] != "-" else None
messages = json.loads(sys.stdin.read())
detector = load_detector(None, cache)
out = []
for text in messages:
    hit = detector.detect(text)
    out.append(None if hit is None else [hit.categories, hit.pattern_ids, hit.matched, hit.level, hit.second_opinion])
print(json.dumps(out, ensure_ascii=False))
"""


def test_a_detector_read_back_in_another_process_detects_as_one_built_there(tmp_path):
    """Each run in a fresh interpreter with its own hash seed: the typo index holds Python's string hashes, which
    differ between processes, so it must be rebuilt where the detector is read back, never taken from the file."""
    from bot.services.yamlsafe import load

    judge = load((ROOT / "tests/data/danger_independent3/independent.yaml").read_text(encoding="utf-8"))
    messages = [m["text"] for m in judge["messages"][::4]]
    # typos found only through the typo index (each is missed by this detector with the index emptied)
    typos = [
        "ибил меня",
        "пабил ребёнка",
        "хочу павеситься",
        "я парезала вены",
        "муж душыт меня",
        "изнасилавал",
        "порезаоа руки",
        "голадаем",
    ]
    messages += typos

    def run(cache: str, seed: str) -> list:
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", _DETECT, cache],
            input=json.dumps(messages),
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(done.stdout)

    built = run("-", "1")
    cache = tmp_path / "cache"
    assert run(str(cache), "2") == built  # built there, and kept
    [kept] = cache.glob("crisis-detector-*.pickle")
    written = kept.stat().st_mtime_ns
    assert run(str(cache), "3") == built  # read back under another hash seed
    assert kept.stat().st_mtime_ns == written  # read, not built and written again
    assert sum(hit is not None for hit in built) > len(messages) // 3  # the sample does exercise the detector
    assert all(hit is not None for hit in built[-len(typos) :]), built[-len(typos) :]  # and the typo index
    from array import array

    from bot.services.crisis import load_detector

    without_index = copy.copy(load_detector())
    without_index._delete_hashes, without_index._delete_forms = array("i"), array("H")
    without_index._word_cache, without_index._recent = {}, type(without_index._recent)()
    without_index.model = None  # the second opinion reads letter n-grams and raises some of them by itself
    assert [t for t in typos if without_index.detect(t) is not None] == []  # they need the index
