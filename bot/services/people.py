"""Who is behind an update, read in one statement: the family record (if consented), the active staff record and an
unexpired pause set by staff, and (with the FSM kept in our database) the chat's flow state. The context middleware
asks this at every update; it had been four statements (the family, the staff record, the pause, the flow state), and
each statement is a large share of an update's cost (benchmarks/README.md, issue 16)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Executable, String, and_, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import utcnow
from bot.db.models import Family, FsmRecord, Mute, Staff


@dataclass(frozen=True, slots=True)
class Person:
    family: Family | None
    staff: Staff | None
    mute: Mute | None  # unexpired at the time of reading
    fsm: FsmRecord | None = None  # the flow state's row, when its key was asked for and it exists


def _query(with_fsm: bool) -> Executable:
    """The statement, built once (at import): built at every update, its construction alone cost more CPU than
    running it (py-spy, throughput_bench: 6 % of the bot's samples against 1.4 %)."""
    me = select(
        bindparam("uid", type_=BigInteger).label("uid"), bindparam("fsm_key", type_=String).label("fsm_key")
    ).subquery()
    query = (
        select(Family, Staff, Mute)
        .select_from(me)
        .outerjoin(Family, Family.tg_user_id == me.c.uid)
        .outerjoin(Staff, and_(Staff.tg_user_id == me.c.uid, Staff.active.is_(True)))
        .outerjoin(
            Mute, and_(Mute.tg_user_id == me.c.uid, Mute.until > bindparam("now", type_=Mute.until.type))
        )
    )
    if with_fsm:
        return query.add_columns(FsmRecord).outerjoin(FsmRecord, FsmRecord.key == me.c.fsm_key)
    return query


_PERSON, _PERSON_AND_FSM = _query(False), _query(True)


async def read(
    session: AsyncSession, tg_user_id: int, now: datetime | None = None, fsm_key: str | None = None
) -> Person:
    query = _PERSON if fsm_key is None else _PERSON_AND_FSM
    params = {"uid": tg_user_id, "fsm_key": fsm_key or "", "now": now or utcnow()}
    row = (await session.execute(query, params)).first()
    if row is None:  # the one-row subquery always gives a row; kept for the type checker
        return Person(None, None, None)
    found: tuple[Any, ...] = tuple(row)
    return Person(found[0], found[1], found[2], found[3] if fsm_key is not None else None)
