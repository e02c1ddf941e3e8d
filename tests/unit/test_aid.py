"""Material help and volunteers: the services' statuses, races and figures on a real (migrated) SQLite."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.db.base import utcnow
from bot.db.engine import make_engine, make_sessionmaker
from bot.db.migrate import upgrade_to_head
from bot.db.models import AidRequest, AuditLog, Case, Family
from bot.db.statuses import AidStatus, AssignmentStatus, VolunteerStatus
from bot.services import aid, privacy, volunteers
from bot.services.aid import AidError
from bot.services.volunteers import VolunteerError


@pytest.fixture
async def session(tmp_path):
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'a.sqlite3'}")
    await upgrade_to_head(engine)
    async with make_sessionmaker(engine)() as s:
        yield s
    await engine.dispose()


async def family(session, tg: int, region: str = "RU-PNZ") -> Family:
    f = Family(tg_user_id=tg, consent_at=utcnow(), region=region, profile={})
    session.add(f)
    await session.flush()
    return f


async def volunteer(session, tg: int, region: str = "RU-PNZ", skills=("drive",)):
    return await volunteers.sign_up(
        session,
        tg_user_id=tg,
        name=f"v{tg}",
        language="ru",
        region=region,
        city="Пенза",
        skills=list(skills),
        availability="вечером",
    )


async def actions(session) -> list[str]:
    return [
        row.action for row in (await session.execute(AuditLog.__table__.select().order_by(AuditLog.id))).all()
    ]


async def test_a_request_goes_its_way_and_every_step_is_audited(session):
    f = await family(session, 1)
    req, crisis = await aid.create(
        session, f, items=["pram", "nonsense"], details=" девочка 4 мес ", city="Пенза", urgency="soon"
    )
    assert (
        crisis is None
        and req.items == ["pram"]
        and req.details == "девочка 4 мес"
        and req.route == "coordinators"
    )
    with pytest.raises(ValueError):
        await aid.create(session, f, items=["nonsense"], details="", city="", urgency="soon")
    with pytest.raises(AidError):  # nobody took it yet
        await aid.move(session, req, AidStatus.HANDED, actor_tg_id=9, role="coordinator")
    assert await aid.take(session, req.id, actor_tg_id=9, actor_name="Елена", role="coordinator")
    assert not await aid.take(session, req.id, actor_tg_id=8, actor_name="Марина", role="coordinator")
    await session.refresh(req)
    assert (req.status, req.taken_by, req.taken_by_name) == (AidStatus.TAKEN, 9, "Елена")
    await aid.move(session, req, AidStatus.COLLECTING, actor_tg_id=9, role="coordinator")
    await aid.move(
        session,
        req,
        AidStatus.READY,
        actor_tg_id=9,
        role="coordinator",
        pickup="ул. Ленина, 1, 10–18",
        place_id="p1",
    )
    assert (req.pickup, req.place_id) == ("ул. Ленина, 1, 10–18", "p1")
    await aid.move(session, req, AidStatus.HANDED, actor_tg_id=9, role="volunteer")
    assert req.handed_at is not None and req.closed_at is None
    await aid.move(session, req, AidStatus.CLOSED, actor_tg_id=1, role="family")
    assert req.closed_at is not None
    with pytest.raises(AidError):  # closed is the end
        await aid.move(session, req, AidStatus.TAKEN, actor_tg_id=1, role="family")
    assert await aid.open_of_family(session, f.id) == []
    logged = await actions(session)
    assert logged.count("aid.status") == 4 and "aid.opened" in logged and logged.count("aid.taken") == 1


async def test_a_stale_read_cannot_overwrite_a_newer_status(session):
    f = await family(session, 1)
    req, _ = await aid.create(session, f, items=["cot"], details="", city="Пенза", urgency="urgent")
    assert await aid.take(session, req.id, actor_tg_id=9, actor_name="Елена", role="coordinator")
    await session.refresh(req)
    stale = AidRequest(id=req.id, status=AidStatus.TAKEN)  # what another coordinator's screen read
    await aid.move(session, req, AidStatus.UNMET, actor_tg_id=9, role="coordinator", reason="no_stock")
    with pytest.raises(AidError):
        await aid.move(session, stale, AidStatus.COLLECTING, actor_tg_id=8, role="coordinator")
    await session.refresh(req)
    assert (req.status, req.unmet_reason) == (AidStatus.UNMET, "no_stock")


async def test_the_list_puts_the_most_urgent_first_and_filters_by_region(session):
    a, b = await family(session, 1), await family(session, 2, region="RU-SVE")
    r1, _ = await aid.create(session, a, items=["food"], details="", city="Пенза", urgency="routine")
    r2, _ = await aid.create(session, a, items=["shoes"], details="", city="Пенза", urgency="urgent")
    r3, _ = await aid.create(session, b, items=["clothes"], details="", city="Екатеринбург", urgency="soon")
    assert [r.id for r in await aid.open_list(session)] == [r2.id, r3.id, r1.id]
    assert [r.id for r in await aid.open_list(session, "RU-SVE")] == [r3.id]
    assert await aid.open_regions(session) == ["RU-PNZ", "RU-SVE"]


async def test_the_crisis_centre_handles_it_when_the_family_has_an_open_crisis_request(session):
    f = await family(session, 1)
    case = Case(family_id=f.id, region=f.region, tier=3, status="queued", urgency="emergency")
    session.add(case)
    await session.flush()
    req, crisis = await aid.create(
        session, f, items=["clothes"], details="5 и 7 лет", city="Пенза", urgency="urgent"
    )
    assert crisis is not None and crisis.id == case.id and req.route == "crisis"


async def test_volunteers_are_decided_once_tasks_only_for_the_approved_and_answers_in_order(session):
    v = await volunteer(session, 100, skills=("drive", "bogus", "it"))
    assert v.skills == ["drive", "it"] and v.status == VolunteerStatus.APPLIED
    assert v.consent_version == volunteers.CONSENT_VERSION
    with pytest.raises(VolunteerError):  # not approved yet
        await volunteers.assign(session, v, kind="aid", target_id=1, actor_tg_id=9, role="coordinator")
    assert await volunteers.active(session, 100) is None
    assert await volunteers.decide(session, v.id, approve=True, actor_tg_id=9, role="coordinator") is not None
    assert await volunteers.decide(session, v.id, approve=False, actor_tg_id=8, role="coordinator") is None
    await session.refresh(v)
    assert (v.status, v.decided_by) == (VolunteerStatus.APPROVED, 9)
    assert await volunteers.active(session, 100) is not None

    with pytest.raises(ValueError):
        await volunteers.assign(session, v, kind="party", target_id=1, actor_tg_id=9, role="coordinator")
    task = await volunteers.assign(session, v, kind="aid", target_id=7, actor_tg_id=9, role="coordinator")
    again = await volunteers.assign(session, v, kind="aid", target_id=7, actor_tg_id=9, role="coordinator")
    assert again.id == task.id  # the same open task is not offered twice
    with pytest.raises(VolunteerError):  # done before accepting
        await volunteers.answer(session, v, task, AssignmentStatus.DONE)
    await volunteers.answer(session, v, task, AssignmentStatus.ACCEPTED)
    with pytest.raises(VolunteerError):  # declining what was accepted
        await volunteers.answer(session, v, task, AssignmentStatus.DECLINED)
    await volunteers.answer(session, v, task, AssignmentStatus.DONE)
    assert task.status == AssignmentStatus.DONE and task.done_at is not None

    other = await volunteer(session, 200)
    assert await volunteers.task_of(session, other, task.id) is None  # never another volunteer's task

    await volunteers.set_paused(session, v, True)
    assert v.status == VolunteerStatus.PAUSED
    with pytest.raises(VolunteerError):
        await volunteers.assign(session, v, kind="aid", target_id=8, actor_tg_id=9, role="coordinator")
    with pytest.raises(VolunteerError):
        await volunteers.set_paused(session, v, True)
    await volunteers.set_paused(session, v, False)
    assert v.status == VolunteerStatus.APPROVED

    assert [x.id for x in await volunteers.listing(session, status=VolunteerStatus.APPROVED, skill="it")] == [
        v.id
    ]
    assert await volunteers.listing(session, status=VolunteerStatus.APPROVED, region="RU-SVE") == []
    assert (await volunteers.counts(session))["applied"] == 1


async def test_figures_count_kinds_regions_time_to_fulfil_and_what_was_not_met(session):
    a, b = await family(session, 1), await family(session, 2, region="RU-SVE")
    done, _ = await aid.create(
        session, a, items=["pram", "clothes"], details="", city="Пенза", urgency="soon"
    )
    unmet, _ = await aid.create(session, b, items=["cot"], details="", city="Екатеринбург", urgency="routine")
    await aid.create(session, b, items=["food"], details="", city="Екатеринбург", urgency="routine")
    for req in (done, unmet):
        assert await aid.take(session, req.id, actor_tg_id=9, actor_name="Е", role="coordinator")
        await session.refresh(req)
    done.created_at = utcnow() - timedelta(hours=30)
    await session.flush()
    await aid.move(session, done, AidStatus.HANDED, actor_tg_id=9, role="coordinator")
    await aid.move(session, done, AidStatus.CLOSED, actor_tg_id=1, role="family")
    await aid.move(session, unmet, AidStatus.UNMET, actor_tg_id=9, role="coordinator", reason="no_volunteer")
    since, until = utcnow() - timedelta(days=2), utcnow() + timedelta(minutes=1)
    fig = await aid.figures(session, since, until, None)
    assert (fig.requests, fig.closed, fig.unmet, fig.open) == (3, 1, 1, 1)
    assert fig.by_item == {"pram": 1, "clothes": 1, "cot": 1, "food": 1}
    assert fig.by_region == {"RU-PNZ": 1, "RU-SVE": 2}
    assert fig.unmet_by_item == {"cot": 1} and fig.unmet_by_reason == {"no_volunteer": 1}
    assert fig.fulfil_median_h is not None and 29.9 < fig.fulfil_median_h < 30.1
    only_sve = await aid.figures(session, since, until, "RU-SVE")
    assert only_sve.requests == 2 and only_sve.closed == 0


async def test_forget_leaves_only_anonymous_figures_and_cancels_open_tasks(session):
    f = await family(session, 1)
    req, _ = await aid.create(
        session, f, items=["pram"], details="девочка 4 мес", city="Пенза", urgency="soon"
    )
    assert await aid.take(session, req.id, actor_tg_id=9, actor_name="Е", role="coordinator")
    v = await volunteer(session, 100)
    await volunteers.decide(session, v.id, approve=True, actor_tg_id=9, role="coordinator")
    await session.refresh(v)
    task = await volunteers.assign(
        session, v, kind="aid", target_id=req.id, actor_tg_id=9, role="coordinator"
    )
    exported = await privacy.export(session, f)
    assert exported["material_help"][0]["details"] == "девочка 4 мес"
    counts = await privacy.erase(session, f)
    assert counts["material_help"] == 1
    await session.refresh(req)
    await session.refresh(task)
    assert (req.family_id, req.details, req.city, req.status) == (None, None, "", AidStatus.CANCELLED)
    assert req.items == ["pram"] and req.region == "RU-PNZ"  # the figures stay
    assert task.status == AssignmentStatus.CANCELLED
