"""The dispatcher of the bot: aiogram's, with a polling loop that claims each batch of updates before it asks for
the next one (the claims: bot/middlewares/db.py), and a shutdown that lets updates in flight finish."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator
from typing import Any

from aiogram import Dispatcher, Router, loggers
from aiogram.dispatcher.dispatcher import DEFAULT_BACKOFF_CONFIG
from aiogram.dispatcher.event.handler import FilterObject
from aiogram.filters import Filter
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.types import CallbackQuery, Update
from aiogram.utils.backoff import Backoff, BackoffConfig

from bot.middlewares.db import DbSessionMiddleware, chat_of
from bot.telegram import GetRawUpdates, parse_updates

log = logging.getLogger(__name__)


SHUTDOWN_GRACE_SECONDS = 10
# Ordinary updates handled at once (the rest wait their turn in arrival order); a danger message never waits.
ADMITTED = 8
# The door reads the start of a message for danger (about 0.3 ms): a signal further into a long text is found by
# the crisis check when the message's turn comes (handlers/family/crisis.py), only not ahead of the line.
DOOR_READS = 500
# A long message the door is about to drop (a flood's excess) is read whole first (about 5 ms for 3,800 characters)
# so that a danger signal past its start is not dropped with it — up to DROP_READS_A_MINUTE of a person's a minute:
# a flood of 200 such messages all read whole held another family's answer 1.5 s, with this bound 0.8–0.9 s, reading
# only their start 0.3 s (benchmarks/README.md, «The door reads a dropped message whole»).
DROP_READS = 4096
DROP_READS_A_MINUTE = 60


class ClaimingDispatcher(Dispatcher):
    """aiogram's dispatcher whose polling loop claims each batch of updates (rows with a copy of each, in one
    transaction) before it hands them on.

    aiogram handles updates as tasks and asks for the next batch at once, and that request is what confirms the
    batch to Telegram. Claiming in the loop means no update is confirmed before its claim is saved, so a process
    killed at any moment leaves every update it received either done or replayable at the next start. The loop is
    aiogram 3.31's ``Dispatcher._listen_updates`` with the claim added (aiogram is pinned to 3.31.x).
    """

    claims: DbSessionMiddleware | None = None
    _admission: asyncio.Semaphore | None = None
    _chat_turns: dict[int | None, list[Any]] | None = (
        None  # chat → [its lock, updates holding or awaiting it]
    )
    _read_whole_danger: set[int] | None = (
        None  # updates the door let through for danger it found past their start
    )
    _in_webhook = 0  # webhook updates being handled; _webhook_idle is set when there are none
    _webhook_idle: asyncio.Event | None = None

    async def feed_update(self, bot: Any, update: Update, **kwargs: Any) -> Any:
        """Admission at the door, fairness between chats, and the danger lane.

        Under a burst, hundreds of updates handled at once all advance together and all finish late (each waits
        for the others' turns at the database and the event loop); admitted a few at a time, in arrival order,
        each finishes in its own time. A chat has one update in the line at a time (its others wait behind it,
        in order), so one family's flood of messages takes one place in the line, not two hundred, and the
        other families' answers do not wait for it. A private message with a danger signal waits for nothing
        (its emergency answer goes first at Telegram's pace too: bot/telegram.py, urgent_sends)."""
        whole = self._read_whole_danger
        if (whole is not None and update.update_id in whole) or self._is_danger(update):
            if whole is not None:
                whole.discard(update.update_id)
            return await super().feed_update(bot, update, **kwargs)
        if self._admission is None or self._chat_turns is None:
            self._admission, self._chat_turns = asyncio.Semaphore(ADMITTED), {}
        chat = chat_of(update)
        turn = self._chat_turns.setdefault(chat, [asyncio.Lock(), 0])
        turn[1] += 1
        try:
            async with turn[0], self._admission:
                return await super().feed_update(bot, update, **kwargs)
        finally:
            turn[1] -= 1
            if not turn[1]:
                del self._chat_turns[chat]

    async def _through_the_door(self, batch: list[Update]) -> list[Update]:
        """The batch without a flood's excess. The door reads each message for danger (up to 1 ms for the start
        of a long one, about 5 ms for a long one it drops, read whole): other updates in hand get the event loop
        after each message dropped and every few admitted, so a batch of a hundred long messages does not hold it
        for long."""
        admitted = []
        for n, update in enumerate(batch, 1):
            if self._admitted_at_door(update):
                admitted.append(update)
                if n % 8:
                    continue
            await asyncio.sleep(0)
        return admitted

    def _admitted_at_door(self, update: Update) -> bool:
        """False for a private message of a person already over the flood limit (bot/services/moderation.py,
        FloodDoor): it is dropped before its claim. Danger is always admitted."""
        message = update.message
        door, settings = self.get("flood_door"), self.get("settings")
        if message is None or message.chat.type != "private" or message.from_user is None or door is None:
            return True
        if self._is_danger(update):
            return True
        if door.admits(message.from_user.id, settings.flood_messages_per_minute):
            return True
        # about to be dropped: a long one is read whole first; if it holds danger it goes in the danger lane
        text = message.text or message.caption or ""
        if not (
            len(text) > DOOR_READS
            and door.may_read_whole(message.from_user.id, DROP_READS_A_MINUTE)
            and self._is_danger(update, DROP_READS)
        ):
            return False
        if self._read_whole_danger is None:
            self._read_whole_danger = set()
        self._read_whole_danger.add(update.update_id)
        return True

    def _is_danger(self, update: Update, reads: int = DOOR_READS) -> bool:
        message = update.message
        if message is None or message.chat.type != "private":
            return False
        text = message.text or message.caption
        catalog = self.get("catalog")
        return bool(text) and catalog is not None and catalog.detector.detect(text[:reads]) is not None

    async def emit_shutdown(self, *args: Any, **kwargs: Any) -> None:
        """Let the updates still being handled finish (up to 10 s) before the shutdown handlers run: aiogram stops
        polling without waiting for them, aiohttp runs them before it waits for the webhook's requests, and
        aiogram's first shutdown handler closes the FSM storage (Redis) under them — then they fail half-way (a
        Redis command in flight: «Connection closed by server»; their claims would replay them at the next start,
        but the family waits)."""
        running: set[asyncio.Future[Any]] = set(self._handle_update_tasks)
        idle = None
        if self._in_webhook and self._webhook_idle is not None:
            idle = asyncio.ensure_future(self._webhook_idle.wait())
            running.add(idle)
        if running:
            log.info(
                "waiting for %d update(s) still being handled",
                len(running) - (idle is not None) + self._in_webhook,
            )
            await asyncio.wait(running, timeout=SHUTDOWN_GRACE_SECONDS)
        if idle is not None:
            idle.cancel()
        await super().emit_shutdown(*args, **kwargs)

    async def feed_webhook_update(self, bot: Any, update: Any, _timeout: float = 55, **kwargs: Any) -> Any:
        """Webhook mode: an update that cannot be read is logged, counted and answered 200 (Telegram would
        otherwise re-send it, and the ones behind it, for as long as it keeps failing); a flood's excess is dropped
        at the door (answered 200 too)."""
        if not isinstance(update, Update):
            updates, _offset = parse_updates([update], bot)
            if not updates:
                return None
            update = updates[0]
        if not self._admitted_at_door(update):
            return None
        if self._webhook_idle is None:
            self._webhook_idle = asyncio.Event()
        self._in_webhook += 1
        self._webhook_idle.clear()
        try:
            return await super().feed_webhook_update(bot, update, _timeout, **kwargs)
        finally:
            self._in_webhook -= 1
            if not self._in_webhook:
                self._webhook_idle.set()

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
        # Stopping (SIGTERM) cancels this loop; should a cancellation ever be swallowed on its way (one was, in the
        # SQLite writer's lock: bot/db/engine.py), the loop still ends here instead of polling on while aiogram
        # waits for it
        while self._stop_signal is None or not self._stop_signal.is_set():
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
            batch = await self._through_the_door(batch)  # a flood's excess is dropped before its claim
            if not batch:
                if next_offset is not None:
                    get_updates.offset = next_offset
                continue
            to_handle = batch
            if self.claims is not None:
                try:
                    copies = {i["update_id"]: i for i in raw if isinstance(i, dict) and "update_id" in i}
                    to_handle = await self.claims.claim_batch(batch, copies)
                except Exception as exc:  # the database stayed locked or is down: each update fails alone
                    for received in batch:
                        self.claims.claim_failed(received, exc)
            for received in to_handle:
                yield received
            # the next request confirms this batch to Telegram: every update of it is claimed by now
            get_updates.offset = next_offset


def run_sync_callbacks_inline(dispatcher: Dispatcher) -> int:
    """Make aiogram call the synchronous filters and handlers of every router on the event loop; returns how many.

    aiogram 3.31 calls a callback that is not a coroutine function through ``asyncio.to_thread``
    (``CallableObject.call``): every magic filter (``F.text``, ``F.data.startswith(...)``), every lambda and every
    plain-function filter of every router it consults is a thread hand-off per update — for checks of a few
    microseconds, and the largest single cost the profile of an update showed. Ours are all pure checks of the event
    (no I/O), so they are wrapped as coroutine functions that call them in place. Run once, after every router is
    included; a router included later keeps aiogram's way.
    """
    count = 0
    for router in dispatcher.chain_tail:
        for observer in router.observers.values():
            for holder in (
                observer._handler,
                *observer.handlers,
            ):  # the router-level filters, then the handlers
                for obj in (holder, *(holder.filters or ())):
                    if not obj.awaitable:
                        obj.callback, obj.awaitable = _in_place(obj.callback), True
                        count += 1
    return count


def _in_place(callback: Any) -> Any:
    async def call(*args: Any, **kwargs: Any) -> Any:
        return callback(*args, **kwargs)

    return call


def skip_routers_by_callback_prefix(dispatcher: Dispatcher) -> list[str]:
    """Let a button press pass by the routers that cannot take it, without asking each of their handlers; returns
    the routers given this check.

    aiogram asks a router's handlers one by one: a family's button press asked some thirty handlers of the partners',
    the coordinators' refusals and the volunteers' routers (each unpacking the press's data) before the family router
    found its own. Where every button handler in a router and the routers under it has a ``CallbackData`` filter,
    the router can take only presses whose data begins with one of those prefixes; a check of that prefix goes
    first among its router-level filters, so any other press passes it by in one step. A router with a handler of
    another kind (``F.data.startswith``, a catch-all) is left as it is, and so is every router above it. Run once,
    after every router is included.
    """
    indexed: list[str] = []

    def visit(router: Router) -> frozenset[str] | None:
        below = [visit(child) for child in router.sub_routers]
        mine = _button_prefixes(router)
        if mine is None or any(child is None for child in below):
            return None
        return mine.union(*(child for child in below if child is not None))

    def install(router: Router, under_indexed: bool) -> None:
        prefixes = visit(router)
        if prefixes is not None and not under_indexed:
            observer = router.callback_query
            observer._handler.filters = [
                FilterObject(_PrefixIn(prefixes)),
                *(observer._handler.filters or ()),
            ]
            indexed.append(router.name)
        for child in router.sub_routers:
            install(child, under_indexed or prefixes is not None)

    for router in dispatcher.sub_routers:
        install(router, False)
    return indexed


def _button_prefixes(router: Router) -> frozenset[str] | None:
    """The prefixes of the router's own button handlers; None if one of them can take another kind of data."""
    prefixes = set()
    for handler in router.callback_query.handlers:
        found = [
            f.callback.callback_data
            for f in handler.filters or ()
            if isinstance(f.callback, CallbackQueryFilter)
            and f.callback.callback_data.__separator__ == _PrefixIn.SEPARATOR
        ]
        if not found:
            return None
        prefixes.add(found[0].__prefix__)
    return frozenset(prefixes)


class _PrefixIn(Filter):
    SEPARATOR = ":"

    def __init__(self, prefixes: frozenset[str]) -> None:
        self.prefixes = prefixes

    async def __call__(self, call: CallbackQuery) -> bool:
        return (call.data or "").partition(self.SEPARATOR)[0] in self.prefixes
