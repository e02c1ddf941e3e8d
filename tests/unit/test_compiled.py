"""What start-up builds, kept for the next start (bot/services/compiled.py): used only while its inputs are the same,
and a danger detector read back in another process detects exactly as one built there."""

from __future__ import annotations

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

    assert compiled.cached("thing", [source], build, cache) == {"words": "один"}
    assert compiled.cached("thing", [source], build, cache) == {"words": "один"}
    assert builds == ["один"]  # the second came from the file
    source.write_text("два")
    assert compiled.cached("thing", [source], build, cache) == {"words": "два"}
    assert builds == ["один", "два"]
    assert len(list(cache.glob("thing-*.pickle"))) == 1  # the old one removed
    assert compiled.cached("thing", [source], build, None) == {"words": "два"}  # no cache: built
    assert builds == ["один", "два", "два"]


def test_a_torn_file_is_built_anew_and_an_unwritable_directory_only_costs_the_build(tmp_path):
    source = tmp_path / "source.txt"
    source.write_text("x")
    cache = tmp_path / "cache"
    compiled.cached("thing", [source], lambda: [1, 2, 3], cache)
    [kept] = cache.glob("thing-*.pickle")
    kept.write_bytes(kept.read_bytes()[:5])  # a file cut short
    assert compiled.cached("thing", [source], lambda: [4], cache) == [4]
    assert compiled.cached("thing", [source], lambda: [5], cache) == [4]  # the rebuilt one was kept
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    assert compiled.cached("thing", [source], lambda: [6], blocker / "cache") == [6]


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
    # typos the index exists for, one letter wrong, missing, doubled or swapped
    messages += ["хачу умиреть", "он меня избевает", "ибил меня", "ноож у мужа", "пабил ребёнка", "суицыд"]

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
    assert all(hit is not None for hit in built[-6:-1]), built[-6:]  # and the typo index
