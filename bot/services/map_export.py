"""The website map of the regional directory: one self-contained HTML page (`python -m bot export map`).

The page carries everything it needs: Leaflet's JS and CSS (vendored in `bot/vendor/leaflet`, BSD-2-Clause) are
inlined, the places are inlined as JSON, and the list of places is plain HTML beside the map, for people who do
not use maps (and it works with JavaScript off). Only the map tiles come from the tile provider, at viewing time;
without them the markers, the filter and the list still work. Filter by region and kind of help; the filter is
also read from and written to the address (`map.html#region=RU-VGG&kind=maternity`), so a link can share it.

Pure: the caller passes a translator `t` (gettext of the chosen language) and the texts marked with `N_`.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from importlib import resources

from bot.services.places import Directory, Place

__all__ = ["N_", "TILE_ATTRIBUTION", "TILE_URL", "build_html"]

TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
TILE_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'
# One colour per pilot region (others grey), so the regions can be told apart on the map.
REGION_COLOURS = {"RU-VGG": "#c0392b", "RU-PNZ": "#1f77b4", "RU-SVE": "#2e8b57", "RU-MOW": "#8e44ad"}


def N_(message: str) -> str:
    return message


TEXTS = {
    "title": N_("Family Resource Centres and places of help"),
    "intro": N_(
        "Where families can get help in the regions of «Семейное окно». Every address and phone comes from a "
        "published source: its date is in each entry. Check before you go."
    ),
    "region": N_("Region"),
    "kind": N_("Kind of help"),
    "all_regions": N_("All regions"),
    "all_kinds": N_("All kinds of help"),
    "shown": N_("Places shown: {n}"),
    "map": N_("Map"),
    "list": N_("List of places"),
    "source": N_("Source"),
    "hours": N_("Hours"),
    "no_phone": N_("No phone in our source yet."),
    "city_level": N_("The point shows the city, not the building."),
    "no_map": N_("The map could not be shown; the list of places is below."),
    "footer": N_("Data: the «Семейное окно» directory, exported {date}. Map: Leaflet (BSD-2-Clause)."),
}


def _asset(name: str) -> str:
    text = resources.files("bot.vendor").joinpath("leaflet", name).read_text(encoding="utf-8")
    # the source map is not shipped: drop the reference so a browser does not look for it
    return "\n".join(line for line in text.splitlines() if not line.startswith("//# sourceMappingURL="))


def _script_json(value: object) -> str:
    """JSON safe inside a <script> element."""
    return (
        json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        .replace("</", "<\\/")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _place_json(place: Place, lang: str, kinds: dict[str, str], regions: dict[str, str]) -> dict:
    org = place.org
    return {
        "id": org.id,
        "name": org.name.get(lang),
        "region": org.region,
        "regionName": regions.get(org.region, org.region),
        "city": place.city.name.get(lang),
        "kinds": list(org.kinds),
        "kindNames": [kinds[k] for k in org.kinds if k in kinds],
        "address": org.address or "",
        "phones": [p.number for p in org.phones],
        "tel": [p.tel for p in org.phones],
        "hours": org.hours.get(lang) if org.hours else "",
        "note": org.note.get(lang) if org.note else "",
        "source": org.source_url or "",
        "asOf": org.as_of.isoformat(),
        "cityLevel": place.city_level,
        "lat": place.lat,
        "lon": place.lon,
    }


def _list_item(p: dict, t: Callable[[str], str]) -> str:
    e = html.escape
    phones = (
        " · ".join(
            f'<a href="tel:{e(tel)}">{e(num)}</a>' for num, tel in zip(p["phones"], p["tel"], strict=True)
        )
        if p["phones"]
        else e(t(TEXTS["no_phone"]))
    )
    parts = [
        f'<li class="place" data-id="{e(p["id"])}" data-region="{e(p["region"])}" '
        f'data-kinds="{e(" ".join(p["kinds"]))}">',
        f"<h3>{e(p['name'])}</h3>",
        f'<p class="where">{e(p["address"] or p["city"])} <span class="region">({e(p["regionName"])})</span></p>',
        f'<p class="phones">☎ {phones}</p>',
    ]
    if p["hours"]:
        parts.append(f'<p class="hours">{e(t(TEXTS["hours"]))}: {e(p["hours"])}</p>')
    parts.append(f'<p class="kinds">{e(", ".join(p["kindNames"]))}</p>')
    if p["note"]:
        parts.append(f'<p class="note">{e(p["note"])}</p>')
    if p["cityLevel"]:
        parts.append(f'<p class="note">{e(t(TEXTS["city_level"]))}</p>')
    parts.append(
        f'<p class="src">{e(t(TEXTS["source"]))}: <a href="{e(p["source"])}" rel="noopener">{e(p["asOf"])}</a></p>'
    )
    parts.append("</li>")
    return "".join(parts)


CSS = """
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222; }
header { padding: 12px 16px; border-bottom: 1px solid #ddd; }
h1 { font-size: 1.3em; margin: 0 0 4px; }
header p { margin: 4px 0; }
#filters { display: flex; flex-wrap: wrap; gap: 12px; margin: 8px 0 0; }
#filters select { font: inherit; padding: 4px; }
main { display: flex; height: calc(100vh - 170px); min-height: 420px; }
#map { flex: 3; min-height: 420px; background: #eef2f3; }
#list { flex: 2; overflow-y: auto; padding: 0 12px; border-left: 1px solid #ddd; }
#list ol { list-style: none; margin: 0; padding: 0; }
#list li { padding: 10px 0; border-bottom: 1px solid #eee; }
#list h3 { font-size: 1em; margin: 0 0 2px; }
#list p { margin: 2px 0; }
.region, .kinds, .src { color: #555; font-size: .92em; }
.note { color: #7a4b00; font-size: .92em; }
.popup h3 { font-size: 1em; margin: 6px 0 2px; }
.popup p { margin: 2px 0; }
footer { padding: 8px 16px; font-size: .85em; color: #555; border-top: 1px solid #ddd; }
@media (max-width: 760px) { main { flex-direction: column; height: auto; } #map { height: 60vh; }
  #list { border-left: 0; } }
"""

APP_JS = r"""
(function () {
  "use strict";
  var places = window.PLACES, T = window.TEXTS, COLOURS = window.COLOURS;
  var fr = document.getElementById("f-region"), fk = document.getElementById("f-kind");
  var status = document.getElementById("status");
  var map = null, layer = null;
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }
  try {
    map = L.map("map", {scrollWheelZoom: false, zoomAnimation: false, fadeAnimation: false})
      .setView([54.5, 50], 4);
    L.tileLayer(T.tileUrl, {maxZoom: 18, attribution: T.tileAttribution}).addTo(map);
    layer = L.layerGroup().addTo(map);
  } catch (err) {
    document.getElementById("map").textContent = T.noMap;
  }
  function popup(group) {
    return '<div class="popup">' + group.map(function (p) {
      var phones = p.phones.length ? p.phones.map(function (n, i) {
        return '<a href="tel:' + esc(p.tel[i]) + '">' + esc(n) + "</a>";
      }).join(" · ") : esc(T.noPhone);
      return "<h3>" + esc(p.name) + "</h3>" +
        "<p>" + esc(p.address || p.city) + "</p>" +
        "<p>☎ " + phones + "</p>" +
        (p.hours ? "<p>" + esc(T.hours) + ": " + esc(p.hours) + "</p>" : "") +
        (p.cityLevel ? '<p class="note">' + esc(T.cityLevel) + "</p>" : "") +
        '<p class="src">' + esc(T.source) + ': <a href="' + esc(p.source) + '" rel="noopener">' +
        esc(p.asOf) + "</a></p>";
    }).join("") + "</div>";
  }
  function readHash() {
    // the address is the whole filter: a key that is missing means «all»; an unknown value too
    var q = new URLSearchParams(location.hash.replace(/^#/, ""));
    fr.value = q.get("region") || "";
    if (fr.selectedIndex < 0) { fr.value = ""; }
    fk.value = q.get("kind") || "";
    if (fk.selectedIndex < 0) { fk.value = ""; }
  }
  function apply(writeHash) {
    var r = fr.value, k = fk.value;
    var shown = places.filter(function (p) {
      return (!r || p.region === r) && (!k || p.kinds.indexOf(k) >= 0);
    });
    var ids = {};
    shown.forEach(function (p) { ids[p.id] = true; });
    Array.prototype.forEach.call(document.querySelectorAll("#list li.place"), function (li) {
      li.hidden = !ids[li.getAttribute("data-id")];
    });
    var groups = {}, order = [], markers = 0, regions = {};
    shown.forEach(function (p) {
      var key = p.lat + "," + p.lon;
      if (!groups[key]) { groups[key] = []; order.push(key); }
      groups[key].push(p);
    });
    if (layer) {
      layer.clearLayers();
      order.forEach(function (key) {
        var g = groups[key], p0 = g[0], colour = COLOURS[p0.region] || "#555";
        L.circleMarker([p0.lat, p0.lon], {
          radius: 7 + Math.min(9, g.length), color: colour, fillColor: colour, fillOpacity: 0.75, weight: 2,
          className: "place-marker region-" + p0.region
        }).bindPopup(popup(g), {maxHeight: 320}).bindTooltip(esc(g.length > 1 ? p0.city + " · " + g.length : p0.name))
          .addTo(layer);
        markers += 1;
        regions[p0.region] = true;
      });
      if (shown.length) {
        var bounds = L.latLngBounds(shown.map(function (p) { return [p.lat, p.lon]; }));
        map.fitBounds(bounds.pad(0.3), {maxZoom: 10});
      }
    }
    status.textContent = T.shown.replace("{n}", String(shown.length));
    status.setAttribute("data-places", String(shown.length));
    status.setAttribute("data-markers", String(markers));
    status.setAttribute("data-regions", Object.keys(regions).sort().join(" "));
    if (writeHash) {
      var q = [];
      if (r) { q.push("region=" + encodeURIComponent(r)); }
      if (k) { q.push("kind=" + encodeURIComponent(k)); }
      history.replaceState(null, "", q.length ? "#" + q.join("&") : location.pathname + location.search);
    }
  }
  fr.addEventListener("change", function () { apply(true); });
  fk.addEventListener("change", function () { apply(true); });
  window.addEventListener("hashchange", function () { readHash(); apply(false); });
  readHash();
  apply(false);
})();
"""


def build_html(directory: Directory, *, lang: str, t: Callable[[str], str], exported: str) -> str:
    """The whole page. `t` translates the TEXTS; `exported` is the date shown in the footer."""
    content = directory.content
    kinds = {k: v.get(lang) for k, v in content.kinds.items()}
    regions = {code: r.name.get(lang) for code, r in content.regions.items()}
    data = [_place_json(p, lang, kinds, regions) for p in directory.places]
    used_regions = [c for c in content.regions if any(p["region"] == c for p in data)]
    used_kinds = [k for k in kinds if any(k in p["kinds"] for p in data)]
    e = html.escape
    texts = {
        "shown": t(TEXTS["shown"]),
        "source": t(TEXTS["source"]),
        "hours": t(TEXTS["hours"]),
        "noPhone": t(TEXTS["no_phone"]),
        "cityLevel": t(TEXTS["city_level"]),
        "noMap": t(TEXTS["no_map"]),
        "tileUrl": TILE_URL,
        "tileAttribution": TILE_ATTRIBUTION,
    }
    region_options = "".join(f'<option value="{e(c)}">{e(regions[c])}</option>' for c in used_regions)
    kind_options = "".join(f'<option value="{e(k)}">{e(kinds[k])}</option>' for k in used_kinds)
    items = "".join(_list_item(p, t) for p in data)
    return f"""<!doctype html>
<html lang="{e(lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(t(TEXTS["title"]))}</title>
<style>{_asset("leaflet.css")}</style>
<style>{CSS}</style>
</head>
<body>
<header>
<h1>{e(t(TEXTS["title"]))}</h1>
<p>{e(t(TEXTS["intro"]))}</p>
<form id="filters" onsubmit="return false">
<label>{e(t(TEXTS["region"]))}: <select id="f-region"><option value="">{e(t(TEXTS["all_regions"]))}</option>{region_options}</select></label>
<label>{e(t(TEXTS["kind"]))}: <select id="f-kind"><option value="">{e(t(TEXTS["all_kinds"]))}</option>{kind_options}</select></label>
</form>
<p id="status" role="status" aria-live="polite" data-places="{len(data)}">{e(t(TEXTS["shown"]).replace("{n}", str(len(data))))}</p>
</header>
<main>
<div id="map" role="region" aria-label="{e(t(TEXTS["map"]))}"></div>
<section id="list" aria-label="{e(t(TEXTS["list"]))}"><ol>{items}</ol></section>
</main>
<footer>{e(t(TEXTS["footer"]).replace("{date}", exported))} {TILE_ATTRIBUTION}</footer>
<script>{_asset("leaflet.js")}</script>
<script>window.PLACES = {_script_json(data)}; window.TEXTS = {_script_json(texts)}; window.COLOURS = {_script_json(REGION_COLOURS)};</script>
<script>{APP_JS}</script>
</body>
</html>
"""
