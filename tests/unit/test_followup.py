"""Support-measure follow-ups (bot/services/followup.py) on a real SQLite file, migrated like production."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.db.base import utcnow
from bot.db.engine import make_engine, make_sessionmaker
from bot.db.migrate import upgrade_to_head
from bot.db.models import Family, FollowUp
from bot.services import followup, privacy

AFTER = timedelta(days=14)
IDS = ["matkapital", "edinoe-posobie"]


@pytest.fixture
async def session(tmp_path):
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'f.sqlite3'}")
    await upgrade_to_head(engine)
    async with make_sessionmaker(engine)() as s:
        yield s
    await engine.dispose()


async def add_family(session, tg_user_id: int, *, consented: bool = True, **fields) -> Family:
    family = Family(
        tg_user_id=tg_user_id, language="ru", profile={}, consent_at=utcnow() if consented else None
    )
    for key, value in fields.items():
        setattr(family, key, value)
    session.add(family)
    await session.flush()
    return family


async def rows(session, family: Family) -> list[FollowUp]:
    return list(
        (
            await session.scalars(
                select(FollowUp).where(FollowUp.family_id == family.id).order_by(FollowUp.id)
            )
        ).all()
    )


async def test_one_pending_per_family_updated_by_new_results(session):
    anna = await add_family(session, 1)
    now = utcnow()
    first = await followup.schedule(session, anna, IDS, "RU-PNZ", after=AFTER, now=now)
    assert first is not None and first.status == "pending" and first.due_at == now + AFTER
    later = now + timedelta(days=3)
    second = await followup.schedule(
        session, anna, ["semeynaya-ipoteka", "semeynaya-ipoteka"], None, after=AFTER, now=later
    )
    assert second is not None and second.id == first.id
    [row] = await rows(session, anna)
    assert row.measure_ids == ["semeynaya-ipoteka"] and row.due_at == later + AFTER and row.region is None


async def test_nothing_scheduled_without_consent_with_reminders_off_or_without_results(session):
    olga = await add_family(session, 2, consented=False)
    quiet = await add_family(session, 3, reminders_off=True)
    anna = await add_family(session, 4)
    assert await followup.schedule(session, olga, IDS, None, after=AFTER) is None
    assert await followup.schedule(session, quiet, IDS, None, after=AFTER) is None
    assert await followup.schedule(session, anna, [], None, after=AFTER) is None
    assert await session.scalar(select(func.count()).select_from(FollowUp)) == 0


async def test_due_ones_are_claimed_once_and_ineligible_ones_are_cancelled_or_closed(session):
    now = utcnow()
    anna = await add_family(session, 5, discreet=True, language="en")
    quiet = await add_family(session, 6)
    gone = await add_family(session, 7)
    future = await add_family(session, 8)
    for family in (anna, quiet, gone):
        await followup.schedule(
            session, family, IDS, "RU-PNZ", after=AFTER, now=now - AFTER - timedelta(seconds=1)
        )
    await followup.schedule(session, future, IDS, "RU-PNZ", after=AFTER, now=now)
    quiet.reminders_off = True  # switched off behind the service's back: the scan still respects it
    gone.is_active = False  # the family blocked the bot
    await session.flush()

    claimed = await followup.claim_due(session, now=now)
    assert [(d.tg_user_id, d.language, d.discreet, d.measure_ids) for d in claimed] == [(5, "en", True, IDS)]
    assert [r.status for r in await rows(session, anna)] == ["sent"]
    assert (await rows(session, anna))[0].sent_at is not None
    assert [r.status for r in await rows(session, quiet)] == ["cancelled"]
    assert [r.status for r in await rows(session, gone)] == ["closed"]
    assert [r.status for r in await rows(session, future)] == ["pending"]
    await session.commit()
    assert await followup.claim_due(session, now=now) == []  # never twice
    assert [d.tg_user_id for d in await followup.claim_due(session, now=now + AFTER)] == [8]


async def test_switching_reminders_off_cancels_the_pending_one(session):
    anna = await add_family(session, 9)
    await followup.schedule(session, anna, IDS, None, after=AFTER)
    assert await followup.set_reminders(session, anna, off=True) == 1
    assert anna.reminders_off and [r.status for r in await rows(session, anna)] == ["cancelled"]
    assert await followup.schedule(session, anna, IDS, None, after=AFTER) is None
    await followup.set_reminders(session, anna, off=False)
    assert await followup.schedule(session, anna, IDS, None, after=AFTER) is not None


async def test_answers_and_reasons_are_recorded_once_and_only_by_their_family(session):
    now = utcnow()
    anna = await add_family(session, 10)
    boris = await add_family(session, 11)
    fu = await followup.schedule(session, anna, IDS, "RU-PNZ", after=AFTER, now=now - AFTER)
    assert (
        await followup.record_answer(session, anna, fu.id, "not_applied")
    ).outcome == "stale"  # not asked yet
    await followup.claim_due(session, now=now)
    assert (await followup.record_answer(session, boris, fu.id, "got_it")).outcome == "unknown"
    assert (await followup.record_answer(session, None, fu.id, "got_it")).outcome == "unknown"
    assert (await followup.record_answer(session, anna, fu.id, "maybe")).outcome == "unknown"
    assert (await followup.record_answer(session, anna, 999, "got_it")).outcome == "unknown"
    assert (
        await followup.record_reason(session, anna, fu.id, "documents")
    ).outcome == "stale"  # no answer yet
    assert (await followup.record_answer(session, anna, fu.id, "not_applied")).ok
    assert (await followup.record_answer(session, anna, fu.id, "got_it")).outcome == "already"
    assert (await followup.record_reason(session, anna, fu.id, "laziness")).outcome == "unknown"
    assert (await followup.record_reason(session, boris, fu.id, "documents")).outcome == "unknown"
    assert (await followup.record_reason(session, anna, fu.id, "documents")).ok
    assert (await followup.record_reason(session, anna, fu.id, "no_time")).outcome == "already"
    [row] = await rows(session, anna)
    assert (row.status, row.answer, row.reason) == ("answered", "not_applied", "documents")
    assert row.answered_at is not None

    # a reason only follows «did not apply»
    fu2 = await followup.schedule(session, boris, IDS, None, after=AFTER, now=now - AFTER)
    await followup.claim_due(session, now=now)
    assert (await followup.record_answer(session, boris, fu2.id, "got_it")).ok
    assert (await followup.record_reason(session, boris, fu2.id, "other")).outcome == "stale"


async def test_a_family_just_asked_is_not_asked_again_soon(session):
    now = utcnow()
    anna = await add_family(session, 12)
    await followup.schedule(session, anna, IDS, None, after=AFTER, now=now - AFTER)
    await followup.claim_due(session, now=now)
    assert await followup.schedule(session, anna, IDS, None, after=AFTER, now=now + timedelta(days=1)) is None
    again = await followup.schedule(
        session, anna, IDS, None, after=AFTER, now=now + AFTER + timedelta(days=1)
    )
    assert again is not None and [r.status for r in await rows(session, anna)] == ["sent", "pending"]


async def test_release_and_undeliverable(session):
    now = utcnow()
    anna = await add_family(session, 13)
    fu = await followup.schedule(session, anna, IDS, None, after=AFTER, now=now - AFTER)
    [due] = await followup.claim_due(session, now=now)
    await followup.release(session, due.id)
    await session.refresh(fu)
    assert (fu.status, fu.sent_at) == ("pending", None)
    [due] = await followup.claim_due(session, now=now)
    await followup.undeliverable(session, due.id, blocked=True)
    await session.refresh(fu)
    await session.refresh(anna)
    assert (fu.status, fu.sent_at, anna.is_active) == ("closed", None, False)
    await followup.release(session, due.id)  # a closed one is never put back
    await session.refresh(fu)
    assert fu.status == "closed"


async def test_export_erase_and_the_non_take_up_report(session):
    now = utcnow()
    anna = await add_family(session, 14)
    boris = await add_family(session, 15)
    for family, answer in ((anna, "not_applied"), (boris, "got_it")):
        fu = await followup.schedule(session, family, IDS, "RU-PNZ", after=AFTER, now=now - AFTER)
        await followup.claim_due(session, now=now)
        await followup.record_answer(session, family, fu.id, answer)
    await followup.record_reason(session, anna, (await rows(session, anna))[0].id, "didnt_know_how")

    report = await followup.non_take_up(session)
    assert report["asked"] == 2 and report["answered"] == 2
    assert report["answers"] == {"got_it": 1, "applied_waiting": 0, "refused": 0, "not_applied": 1}
    assert report["reasons"]["didnt_know_how"] == 1 and report["reasons"]["documents"] == 0
    assert report["per_measure"]["matkapital"] == {"not_applied": 1, "got_it": 1}
    assert (await followup.non_take_up(session, region="RU-MOW"))["asked"] == 0

    data = await privacy.export(session, anna)
    [item] = data["support_measure_followups"]
    assert item["measures"] == IDS and item["answer"] == "not_applied" and item["reason"] == "didnt_know_how"
    await privacy.erase(session, anna)
    await session.commit()
    remaining = (await session.scalars(select(FollowUp.family_id))).all()
    assert remaining == [boris.id]
