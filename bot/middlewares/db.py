"""One database session per update; updates already handled are skipped (Telegram delivers at least once).

The claim of an update is committed in a short transaction of its own (so two copies handled at once do not
both run), and the claim is marked done in the same transaction as the update's own work (the first commit of
its session). A claim a process left unfinished (killed mid-update: nothing of the update was committed) is
taken over when Telegram delivers the update again. Until it is done the claim also keeps the update itself:
with long polling Telegram counts an update as delivered as soon as the next batch is asked for (updates are
handled as tasks meanwhile), so the polling loop claims each update before it asks (:class:`ClaimingDispatcher`)
and after a kill the next process replays unfinished claims at start-up (:func:`replay_unfinished`). The copy
is cleared when the update is done.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Dispatcher, loggers
from aiogram.dispatcher.dispatcher import DEFAULT_BACKOFF_CONFIG
from aiogram.types import TelegramObject, Update
from aiogram.utils.backoff import Backoff, BackoffConfig
from sqlalchemy import delete, event, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.db.base import utcnow
from bot.db.models import ProcessedUpdate
from bot.fsm_storage import current_session
from bot.liveness import Liveness, process_token
from bot.telegram import GetRawUpdates, parse_updates

log = logging.getLogger(__name__)
SHUTDOWN_GRACE_SECONDS = 10


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

    async def claim_batch(self, batch: list[Update]) -> list[Update]:
        """Long polling: claim a whole batch in one transaction (one commit, not one per update); if one of them
        was claimed before (a redelivery), one by one. Returns the updates to handle, in order."""
        async with self.sessionmaker() as session:
            session.add_all(self._row(u) for u in batch)
            try:
                await session.commit()
                self._claimed_ahead.update(u.update_id for u in batch)
                return batch
            except IntegrityError:
                await session.rollback()
        return [u for u in batch if await self.claim_ahead(u)]

    def _row(self, received: Update) -> ProcessedUpdate:
        return ProcessedUpdate(
            update_id=received.update_id,
            owner=process_token(),
            done=False,
            payload=received.model_dump(mode="json", exclude_none=True, exclude_unset=True),
            chat_key=_chat_key(_chat_of(received), self.chat_salt),
        )

    def claim_failed(self, received: Update, exc: Exception) -> None:
        """The claim could not be written (the database stayed locked or is down): the update fails as a whole
        and the family is told to try again, without a second wait for the same database."""
        self._failed_ahead[received.update_id] = exc

    async def _claim(self, received: Update) -> bool:
        """Record the update id in a short transaction of its own; False if it was handled (or is in hand)."""
        update_id = received.update_id
        async with self.sessionmaker() as session:
            session.add(self._row(received))
            try:
                await session.commit()
                return True
            except IntegrityError:
                await session.rollback()
            row = (
                await session.execute(
                    select(ProcessedUpdate.owner, ProcessedUpdate.done).where(
                        ProcessedUpdate.update_id == update_id
                    )
                )
            ).first()
            if row is None or row.done or await self.liveness.alive(row.owner):
                return False  # handled, or in hand here or in another live process
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
                log.warning("update %s was left unfinished by a stopped process; handling it now", update_id)
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
                sync_session.execute(
                    update(ProcessedUpdate)
                    .where(ProcessedUpdate.update_id == update_id)
                    .values(done=True, payload=None)
                )

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


def _chat_of(received: Update) -> int | None:
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


class ClaimingDispatcher(Dispatcher):
    """aiogram's dispatcher whose polling loop claims each batch of updates (rows with a copy of each, in one
    transaction) before it hands them on.

    aiogram handles updates as tasks and asks for the next batch at once, and that request is what confirms the
    batch to Telegram. Claiming in the loop means no update is confirmed before its claim is saved, so a process
    killed at any moment leaves every update it received either done or replayable at the next start. The loop is
    aiogram 3.31's ``Dispatcher._listen_updates`` with the claim added (aiogram is pinned to 3.31.x).
    """

    claims: DbSessionMiddleware | None = None

    async def emit_shutdown(self, *args: Any, **kwargs: Any) -> None:
        """Let the updates still being handled finish (up to 10 s) before the shutdown handlers run: aiogram stops
        polling without waiting for them, and its first shutdown handler closes the FSM storage (Redis) under them
        — then they fail half-way (their claims would replay them at the next start, but the family waits)."""
        running = set(self._handle_update_tasks)
        if running:
            log.info("waiting for %d update(s) still being handled", len(running))
            await asyncio.wait(running, timeout=SHUTDOWN_GRACE_SECONDS)
        await super().emit_shutdown(*args, **kwargs)

    async def feed_webhook_update(self, bot: Any, update: Any, _timeout: float = 55, **kwargs: Any) -> Any:
        """Webhook mode: an update that cannot be read is logged, counted and answered 200 (Telegram would
        otherwise re-send it, and the ones behind it, for as long as it keeps failing)."""
        if not isinstance(update, Update):
            updates, _offset = parse_updates([update], bot)
            if not updates:
                return None
            update = updates[0]
        return await super().feed_webhook_update(bot, update, _timeout, **kwargs)

    async def _listen_updates(  # type: ignore[override]
        self,
        bot: Any,
        polling_timeout: int = 30,
        backoff_config: BackoffConfig = DEFAULT_BACKOFF_CONFIG,
        allowed_updates: list[str] | None = None,
    ) -> AsyncGenerator[Update, None]:
        backoff = Backoff(config=backoff_config)
        get_updates = GetRawUpdates(timeout=polling_timeout, allowed_updates=allowed_updates)
        kwargs = {}
        if bot.session.timeout:
            kwargs["request_timeout"] = int(bot.session.timeout + polling_timeout)
        failed = False
        while True:
            try:
                raw = await bot(get_updates, **kwargs)
            except Exception as e:  # Telegram unreachable: keep polling, with a back-off
                failed = True
                loggers.dispatcher.error("Failed to fetch updates - %s: %s", type(e).__name__, e)
                loggers.dispatcher.warning(
                    "Sleep for %f seconds and try again... (tryings = %d, bot id = %d)",
                    backoff.next_delay,
                    backoff.counter,
                    bot.id,
                )
                await backoff.asleep()
                continue
            if failed:
                loggers.dispatcher.info(
                    "Connection established (tryings = %d, bot id = %d)", backoff.counter, bot.id
                )
                backoff.reset()
                failed = False
            batch, next_offset = parse_updates(raw, bot)  # an unreadable update is logged and skipped
            if not batch:
                if next_offset is not None:
                    get_updates.offset = next_offset
                continue
            to_handle = batch
            if self.claims is not None:
                try:
                    to_handle = await self.claims.claim_batch(batch)
                except Exception as exc:  # the database stayed locked or is down: each update fails alone
                    for received in batch:
                        self.claims.claim_failed(received, exc)
            for received in to_handle:
                yield received
            # the next request confirms this batch to Telegram: every update of it is claimed by now
            get_updates.offset = next_offset


async def replay_unfinished(dispatcher: Any, bot: Any, sessionmaker: async_sessionmaker) -> int:
    """Handle again the updates a stopped process claimed but never finished (nothing of them was committed).

    Button presses are replayed too: the family already saw what the killed process sent, and its next tap
    must find the flow where that screen left it (answering the old press itself is skipped, see
    :class:`bot.telegram.RetryMiddleware`). Claims of processes that are still alive are left to them."""
    claims = getattr(dispatcher, "claims", None)
    liveness: Liveness = claims.liveness if claims is not None else Liveness(None, "")
    async with sessionmaker() as session:
        rows = (
            await session.execute(
                select(
                    ProcessedUpdate.update_id,
                    ProcessedUpdate.owner,
                    ProcessedUpdate.payload,
                    ProcessedUpdate.chat_key,
                )
                .where(
                    ProcessedUpdate.done.is_(False),
                    ProcessedUpdate.payload.is_not(None),
                    (ProcessedUpdate.owner != process_token()) | ProcessedUpdate.owner.is_(None),
                )
                .order_by(ProcessedUpdate.update_id)
            )
        ).all()
    replayed = 0
    for update_id, owner, payload, chat_key in rows:
        if await liveness.alive(owner):
            continue
        if (
            _is_screen(payload)
            and chat_key is not None
            and await _superseded(sessionmaker, update_id, chat_key)
        ):
            log.warning(
                "update %s: not replayed, a later update of the same chat replaced its screen", update_id
            )
            continue
        log.warning("update %s: replaying it, a stopped process left it unfinished", update_id)
        replayed += 1
        try:
            await dispatcher.feed_update(bot, Update.model_validate(payload, context={"bot": bot}))
        except Exception:
            log.exception("update %s could not be replayed", update_id)
    return replayed


async def _superseded(sessionmaker: async_sessionmaker, update_id: int, chat_key: int) -> bool:
    """True (and the claim closed) if a later update of the chat was claimed since."""
    async with sessionmaker() as session:
        later = await session.scalar(
            select(ProcessedUpdate.update_id)
            .where(ProcessedUpdate.chat_key == chat_key, ProcessedUpdate.update_id > update_id)
            .limit(1)
        )
        if later is None:
            return False
        await session.execute(
            update(ProcessedUpdate)
            .where(ProcessedUpdate.update_id == update_id, ProcessedUpdate.done.is_(False))
            .values(done=True, payload=None)
        )
        await session.commit()
        return True


async def start_replay(dispatcher: Any, bot: Any, sessionmaker: async_sessionmaker) -> None:
    """A start-up handler (see handlers/__init__.py): replay before polling starts, so that the next update of
    the same chat finds the state the replayed one leaves (a redelivery by Telegram is then skipped as done)."""
    await replay_unfinished(dispatcher, bot, sessionmaker)


async def sweep_orphans(dispatcher: Any, bot: Any, sessionmaker: async_sessionmaker, every: float) -> None:
    """Several instances: a claim whose process died after this one started is replayed once its heartbeat has
    expired (see bot/liveness.py). Runs until cancelled."""
    while True:
        await asyncio.sleep(every)
        try:
            await replay_unfinished(dispatcher, bot, sessionmaker)
        except Exception:
            log.exception("the sweep of unfinished updates failed")
