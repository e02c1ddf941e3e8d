"""What is past its review date: every dated item of data/, in the order coordinators read it."""

from __future__ import annotations

from datetime import date

from bot.services import content_review as cr
from bot.services import measures as ms

DATA = ms.DEFAULT_DATA_DIR


def test_every_dated_item_is_listed():
    items = cr.review_items(DATA)
    keys = {i.key for i in items}
    cat = ms.load_catalogue(DATA)
    assert {f"measure:{mid}" for mid in cat.measures} <= keys
    assert {"reference:pm_2026", "reference:federal_2026"} <= keys
    assert any(k.startswith("organisation:") for k in keys)
    assert len(keys) == len(items)  # one key per item


def test_nothing_is_past_review_on_the_day_of_the_recheck():
    items = cr.review_items(DATA)
    assert cr.past_review(items, date(2026, 12, 5)) == []
    assert "nothing is past its review date on 2026-12-05" in cr.stale_report(items, date(2026, 12, 5))


def test_the_review_day_itself_is_still_in_time():
    items = cr.review_items(DATA)
    matcap = cr.find(items, "matkapital")
    assert matcap is not None and matcap.review_by == date(2027, 2, 1)
    assert matcap not in cr.past_review(items, date(2027, 2, 1))
    assert matcap in cr.past_review(items, date(2027, 2, 2))


def test_measures_come_first_then_oldest():
    late = cr.past_review(cr.review_items(DATA), date(2027, 3, 1))
    kinds = [i.kind for i in late]
    assert kinds == sorted(kinds, key=cr.KINDS.index)
    measures = [i for i in late if i.kind == "measure"]
    assert [i.review_by for i in measures] == sorted(i.review_by for i in measures)
    report = cr.stale_report(late, date(2027, 3, 1))
    assert report.startswith(f"{len(late)} item(s) past their review date on 2027-03-01")
    assert (
        "- measure:matkapital (measures/matkapital.yaml): review_by 2027-02-01; check: https://sfr.gov.ru/"
        in report
    )


def test_find_by_key_or_unambiguous_id():
    items = cr.review_items(DATA)
    assert cr.find(items, "measure:matkapital").id == "matkapital"
    assert cr.find(items, "nothing") is None
    twins = [
        cr.ReviewItem("measure:x", "measure", "X", "f", date(2027, 1, 1), ""),
        cr.ReviewItem("organisation:x", "organisation", "X", "f", date(2027, 1, 1), ""),
    ]
    assert cr.find(twins, "x") is None and cr.find(twins, "organisation:x") is twins[1]


def test_week_keys():
    assert cr.week_key(date(2027, 2, 13)) == "2027-W06"
    assert (
        cr.week_key(date(2027, 1, 1)) == "2026-W53"
    )  # ISO weeks: 1 January 2027 is in the last week of 2026
