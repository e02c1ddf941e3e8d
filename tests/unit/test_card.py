"""The family card's pure logic: numbers, the rules file, categories, offer matching, dates."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from bot.db.base import utcnow
from bot.services import card, card_rules
from bot.services.card_partners import matches

DATA = Path(__file__).resolve().parents[2] / "data"


def test_numbers_are_random_with_a_check_digit():
    numbers = {card.new_number() for _ in range(200)}
    assert len(numbers) == 200
    assert all(len(n) == 16 and card.luhn_ok(n) for n in numbers)
    n = next(iter(numbers))
    for i in range(16):  # every single-digit typo is caught
        typo = n[:i] + str((int(n[i]) + 1) % 10) + n[i + 1 :]
        assert not card.luhn_ok(typo)
    assert card.luhn_ok("4111111111111111") and not card.luhn_ok("4111111111111112")


def test_parse_number_accepts_spaces_dashes_and_links():
    assert card.parse_number("1234 5678-9012 3456") == "1234567890123456"
    assert card.parse_number("https://t.me/x_bot?start=card_1234567890123456") == "1234567890123456"
    assert card.parse_number("card_1234567890123456") == "1234567890123456"
    assert card.parse_number("12345") is None and card.parse_number("hello") is None


def test_rules_file_is_valid_and_categories_come_from_the_profile():
    assert card_rules.validate(DATA) == []
    rules = card_rules.read(DATA)
    assert rules.region("RU-PNZ").document_required and not rules.region("RU-SVE").document_required
    assert not rules.region("other").open
    assert rules.categories_of({}) == []  # no children, not pregnant: not eligible
    assert rules.categories_of({"children_count": 0, "pregnant": True}) == ["pregnant"]
    assert rules.categories_of({"children_count": 1}) == ["with_children"]
    assert rules.categories_of({"children_count": 4, "large_family": True, "low_income": True}) == [
        "large_family",
        "low_income",
    ]
    assert [k.id for k in rules.offer_kinds] == [
        "food",
        "children_goods",
        "health",
        "education",
        "leisure",
        "transport",
        "services",
    ]


def test_a_broken_rules_file_is_reported(tmp_path):
    (tmp_path / "card.yaml").write_text("version: 1\ncategories: []\noffer_kinds: []\nregions: {}\n")
    assert card_rules.validate(tmp_path)
    assert card_rules.validate(tmp_path / "missing") == ["card.yaml: missing"]


def test_offer_matching_by_region_and_category():
    offer = SimpleNamespace(regions=["RU-PNZ"], categories=[])
    assert matches(offer, "RU-PNZ", ["with_children"]) and not matches(offer, "RU-MOW", ["with_children"])
    targeted = SimpleNamespace(regions=[], categories=["large_family"])
    assert matches(targeted, "RU-MOW", ["large_family", "low_income"])
    assert not matches(targeted, "RU-MOW", ["with_children"])


def test_dates_and_status():
    assert card.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert card.add_months(date(2026, 11, 30), 12) == date(2027, 11, 30)
    tz = ZoneInfo("Europe/Moscow")
    end = card.end_of_day(date(2026, 12, 31), tz)
    assert card.local_date(end, tz) == date(2026, 12, 31)
    now = utcnow()
    active = SimpleNamespace(status="active", valid_until=now + timedelta(days=1), region="RU-PNZ")
    assert card.card_status(active, now) == "active"
    assert (
        card.card_status(SimpleNamespace(status="active", valid_until=now - timedelta(seconds=1)), now)
        == "expired"
    )
    assert (
        card.card_status(SimpleNamespace(status="revoked", valid_until=now + timedelta(days=9)), now)
        == "revoked"
    )
    rules = card_rules.read(DATA)
    assert card.can_renew(active, rules, now)  # within 30 days of the end
    assert not card.can_renew(
        SimpleNamespace(status="active", valid_until=now + timedelta(days=90), region="RU-PNZ"), rules, now
    )


def test_qr_png_is_a_png():
    assert card.qr_png("https://t.me/x_bot?start=card_1234567890123456").startswith(b"\x89PNG")


async def test_programme_stats_for_a_period_and_a_region(tmp_path):
    """Report figures: valid cards at the period's end (a card revoked later still counts), checks by region."""
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    from bot.db.base import Base
    from bot.db.models import CardApplication, CardCheck, FamilyCard, Partner
    from bot.services.card_partners import programme_stats

    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 's.sqlite3'}")
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    now = utcnow()
    since, until = now - timedelta(days=10), now - timedelta(days=5)
    async with async_sessionmaker(engine)() as s:
        partner = Partner(name="Тестовый партнёр")
        a, b = (
            FamilyCard(
                number=n, region=r, status="active", issued_at=now - timedelta(days=8), valid_until=now
            )
            for n, r in (("1", "RU-PNZ"), ("2", "RU-SVE"))
        )
        b.status, b.revoked_at = "revoked", now - timedelta(days=1)  # revoked after the period: valid then
        s.add_all([partner, a, b])
        await s.flush()
        s.add_all(
            [
                CardApplication(region="RU-PNZ", status="approved", created_at=since, decided_at=since),
                CardApplication(region="RU-PNZ", status="submitted", created_at=now),  # after the period
                CardCheck(
                    partner_id=partner.id,
                    member_tg_id=1,
                    card_id=a.id,
                    result="valid",
                    source="qr",
                    at=since + timedelta(days=1),
                    offer_id=None,
                ),
                CardCheck(
                    partner_id=partner.id,
                    member_tg_id=1,
                    card_id=None,
                    result="unknown",
                    source="typed",
                    at=since + timedelta(days=1),
                ),
                CardCheck(
                    partner_id=partner.id,
                    member_tg_id=1,
                    card_id=b.id,
                    result="valid",
                    source="qr",
                    at=now - timedelta(seconds=1),
                ),  # after the period
            ]
        )
        await s.flush()
        every = await programme_stats(s, since=since, until=until)
        assert every.cards_by_region == {"RU-PNZ": 1, "RU-SVE": 1}
        assert every.by_region["RU-PNZ"] == {
            "valid": 1,
            "issued": 1,
            "applications": 1,
            "approved": 1,
            "rejected": 0,
            "checks": 1,
            "redeemed": 0,
        }
        assert every.partner_rows == [("Тестовый партнёр", 2, 1, 0)]
        sve = await programme_stats(s, since=since, until=until, region="RU-SVE")
        assert sve.cards_by_region == {"RU-SVE": 1} and sve.partner_rows == []
        today = await programme_stats(s)  # the /cards screen: valid now (a has just ended, b is revoked)
        assert today.cards_by_region == {} and today.applications_waiting == 1
        assert today.checks_by_partner == {"Тестовый партнёр": (3, 0)}
    await engine.dispose()
