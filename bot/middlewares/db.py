"""One database session per update; updates already handled are skipped (Telegram delivers at least once).

The claim of an update is committed in a short transaction of its own (so two copies handled at once do not
both run), and the claim is marked done in the same transaction as the update's own work (the first commit of
its session). A claim a process left unfinished (killed mid-update: nothing of the update was committed) is
taken over when Telegram delivers the update again. Until it is done the claim also keeps the update itself:
with long polling Telegram counts an update as delivered as soon as the next batch is asked for (updates are
handled as tasks meanwhile), so the polling loop claims each update before it asks (bot/dispatcher.py) and
after a kill the next process replays unfinished claims at start-up (bot/replay.py). The copy
is cleared when the update is done.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, cast

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from sqlalchemy import Table, bindparam, delete, event, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.base import utcnow
from bot.db.models import ProcessedUpdate
from bot.fsm_storage import current_session
from bot.liveness import Liveness, process_token

# The claim's «done», built once: as an ORM statement built per update it was about 6 % of the bot's CPU in
# the closed-loop benchmark (the statement's construction, its cache key, the ORM's bulk-update bookkeeping).
_PROCESSED = cast(Table, ProcessedUpdate.__table__)
_MARK_DONE = (
    update(_PROCESSED).where(_PROCESSED.c.update_id == bindparam("claimed")).values(done=True, payload=None)
)

IN_HAND_WAIT_SECONDS = 10  # a redelivered update in hand elsewhere is answered once it is done, or after this

log = logging.getLogger(__name__)


class DbSessionMiddleware(BaseMiddleware):
    def __init__(
        self, sessionmaker: async_sessionmaker, liveness: Liveness | None = None, chat_salt: bytes = b""
    ) -> None:
        self.sessionmaker = sessionmaker
        self.chat_salt = chat_salt
        self.liveness = liveness or Liveness(None, "")
        self._claimed_ahead: set[int] = set()
        self._failed_ahead: dict[int, Exception] = {}

    async def claim_ahead(self, received: Update) -> bool:
        """Long polling: claim an update before the polling loop asks for the next batch, which tells Telegram
        the batch arrived (see :class:`ClaimingDispatcher`). False: handled already or in hand; skip it."""
        if await self._claim(received):
            self._claimed_ahead.add(received.update_id)
            return True
        log.info("update %s was already handled; skipped", received.update_id)
        return False

    async def claim_batch(self, batch: list[Update], raw: Mapping[int, Any] | None = None) -> list[Update]:
        """Long polling: claim a whole batch in one transaction (one commit, not one per update); if one of them
        was claimed before (a redelivery), one by one. Returns the updates to handle, in order. ``raw``: the
        updates as Telegram sent them, by id, kept as the claims' copies (else each parsed update is dumped again)."""
        async with self.sessionmaker() as session:
            try:
                await session.execute(
                    insert(_PROCESSED), [self._row(u, (raw or {}).get(u.update_id)) for u in batch]
                )
                await session.commit()
                self._claimed_ahead.update(u.update_id for u in batch)
                return batch
            except IntegrityError:
                await session.rollback()
        return [u for u in batch if await self.claim_ahead(u)]

    def _row(self, received: Update, raw: Any = None) -> dict[str, Any]:
        """A claim's row: the copy is the update as Telegram sent it when the polling loop has it."""
        if not isinstance(raw, dict):
            raw = received.model_dump(mode="json", exclude_none=True, exclude_unset=True)
        return {
            "update_id": received.update_id,
            "at": utcnow(),
            "owner": process_token(),
            "done": False,
            "payload": raw,
            "chat_key": _chat_key(chat_of(received), self.chat_salt),
        }

    def claim_failed(self, received: Update, exc: Exception) -> None:
        """The claim could not be written (the database stayed locked or is down): the update fails as a whole
        and the family is told to try again, without a second wait for the same database."""
        self._failed_ahead[received.update_id] = exc

    async def _claim(self, received: Update) -> bool:
        """Record the update id in a short transaction of its own; False if it was handled (or is in hand)."""
        update_id = received.update_id
        async with self.sessionmaker() as session:
            try:
                await session.execute(insert(_PROCESSED), [self._row(received)])
                await session.commit()
                return True
            except IntegrityError:
                await session.rollback()
            while True:
                row = (
                    await session.execute(
                        select(ProcessedUpdate.owner, ProcessedUpdate.done).where(
                            ProcessedUpdate.update_id == update_id
                        )
                    )
                ).first()
                if row is None or row.done:
                    return False  # handled
                if update_id in self._claimed_ahead:
                    # a second copy in the same polled batch: the first is handled after the batch
                    return False
                if await self.liveness.alive(row.owner):
                    # in hand here or in another live process (a redelivery after a restart while the replay of
                    # the killed process's claims runs): answered only once it is done, so that the chat's next
                    # update, which Telegram sends after this answer, cannot overtake it (found by the kill -9
                    # relay test on two instances: a family's message reached the operators after the three that
                    # followed it)
                    if not await self._until_done(session, update_id, row.owner):
                        return False
                    continue  # its owner stopped without finishing it (a killed process's heartbeat ran out)
                taken = await session.execute(
                    update(ProcessedUpdate)
                    .where(
                        ProcessedUpdate.update_id == update_id,
                        ProcessedUpdate.done.is_(False),
                        ProcessedUpdate.owner.is_(None)
                        if row.owner is None
                        else ProcessedUpdate.owner == row.owner,
                    )
                    .values(owner=process_token(), at=utcnow())
                )
                await session.commit()
                if taken.rowcount:
                    log.warning(
                        "update %s was left unfinished by a stopped process; handling it now", update_id
                    )
                    return True
                # another process took it over first: in hand there now, the next round waits for it

    async def _until_done(self, session: AsyncSession, update_id: int, owner: str | None) -> bool:
        """Waits while the update is in hand elsewhere (at most IN_HAND_WAIT_SECONDS). True if its owner stopped
        before finishing it: the caller takes it over at once. (Waiting the whole time for a killed process whose
        heartbeat had not yet run out held the chat's next updates behind it: after a restart on two instances a
        family waited 12 s for its first answer.)"""
        deadline = time.monotonic() + IN_HAND_WAIT_SECONDS
        while time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            done = await session.scalar(
                select(ProcessedUpdate.done).where(ProcessedUpdate.update_id == update_id)
            )
            await session.rollback()  # a fresh snapshot for the next look
            if done is None or done:
                return False
            if not await self.liveness.alive(owner):
                return True
        return False

    async def _release(self, update_id: int) -> None:
        async with self.sessionmaker() as session:
            await session.execute(
                delete(ProcessedUpdate).where(
                    ProcessedUpdate.update_id == update_id, ProcessedUpdate.done.is_(False)
                )
            )
            await session.commit()

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event_: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event_, Update)
        update_id = event_.update_id
        failed = self._failed_ahead.pop(update_id, None)
        if failed is not None:
            raise failed
        if update_id in self._claimed_ahead:
            self._claimed_ahead.discard(update_id)
        elif not await self._claim(event_):
            log.info("update %s was already handled; skipped", update_id)
            return None
        async with self.sessionmaker() as session:

            def mark_done(sync_session: Any) -> None:
                # Runs inside the first commit of the update's session: its work and "done" land together.
                sync_session.connection().execute(_MARK_DONE, {"claimed": update_id})

            event.listen(session.sync_session, "before_commit", mark_done, once=True)
            data["session"] = session
            token = current_session.set(session)
            try:
                result = await handler(event_, data)
                await session.commit()
            except Exception:
                await session.rollback()
                await self._release(update_id)
                raise
            finally:
                current_session.reset(token)
            return result


def _chat_key(chat_id: int | None, salt: bytes) -> int | None:
    """The chat as a keyed hash (63 bits): claims can be matched by chat without keeping the Telegram id."""
    if chat_id is None:
        return None
    digest = hmac.new(salt, str(chat_id).encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def chat_of(received: Update) -> int | None:
    try:
        event_ = received.event
    except Exception:  # an update type aiogram does not know
        return None
    chat = getattr(event_, "chat", None) or getattr(getattr(event_, "message", None), "chat", None)
    if chat is not None:
        return chat.id
    user = getattr(event_, "from_user", None)
    return user.id if user is not None else None


def _is_screen(payload: dict[str, Any]) -> bool:
    """A button press or a command: it draws a screen, which a later update of the chat has replaced."""
    return "callback_query" in payload or str(payload.get("message", {}).get("text", "")).startswith("/")
