"""The website map: `python -m bot export map` writes one self-contained page; headless Chromium opens it from a
file (no server), shows markers of all four pilot regions, and the filter (the page's own selects, and a shared
link's address) narrows the markers and the list. A screenshot is saved next to the test's files."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

from tests.e2e.browser import Browser

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
pytestmark = pytest.mark.nodb  # an export from data/: the PostgreSQL pass has nothing to add
PILOTS = ["RU-MOW", "RU-PNZ", "RU-SVE", "RU-VGG"]
READY = "(() => { const s = document.getElementById('status'); return !!(s && s.hasAttribute('data-markers')); })()"
STATE = """(() => {
  const s = document.getElementById('status');
  const markers = Array.from(document.querySelectorAll('path.place-marker'))
    .map(m => (m.getAttribute('class').match(/region-(RU-[A-Z]+)/) || [])[1]);
  const visible = Array.from(document.querySelectorAll('#list li.place')).filter(li => !li.hidden);
  return {places: +s.dataset.places, markers: markers, status: s.textContent,
          listed: visible.map(li => li.dataset.id), hash: location.hash,
          region: document.getElementById('f-region').value, kind: document.getElementById('f-kind').value};
})()"""
# The centre of each marker on the screen, by region (to find it in the screenshot).
CENTRES = """Array.from(document.querySelectorAll('path.place-marker')).map(m => {
  const r = m.getBoundingClientRect();
  return [(m.getAttribute('class').match(/region-(RU-[A-Z]+)/) || [])[1], r.x + r.width / 2, r.y + r.height / 2];
})"""
COLOURS = {
    "RU-VGG": (0xC0, 0x39, 0x2B),
    "RU-PNZ": (0x1F, 0x77, 0xB4),
    "RU-SVE": (0x2E, 0x8B, 0x57),
    "RU-MOW": (0x8E, 0x44, 0xAD),
}


def drawn_regions(png: Path, centres: list) -> set[str]:
    """Regions whose marker is really painted in the screenshot: the pixel at its centre has its colour."""
    image = cv2.imdecode(np.frombuffer(png.read_bytes(), np.uint8), cv2.IMREAD_COLOR)  # BGR
    seen = set()
    for region, x, y in centres:
        b, g, r = (int(v) for v in image[int(y), int(x)])
        want = COLOURS[region]
        # the fill is 75 % opaque over the map's background: close to the region's colour, far from grey
        if sum(abs(a - c) for a, c in zip((r, g, b), want, strict=True)) < 90:
            seen.add(region)
    return seen


async def painted(browser, png: Path, want: int = len(PILOTS), tries: int = 20) -> set[str]:
    """The regions whose markers are on the screen; a loaded machine may paint a moment after the DOM is ready,
    so the screenshot is taken again (for up to about 5 s) until every marker is painted."""
    seen: set[str] = set()
    for _ in range(tries):
        seen = drawn_regions(await browser.screenshot(png), await browser.js(CENTRES))
        if len(seen) >= want:
            break
        await asyncio.sleep(0.25)
    return seen


def places_in_data() -> list[dict]:
    raw = yaml.safe_load((DATA / "organisations.yaml").read_text(encoding="utf-8"))
    return [o for o in raw["organisations"] if o.get("city")]


def export_map(out: Path) -> str:
    env = {**os.environ, "BOT_TOKEN": "123456:map-export-placeholder", "DEFAULT_LOCALE": "ru"}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "export", "map", "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return out.read_text(encoding="utf-8")


def select(element: str, value: str) -> str:
    return (
        f"(() => {{ const s = document.getElementById('{element}'); s.value = '{value}'; "
        "s.dispatchEvent(new Event('change', {bubbles: true})); return s.value; })()"
    )


async def test_the_exported_map_shows_every_region_and_its_filter_works(tmp_path):
    page = tmp_path / "map.html"
    text = export_map(page)
    places = places_in_data()
    # one self-contained page: no script or stylesheet from elsewhere, the list is plain HTML
    assert not re.search(r"<script[^>]+src=|<link[^>]+stylesheet", text)
    assert text.count('<li class="place"') == len(places)
    assert "Leaflet" in text and "BSD" in text

    async with Browser(tmp_path / "profile") as browser:
        # no tiles, whatever the machine's network: the markers, the filter and the list must work without them
        await browser.call("Network.enable")
        await browser.call("Network.setBlockedURLs", urls=["*tile.openstreetmap.org*"])
        await browser.open(page.as_uri(), READY)
        state = await browser.js(STATE)
        assert state["places"] == len(places)
        assert sorted(set(state["markers"])) == PILOTS  # markers of all four regions
        assert "Показано мест" in state["status"]
        assert await painted(browser, tmp_path / "map-all.png") == set(PILOTS)  # painted, not only in the DOM

        # the region filter, as a visitor uses it: the select
        assert await browser.js(select("f-region", "RU-PNZ")) == "RU-PNZ"
        state = await browser.js(STATE)
        penza = [o["id"] for o in places if o["region"] == "RU-PNZ"]
        assert set(state["markers"]) == {"RU-PNZ"}
        assert sorted(state["listed"]) == sorted(penza) and state["places"] == len(penza)
        assert state["hash"] == "#region=RU-PNZ"  # the filter can be shared as a link

        # and the kind of help on top of it
        await browser.js(select("f-kind", "maternity"))
        state = await browser.js(STATE)
        expected = [o["id"] for o in places if o["region"] == "RU-PNZ" and "maternity" in o["kinds"]]
        assert expected and sorted(state["listed"]) == sorted(expected)
        await browser.screenshot(tmp_path / "map-penza-maternity.png")

        # a shared link opens with its filter applied
        await browser.open(
            page.as_uri() + "#kind=shelter",
            READY + " && document.getElementById('f-kind').value === 'shelter'",
        )
        state = await browser.js(STATE)
        shelters = [o for o in places if "shelter" in o["kinds"]]
        assert state["region"] == "" and state["places"] == len(shelters)
        assert set(state["markers"]) == {o["region"] for o in shelters}

    keep = os.environ.get("MAP_SCREENSHOT_DIR")
    if keep:  # e.g. build/ — to look at the page after a run
        await asyncio.to_thread(_keep_screenshots, tmp_path, Path(keep))


def _keep_screenshots(source: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for png in source.glob("map-*.png"):
        shutil.copy(png, target / png.name)
