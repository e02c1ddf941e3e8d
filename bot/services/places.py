"""The regional directory as places on a map: «near me», places in a city, staff search, the website map.

Pure (no Telegram, no database). `data/places.yaml` gives each pilot region a sanity bounding box and the gazetteer
points of the cities that `organisations.yaml` names. An organisation with a `city` is a place: its point is its
own sourced `location` when it has one (precision «address»), else its city's point (precision «city»: the bot
then says «в городе …» instead of a distance). `validate()` is part of `python -m bot check`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.services import content_base, organisations
from bot.services import regions as regions_mod
from bot.services.content import Content
from bot.services.content_base import FEDERAL, ContentError, I18n
from bot.services.geo import distance_m
from bot.services.organisations import Organisation

__all__ = [
    "PLACES_FILE",
    "City",
    "Directory",
    "Place",
    "PlacesFile",
    "load_directory",
    "load_places",
    "validate",
]

PLACES_FILE = "places.yaml"
_KEY = re.compile(r"^[a-z][a-z0-9_-]*$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BBox(_Model):
    south: float = Field(ge=-90, le=90)
    north: float = Field(ge=-90, le=90)
    west: float = Field(ge=-180, le=180)
    east: float = Field(ge=-180, le=180)

    @model_validator(mode="after")
    def _ordered(self) -> BBox:
        if self.south >= self.north or self.west >= self.east:
            raise ValueError("bbox: south must be below north and west left of east")
        return self

    def contains(self, lat: float, lon: float) -> bool:
        return self.south <= lat <= self.north and self.west <= lon <= self.east


class RegionGeo(_Model):
    admin1code: str
    bbox: BBox


class City(_Model):
    name: I18n
    region: str
    geonameid: int
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class PlacesFile(_Model):
    version: int
    gazetteer: str
    margin_deg: float = Field(ge=0)
    regions: dict[str, RegionGeo]
    cities: dict[str, City]

    @model_validator(mode="after")
    def _keys(self) -> PlacesFile:
        bad = [k for k in self.cities if not _KEY.match(k)]
        if bad:
            raise ValueError("city keys must be lower-case latin: " + ", ".join(bad))
        return self


def load_places(data_dir: Path) -> PlacesFile:
    path = Path(data_dir) / PLACES_FILE
    raw = content_base.read_yaml(path)
    try:
        return PlacesFile.model_validate(raw)
    except ValidationError as exc:
        raise ContentError(content_base.format_validation_error(PLACES_FILE, raw, exc)) from exc


def _problems(places: PlacesFile, orgs: list[Organisation], region_codes: set[str]) -> list[str]:
    errors: list[str] = []
    where = content_base.ORGANISATIONS_FILE
    for code in places.regions:
        if code not in region_codes:
            errors.append(f"{PLACES_FILE}: regions.{code}: not a region of regions.yaml")
    for key, city in places.cities.items():
        geo = places.regions.get(city.region)
        if geo is None:
            errors.append(f"{PLACES_FILE}: cities.{key}.region: {city.region!r} has no bbox in {PLACES_FILE}")
        elif not geo.bbox.contains(city.lat, city.lon):
            errors.append(f"{PLACES_FILE}: cities.{key}: the point is outside the bbox of {city.region}")
    for org in orgs:
        label = f"{where}: organisations[{org.id}]"
        if org.location is not None and org.city is None:
            errors.append(f"{label}: a `location` needs the `city` it is in")
        if org.city is None:
            continue
        city = places.cities.get(org.city)
        if city is None:
            errors.append(f"{label}.city: unknown city {org.city!r} (add it to {PLACES_FILE})")
            continue
        if org.region == FEDERAL:
            errors.append(f"{label}.city: a federal line has no city")
            continue
        if city.region != org.region:
            errors.append(f"{label}.city: {org.city!r} is in {city.region}, not in {org.region}")
        if not org.source_url:
            errors.append(f"{label}: a place needs `source_url` (the page its address and phones come from)")
        if not org.address:
            errors.append(
                f"{label}: a place needs an `address` (at least the city or district the source names)"
            )
        geo = places.regions.get(org.region)
        if geo is None:
            errors.append(f"{label}: region {org.region} has no bbox in {PLACES_FILE}")
            continue
        lat, lon = (org.location.lat, org.location.lon) if org.location else (city.lat, city.lon)
        if not geo.bbox.contains(lat, lon):
            errors.append(f"{label}: the point {lat}, {lon} is outside the bbox of {org.region}")
    return errors


def validate(data_dir: Path) -> list[str]:
    """Problems of places.yaml and of the places in organisations.yaml (an empty list: all good)."""
    try:
        places = load_places(data_dir)
        orgs = organisations.load_organisations(data_dir)
        regions = regions_mod.load_regions(data_dir)
    except ContentError as exc:
        # organisations/regions errors are reported by content.validate; report only our own file's here
        return [e for e in exc.errors if e.startswith(PLACES_FILE)]
    return _problems(places, list(orgs.organisations), {r.code for r in regions.regions})


# ------------------------------------------------------------------------------------------------
# The directory of places
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    org: Organisation
    city_key: str
    city: City
    lat: float
    lon: float
    precision: str  # "address" (the building's own sourced point) or "city" (the city's gazetteer point)

    @property
    def id(self) -> str:
        return self.org.id

    @property
    def city_level(self) -> bool:
        return self.precision == "city"


@dataclass(frozen=True)
class Nearby:
    place: Place
    metres: float


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[^\w]+", text.casefold().replace("ё", "е")) if w]


class Directory:
    """Places of the directory, built from loaded content and places.yaml."""

    def __init__(self, content: Content, places: PlacesFile) -> None:
        self.content = content
        self.geo = places
        items: list[Place] = []
        for org in content.organisations:
            if org.city is None or org.city not in places.cities:
                continue
            city = places.cities[org.city]
            if org.location is not None:
                items.append(Place(org, org.city, city, org.location.lat, org.location.lon, "address"))
            else:
                items.append(Place(org, org.city, city, city.lat, city.lon, "city"))
        self.places: tuple[Place, ...] = tuple(items)

    def get(self, place_id: str) -> Place | None:
        return next((p for p in self.places if p.id == place_id), None)

    def filtered(self, *, region: str | None = None, kind: str | None = None) -> list[Place]:
        return [
            p
            for p in self.places
            if (region is None or p.org.region == region) and (kind is None or kind in p.org.kinds)
        ]

    def cities(self, region: str | None = None) -> list[tuple[str, City]]:
        """Cities that have places (of `region`), the region's largest first as listed in places.yaml."""
        used = {p.city_key for p in self.places}
        return [
            (k, c) for k, c in self.geo.cities.items() if k in used and (region is None or c.region == region)
        ]

    def city(self, key: str) -> City | None:
        return self.geo.cities.get(key)

    def nearest(self, lat: float, lon: float, *, kind: str | None = None, limit: int = 3) -> list[Nearby]:
        """The `limit` places closest to the point (of `kind`); equal distances by priority, then name."""
        found = [Nearby(p, distance_m(lat, lon, p.lat, p.lon)) for p in self.filtered(kind=kind)]
        found.sort(key=lambda n: (round(n.metres), n.place.org.priority, n.place.org.name.ru))
        return found[:limit]

    def in_city(self, city_key: str, *, kind: str | None = None, limit: int = 3) -> list[Place]:
        found = [p for p in self.filtered(kind=kind) if p.city_key == city_key]
        found.sort(key=lambda p: (p.org.priority, p.org.name.ru))
        return found[:limit]

    def lines(self, region: str | None, *, kind: str | None = None, limit: int = 3) -> list[Organisation]:
        """The region's own phone lines without a place (a hotline has no address), by priority."""
        if not region:
            return []
        found = [
            o
            for o in self.content.organisations
            if o.region == region and o.city is None and o.phones and (kind is None or kind in o.kinds)
        ]
        found.sort(key=lambda o: (o.priority, o.name.ru))
        return found[:limit]

    def search(self, query: str, *, limit: int = 10) -> list[Place]:
        """`/place` for staff: an exact id, else places whose name, address, city or id hold every word."""
        query = query.strip()
        exact = self.get(query.lower())
        if exact is not None:
            return [exact]
        words = _words(query)
        if not words:
            return []
        hits = []
        for p in self.places:
            hay = " ".join(
                [p.id, p.org.name.ru, p.org.name.en, p.org.address or "", p.city.name.ru, p.city.name.en]
            )
            hay_words = _words(hay)
            if all(any(h.startswith(w) for h in hay_words) for w in words):
                hits.append(p)
        hits.sort(key=lambda p: (p.org.priority, p.org.name.ru))
        return hits[:limit]


def load_directory(data_dir: Path, content: Content) -> Directory:
    return Directory(content, load_places(data_dir))
