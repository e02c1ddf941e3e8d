"""Events: atomic seats, the waiting list's order, a series in the region's zone, reminders' local times, the .ics
file, erasure; on a real (migrated) SQLite."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.db.base import utcnow
from bot.db.engine import make_engine, make_sessionmaker
from bot.db.migrate import upgrade_to_head
from bot.db.models import Event, EventRegistration, Family
from bot.db.statuses import RegistrationStatus
from bot.services import broadcasts, clock, events, privacy
from bot.services.event_times import day_before_at, due_reminder, ics, series_starts
from bot.services.events import Draft, EventError
from bot.views import events as views

YEKB = ZoneInfo("Asia/Yekaterinburg")


def catalog():
    from bot.config import ROOT
    from bot.services.catalog import load_catalog

    return load_catalog(ROOT / "data")


MSK = ZoneInfo("Europe/Moscow")


@pytest.fixture
async def db(tmp_path):
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'e.sqlite3'}")
    await upgrade_to_head(engine)
    yield make_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
async def session(db):
    async with db() as s:
        yield s


@pytest.fixture(autouse=True)
def clock_at_zero():
    yield
    clock.set_offset_days(0)


async def family(session, tg: int, region: str = "RU-SVE", profile: dict | None = None) -> Family:
    f = Family(tg_user_id=tg, consent_at=utcnow(), region=region, profile=profile or {})
    session.add(f)
    await session.flush()
    return f


def draft(**kw) -> Draft:
    base = dict(
        title="Клуб молодых мам",
        description="Чай и разговоры",
        kind="club",
        region="RU-SVE",
        city="Екатеринбург",
        first_day=date.today() + timedelta(days=10),
        at=time(18, 30),
        sessions=1,
        seats=2,
        address="ул. Ленина, 1",
    )
    base.update(kw)
    return Draft(**base)  # type: ignore[arg-type]


async def one_event(session, **kw) -> Event:
    [ev] = await events.create_series(session, draft(**kw), YEKB, actor_tg_id=1, role="coordinator")
    return ev


# --- times ------------------------------------------------------------------------------------------------------


def test_a_weekly_series_keeps_the_local_wall_clock_and_is_stored_in_utc():
    starts = series_starts(date(2027, 3, 1), time(18, 0), YEKB, 3)
    assert starts == [
        datetime(2027, 3, 1, 13, 0, tzinfo=UTC),
        datetime(2027, 3, 8, 13, 0, tzinfo=UTC),
        datetime(2027, 3, 15, 13, 0, tzinfo=UTC),
    ]
    # a zone with a DST change: the local hour stays, the UTC hour moves
    berlin = ZoneInfo("Europe/Berlin")
    a, b = series_starts(date(2027, 3, 22), time(18, 0), berlin, 2)
    assert (a.hour, b.hour) == (17, 16)
    with pytest.raises(ValueError):
        series_starts(date(2027, 3, 1), time(18, 0), YEKB, 21)


def test_reminders_fall_on_local_times_of_the_region():
    starts = datetime(2027, 3, 10, 14, 0, tzinfo=UTC)  # 19:00 in Yekaterinburg, 17:00 in Moscow
    assert day_before_at(starts, YEKB) == datetime(2027, 3, 9, 13, 0, tzinfo=UTC)  # 18:00 local on the 9th
    assert day_before_at(starts, MSK) == datetime(2027, 3, 9, 15, 0, tzinfo=UTC)
    assert due_reminder(starts, YEKB, datetime(2027, 3, 9, 12, 59, tzinfo=UTC)) is None
    assert due_reminder(starts, YEKB, datetime(2027, 3, 9, 13, 0, tzinfo=UTC)) == "day"
    assert due_reminder(starts, YEKB, datetime(2027, 3, 10, 11, 59, tzinfo=UTC)) == "day"
    assert due_reminder(starts, YEKB, datetime(2027, 3, 10, 12, 0, tzinfo=UTC)) == "soon"
    assert due_reminder(starts, YEKB, starts) is None


def test_the_ics_file_has_the_event_in_utc_escaped_and_folded():
    data = ics(
        uid="event-7@semeynoe-okno",
        title="Школа для родителей; встреча 1, «сон»",
        starts_at=datetime(2027, 3, 10, 14, 0, tzinfo=UTC),
        duration_min=90,
        location="Екатеринбург, ул. Ленина, 1",
        description="Очень длинное описание " * 10,
        stamp=datetime(2027, 3, 1, tzinfo=UTC),
    ).decode()
    lines = data.split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR" and data.endswith("END:VCALENDAR\r\n")
    assert "DTSTART:20270310T140000Z" in lines and "DTEND:20270310T153000Z" in lines
    unfolded = data.replace("\r\n ", "").split("\r\n")
    assert "SUMMARY:Школа для родителей\\; встреча 1\\, «сон»" in unfolded
    assert all(len(line.encode()) <= 75 for line in lines)
    assert any(line.startswith(" ") for line in lines)  # the description was folded


# --- seats and the waiting list ----------------------------------------------------------------------------------


async def test_seats_fill_then_the_waiting_list_is_promoted_in_its_order(session):
    ev = await one_event(session, seats=2)
    fams = [await family(session, 100 + i) for i in range(5)]
    regs = [await events.register(session, ev, f) for f in fams]
    assert [r.status for r in regs] == ["registered", "registered", "waiting", "waiting", "waiting"]
    assert ev.taken == 2
    assert [await events.waiting_position(session, r) for r in regs[2:]] == [1, 2, 3]
    # the same family again: nothing changes
    assert (await events.register(session, ev, fams[0])).id == regs[0].id
    # the second of the waiting list leaves: the order of the others holds
    assert await events.cancel(session, regs[3], actor_tg_id=fams[3].tg_user_id) is None
    promoted = await events.cancel(session, regs[0], actor_tg_id=fams[0].tg_user_id)
    assert promoted is not None and promoted.id == regs[2].id and promoted.status == "registered"
    assert await events.claim_promotion(session, promoted.id)  # told once: by the handler or the job
    assert not await events.claim_promotion(session, promoted.id)
    assert not await events.claim_promotion(session, regs[1].id)  # registered directly: nothing to tell
    promoted = await events.cancel(session, regs[1], actor_tg_id=fams[1].tg_user_id)
    assert promoted is not None and promoted.id == regs[4].id
    await session.refresh(ev)
    assert ev.taken == 2
    # nobody waiting: the seat is free again
    assert await events.cancel(session, regs[2], actor_tg_id=fams[2].tg_user_id) is None
    await session.refresh(ev)
    assert ev.taken == 1
    with pytest.raises(EventError):
        await events.cancel(session, regs[2], actor_tg_id=fams[2].tg_user_id)
    # a family that cancelled registers again: at the end of the queue
    again = await events.register(session, ev, fams[0])
    assert again.id == regs[0].id and again.status == "registered"


async def test_the_last_seat_goes_to_exactly_one_of_many_families_at_once(db):
    async with db() as s:
        ev = await one_event(s, seats=1)
        ids = [(await family(s, 200 + i)).id for i in range(6)]
        await s.commit()

    async def one(fid: int) -> str:
        async with db() as s:
            f = await s.get(Family, fid)
            e = await s.get(Event, ev.id)
            for _attempt in range(50):
                try:
                    reg = await events.register(s, e, f)
                    await s.commit()
                    return reg.status
                except Exception:  # SQLite: the database is locked by another writer; try again
                    await s.rollback()
                    await asyncio.sleep(0.05)
            raise AssertionError("never registered")

    statuses = await asyncio.gather(*(one(fid) for fid in ids))
    assert sorted(statuses) == ["registered"] + ["waiting"] * 5
    async with db() as s:
        assert (await s.get(Event, ev.id)).taken == 1


async def test_registration_closes_and_a_cancelled_event_takes_no_one(session):
    ev = await one_event(session, first_day=date.today() + timedelta(days=2), close_before_min=1440)
    f = await family(session, 300)
    clock.set_offset_days(1.99)  # past «a day before»
    with pytest.raises(EventError) as err:
        await events.register(session, ev, f)
    assert err.value.reason == "closed"
    clock.set_offset_days(0)
    await events.register(session, ev, f)
    people = await events.cancel_event(session, ev, actor_tg_id=1, role="coordinator")
    assert [p.id for p in people] == [f.id]
    with pytest.raises(EventError) as err:
        await events.register(session, ev, await family(session, 301))
    assert err.value.reason == "cancelled"


async def test_registration_opens_before_each_session_of_a_series(session):
    first_day = date.today() + timedelta(days=3)
    rows = await events.create_series(
        session, draft(first_day=first_day, sessions=3, open_before_days=7), YEKB, actor_tg_id=1, role="c"
    )
    # the first session is less than a week ahead: open now; the later ones open a week before each
    assert events.registration_open(rows[0]) and not events.registration_open(rows[2])
    assert rows[2].reg_opens_at == rows[2].starts_at - timedelta(days=7)
    f = await family(session, 310)
    with pytest.raises(EventError) as err:
        await events.register(session, rows[2], f)
    assert err.value.reason == "not_yet"
    clock.set_offset_days(((rows[2].reg_opens_at - datetime.now(UTC)).total_seconds() + 60) / 86400)
    assert (await events.register(session, rows[2], f)).status == "registered"


async def test_a_family_registers_for_every_open_session_of_a_series(session):
    rows = await events.create_series(session, draft(sessions=4, seats=1), YEKB, actor_tg_id=1, role="c")
    first, second = await family(session, 320), await family(session, 321)
    await events.register(session, rows[1], first)  # the second session is full for the other family
    await events.cancel_event(session, rows[3], actor_tg_id=1, role="c")  # a cancelled one is left out
    done = await events.register_series(session, rows[0], second)
    assert [(ev.id, reg.status) for ev, reg in done] == [
        (rows[0].id, "registered"),
        (rows[1].id, "waiting"),
        (rows[2].id, "registered"),
    ]
    again = await events.register_series(session, rows[2], second)  # nothing changes the second time
    assert [reg.id for _ev, reg in again] == [reg.id for _ev, reg in done]
    from bot.config import ROOT
    from bot.i18n import locale_scope, make_i18n

    with locale_scope(make_i18n(ROOT / "locales", "ru"), "ru"):
        name, data = views.ics_file([ev for ev, _reg in done], catalog(), "ru")
    text = data.decode().replace("\r\n ", "")
    assert text.count("BEGIN:VEVENT") == 3 and name == f"events-{rows[0].id}-{rows[2].id}.ics"
    assert "SUMMARY:Клуб молодых мам (занятие 3 из 4)" in text


async def test_a_family_sees_events_of_its_region_and_profile_only(session):
    for_all = await one_event(session)
    for_large = await one_event(session, audience=["large_family"])
    await one_event(session, region="RU-PNZ")
    plain = await family(session, 400)
    large = await family(session, 401, profile={"children_count": 3})
    assert [e.id for e in await events.upcoming_for_family(session, plain)] == [for_all.id]
    assert {e.id for e in await events.upcoming_for_family(session, large)} == {for_all.id, for_large.id}


async def test_reminders_are_claimed_once_at_the_local_times(session):
    first_day = date.today() + timedelta(days=3)
    ev = await one_event(session, first_day=first_day, at=time(19, 0))
    f = await family(session, 500)
    await events.register(session, ev, f)
    zones = {"RU-SVE": YEKB}
    assert await events.claim_due(session, zones) == []
    day = day_before_at(ev.starts_at, YEKB)
    assert day == datetime.combine(first_day - timedelta(days=1), time(18, 0), YEKB)
    clock.set_offset_days((day - datetime.now(UTC)).total_seconds() / 86400 + 0.001)
    [due] = await events.claim_due(session, zones)
    assert (due.what, due.tg_user_id) == ("day", 500)
    assert await events.claim_due(session, zones) == []  # claimed: never twice
    clock.set_offset_days(
        (ev.starts_at - timedelta(hours=2) - datetime.now(UTC)).total_seconds() / 86400 + 0.001
    )
    [due] = await events.claim_due(session, zones)
    assert due.what == "soon"
    clock.set_offset_days((ev.starts_at + timedelta(hours=3) - datetime.now(UTC)).total_seconds() / 86400)
    [due] = await events.claim_due(session, zones)
    assert due.what == "feedback"
    reg = await events.registration_of(session, ev.id, f.id)
    assert await events.set_useful(session, reg, True) and reg.useful is True


async def test_the_broadcast_audience_of_an_event_is_its_registered_families(session):
    ev = await one_event(session, seats=1)
    a, b, c = [await family(session, 600 + i) for i in range(3)]
    await events.register(session, ev, a)
    await events.register(session, ev, b)  # waiting: not in the audience
    assert [fid for fid, _d in await broadcasts.audience(session, {"event": ev.id})] == [a.id]
    assert c.id not in [fid for fid, _d in await broadcasts.audience(session, {"event": ev.id})]


async def test_a_message_about_the_event_reaches_a_family_that_turned_announcements_off(session):
    """Announcements off means no announcements; what the registered must know about their event still comes."""
    ev = await one_event(session)
    a = await family(session, 650)
    a.broadcasts_off = True
    await events.register(session, ev, a)
    await session.flush()
    assert [fid for fid, _d in await broadcasts.audience(session, {"event": ev.id})] == [a.id]
    assert a.id not in [fid for fid, _d in await broadcasts.audience(session, {"regions": [a.region]})]


async def test_reminders_off_in_the_settings_means_no_event_reminders(session):
    first_day = date.today() + timedelta(days=3)
    ev = await one_event(session, first_day=first_day, at=time(19, 0))
    f = await family(session, 660)
    f.reminders_off = True
    await events.register(session, ev, f)
    await session.flush()
    day = day_before_at(ev.starts_at, YEKB)
    clock.set_offset_days((day - datetime.now(UTC)).total_seconds() / 86400 + 0.001)
    assert await events.claim_due(session, {"RU-SVE": YEKB}) == []
    f.reminders_off = False
    await session.flush()
    [due] = await events.claim_due(session, {"RU-SVE": YEKB})
    assert (due.what, due.tg_user_id) == ("day", 660)


async def test_mydata_lists_and_forget_deletes_registrations_and_frees_the_seat(session):
    ev = await one_event(session, seats=1)
    leaving = await family(session, 700)
    waiting = await family(session, 701)
    await events.register(session, ev, leaving)
    w = await events.register(session, ev, waiting)
    exported = (await privacy.export(session, leaving))["event_registrations"]
    assert exported[0]["event"] == "Клуб молодых мам" and exported[0]["status"] == "registered"
    await privacy.erase(session, leaving)
    rows = (await session.scalars(select(EventRegistration))).all()
    assert [r.family_id for r in rows] == [waiting.id]
    await session.refresh(w)
    assert w.status == RegistrationStatus.REGISTERED and w.promoted_at is not None
    # nobody could tell the promoted family during the erasure: the job does, once
    [due] = await events.claim_due(session, {"RU-SVE": YEKB})
    assert (due.what, due.tg_user_id) == ("promoted", 701)
    assert await events.claim_due(session, {"RU-SVE": YEKB}) == []
    assert not await events.claim_promotion(session, w.id)


async def test_the_export_keeps_a_typed_formula_as_text(session):
    import io

    from openpyxl import load_workbook

    from bot.services import event_files

    ev = await one_event(session, title="=1+1 праздник", seats=1)
    sly = await family(session, 800)
    sly.display_name, sly.share_name = '=HYPERLINK("http://evil.example","x")', True
    await events.register(session, ev, sly)
    await events.register(session, ev, await family(session, 801))
    people = await events.registrants(session, ev.id)
    data = event_files.registrations_xlsx(
        ev,
        people,
        ["f", "s", "w", "c", "u", "r"],
        family=lambda f: f.display_name or str(f.id),
        status=str,
        yes_no=str,
    )
    ws = load_workbook(io.BytesIO(data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "'=1+1 праздник"
    assert rows[2][:3] == ('\'=HYPERLINK("http://evil.example","x")', "registered", None)
    assert rows[3][1:3] == ("waiting", 1)


async def test_a_discreet_family_gets_neutral_reminders_without_the_title(session):
    from bot.config import ROOT
    from bot.i18n import locale_scope, make_i18n

    first_day = date.today() + timedelta(days=3)
    ev = await one_event(session, first_day=first_day, title="Группа поддержки после насилия")
    hidden = await family(session, 900)
    hidden.discreet = True
    await events.register(session, ev, hidden)
    clock.set_offset_days(
        (day_before_at(ev.starts_at, YEKB) - datetime.now(UTC)).total_seconds() / 86400 + 0.001
    )
    [due] = await events.claim_due(session, {"RU-SVE": YEKB})
    assert due.discreet
    with locale_scope(make_i18n(ROOT / "locales", "ru"), "ru"):
        text, markup = views.discreet_note(due.what, due.event, due.reg_id, catalog())
        full = views.reminder_text(due.what, due.event, catalog(), "ru")
    assert "насилия" not in text and "насилия" in full
    assert f"{first_day:%d.%m.%Y} 18:30" in text
    assert [b.text for row in markup.inline_keyboard for b in row] == ["Открыть", "Скрыть"]
