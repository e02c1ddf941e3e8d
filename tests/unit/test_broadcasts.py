"""Broadcast services: segments, parsing, scheduling and the recipient life cycle on a real (migrated) SQLite."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.db.base import utcnow
from bot.db.engine import make_engine, make_sessionmaker
from bot.db.migrate import upgrade_to_head
from bot.db.models import Family, TriageResult
from bot.services import broadcasts as bc
from handlers.coordinators.broadcast import parse_when


@pytest.fixture
async def session(tmp_path):
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'b.sqlite3'}")
    await upgrade_to_head(engine)
    async with make_sessionmaker(engine)() as s:
        yield s
    await engine.dispose()


async def family(session, tg: int, **fields) -> Family:
    consented = fields.pop("consented", True)
    f = Family(
        tg_user_id=tg, consent_at=utcnow() if consented else None, profile=fields.pop("profile", {}), **fields
    )
    session.add(f)
    await session.flush()
    return f


def test_family_tags_from_profile():
    profile = {
        "children_count": 3,
        "children_birth_years": [2025, 2020, 2012],
        "military": True,
        "pregnant": False,
    }
    assert bc.family_tags(profile, date(2026, 6, 1)) == {
        "large_family",
        "age_0_2",
        "age_3_6",
        "age_7_17",
        "military",
    }
    assert bc.family_tags({}, date(2026, 6, 1)) == set()


def test_parsing_buttons_polls_and_dates():
    assert bc.parse_link_buttons("Записаться | https://example.org/a\nСайт - http://example.org") == [
        ["Записаться", "https://example.org/a"],
        ["Сайт", "http://example.org"],
    ]
    with pytest.raises(bc.BroadcastError):
        bc.parse_link_buttons("без ссылки")
    assert bc.parse_poll("Да\nНет\n") == ["Да", "Нет"]
    for bad in ("Да", "Да\nДа", "\n".join(str(i) for i in range(7))):
        with pytest.raises(bc.BroadcastError):
            bc.parse_poll(bad)
    now = datetime(2026, 12, 30, 12, 0, tzinfo=ZoneInfo("Asia/Yekaterinburg"))
    assert parse_when("02.01 09:30", "Asia/Yekaterinburg", now) == datetime(
        2027, 1, 2, 9, 30, tzinfo=ZoneInfo("Asia/Yekaterinburg")
    )
    assert parse_when("31.12.2026 18:00", "Europe/Moscow", now).utcoffset() == timedelta(hours=3)
    assert parse_when("завтра", "Europe/Moscow", now) is None
    assert bc.local_zone_name({"regions": ["RU-SVE"]}, {"RU-SVE": "Asia/Yekaterinburg"}, "Europe/Moscow") == (
        "Asia/Yekaterinburg"
    )
    assert bc.local_zone_name({"regions": ["RU-SVE", "RU-PNZ"]}, {}, "Europe/Moscow") == "Europe/Moscow"


async def test_audience_respects_consent_opt_out_and_every_dimension(session):
    a = await family(session, 1, region="RU-PNZ", profile={"children_count": 4})
    b = await family(session, 2, region="RU-PNZ", language="en")
    await family(session, 3, region="RU-PNZ", broadcasts_off=True)
    await family(session, 4, region="RU-PNZ", consented=False)
    await family(session, 5, region="RU-PNZ", is_active=False)
    c = await family(session, 6, region="RU-MOW", last_seen_at=utcnow() - timedelta(days=60))
    session.add(TriageResult(family_id=c.id, category="housing", urgency="routine", route="x"))
    await session.flush()
    ids = lambda rows: [fid for fid, _ in rows]  # noqa: E731
    assert ids(await bc.audience(session, {})) == [a.id, b.id, c.id]
    assert ids(await bc.audience(session, {"regions": ["RU-PNZ"]})) == [a.id, b.id]
    assert ids(await bc.audience(session, {"profile": ["large_family"]})) == [a.id]
    assert ids(await bc.audience(session, {"languages": ["en"]})) == [b.id]
    assert ids(await bc.audience(session, {"active_days": 30})) == [a.id, b.id]
    assert ids(await bc.audience(session, {"categories": ["housing"]})) == [c.id]
    assert ids(await bc.audience(session, {"categories": ["housing"], "regions": ["RU-PNZ"]})) == []


async def test_claimed_recipients_are_never_sent_twice(session):
    f1 = await family(session, 1)
    f2 = await family(session, 2)
    await family(session, 3)
    b = await bc.create_draft(
        session, actor_tg_id=9, role="coordinator", chat_id=9, content={"kind": "text", "text": "Hi"}
    )
    await bc.schedule(session, b, at=None, zone="Europe/Moscow", actor_tg_id=9, role="coordinator")
    assert await bc.start_due(session) == [b.id]
    assert b.total == 3
    first, second, third = await bc.next_batch(session, b.id, 10)
    t1 = await bc.claim(session, first)
    assert t1 is not None and t1.chat_id == 1
    assert await bc.claim(session, first) is None  # already claimed
    await bc.mark_sent(session, first, 100)
    assert await bc.claim(session, second) is not None  # claimed, then the process «dies»
    f2.broadcasts_off = True
    assert await bc.claim(session, third) is not None
    assert await bc.retry_later(session, third, delay=0, error="500")
    assert await bc.recover(session) == 1  # the one in flight becomes unknown, not pending
    assert await bc.next_batch(session, b.id, 10) == [third]
    await bc.mark_sent(session, third, 101)
    assert await bc.finish_if_done(session, b)
    counts = await bc.counts(session, b.id)
    assert (counts["sent"], counts["unknown"], counts["pending"]) == (2, 1, 0)
    assert await bc.answer(session, b.id, f1, 0) is False  # no question on this one
    assert b.status == bc.DONE and b.finished_at is not None
    assert b.send_at <= datetime.now(UTC)
