"""The broadcast sender: delivers due broadcasts through the durable per-recipient table, within Telegram's limits.

Modelled on the relay worker (bot/outbox.py), with one lane per broadcast instead of one per chat:

* Pace: a token bucket at ``BROADCAST_RATE`` messages a second (default 25, under Telegram's ~30 a second for a
  bot) shared by ``BROADCAST_WORKERS`` parallel senders; the bot's Pacer (bot/telegram.py) still keeps every chat
  and the whole bot under the limits together with the relay's traffic. A 429 pauses every sender for its
  ``retry_after`` and puts the recipient back.
* Durability: a recipient is claimed (``sending``) and committed *before* the Telegram call and marked ``sent``
  right after it. A restart turns what was left ``sending`` into ``unknown`` and never sends it again, so a crash
  or kill -9 never produces a duplicate; everyone still ``pending`` is sent after the restart.
* Outcomes: 403 → the family blocked the bot (marked inactive); 5xx and network errors → retried with back-off;
  any other 400 → failed. Progress edits one status message in the coordinator's chat; a final report follows.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import InlineKeyboardMarkup, Message, MessageEntity
from aiogram.utils.i18n import I18n
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.config import Settings
from bot.db.base import utcnow
from bot.db.models import Broadcast
from bot.i18n import locale_scope
from bot.services import broadcasts as bc
from bot.views.coordinators import family_markup, report_text, status_kb, status_text, teaser

log = logging.getLogger(__name__)

BATCH = 500


async def send_content(
    bot: Bot, chat_id: int, content: dict[str, Any], markup: InlineKeyboardMarkup | None
) -> Message:
    """Send an announcement exactly as composed: the coordinator's text or caption with its own formatting."""
    kind = content["kind"]
    entities = [MessageEntity.model_validate(e) for e in content.get("entities") or []] or None
    text = content.get("text") or ""
    if kind == "text":
        return await bot.send_message(chat_id, text, entities=entities, parse_mode=None, reply_markup=markup)
    senders: dict[str, Callable[..., Awaitable[Message]]] = {
        "photo": bot.send_photo,
        "video": bot.send_video,
        "document": bot.send_document,
        "animation": bot.send_animation,
    }
    media = senders[kind]
    return await media(
        chat_id,
        content["file_id"],
        caption=text or None,
        caption_entities=entities,
        parse_mode=None,
        reply_markup=markup,
    )


class RateLimiter:
    """A token bucket for the whole sender, with a pause that a 429 sets for everyone."""

    def __init__(self, rate: float, burst: float | None = None) -> None:
        self.rate = rate
        self.burst = burst if burst is not None else max(1.0, rate / 5)
        self.tokens = self.burst
        self.stamp = time.monotonic()
        self.paused_until = 0.0
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, time.monotonic() + seconds)
        self.tokens = 0.0

    def refund(self) -> None:
        self.tokens = min(self.burst, self.tokens + 1)

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                if self.paused_until > now:
                    await asyncio.sleep(self.paused_until - now)
                    self.stamp = time.monotonic()
                    continue
                self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
                self.stamp = now
                if self.tokens >= 1:
                    self.tokens -= 1
                    return
                await asyncio.sleep((1 - self.tokens) / self.rate)


class BroadcastSender:
    def __init__(self, bot: Bot, sessionmaker: async_sessionmaker, settings: Settings, i18n: I18n) -> None:
        self.bot = bot
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.i18n = i18n
        self.limiter = RateLimiter(settings.broadcast_rate)
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    # ------------------------------------------------------------------ lifecycle
    async def run(self) -> None:
        async with self.sessionmaker() as s:
            unknown = await bc.recover(s)
            await s.commit()
        if unknown:
            log.warning(
                "broadcasts: %s recipient(s) were in flight when the bot stopped; not re-sent", unknown
            )
        log.info("broadcast sender started (%.1f msg/s, %d workers)", self.limiter.rate, self.workers)
        while not self._stopping.is_set():
            try:
                await self._tick()
            except Exception:
                log.exception("broadcast sender tick failed")
            try:
                await asyncio.wait_for(self._stopping.wait(), self.settings.broadcast_scan_seconds)
            except TimeoutError:
                pass
        log.info("broadcast sender stopped")

    @property
    def workers(self) -> int:
        return self.settings.broadcast_workers

    async def _tick(self) -> None:
        async with self.sessionmaker() as s:
            await bc.start_due(s)
            await s.commit()
            sending = (
                await s.scalars(
                    select(Broadcast.id).where(Broadcast.status == bc.SENDING).order_by(Broadcast.id)
                )
            ).all()
        for broadcast_id in sending:
            if self._stopping.is_set():
                return
            await self._drain(broadcast_id)
        await self._final_reports()

    # ------------------------------------------------------------------ one broadcast
    async def _drain(self, broadcast_id: int) -> None:
        async with self.sessionmaker() as s:
            broadcast = await s.get(Broadcast, broadcast_id)
            content, poll = dict(broadcast.content), list(broadcast.poll or [])
        progress_done = asyncio.Event()
        progress = asyncio.create_task(
            self._progress_loop(broadcast_id, progress_done), name=f"broadcast-{broadcast_id}-progress"
        )
        started = time.monotonic()
        sent_before = await self._sent_count(broadcast_id)
        try:
            while not self._stopping.is_set():
                async with self.sessionmaker() as s:
                    ids = await bc.next_batch(s, broadcast_id, BATCH)
                    if not ids:
                        broadcast = await s.get(Broadcast, broadcast_id)
                        done = await bc.finish_if_done(s, broadcast)
                        await s.commit()
                        if done or broadcast.status != bc.SENDING:
                            break
                if not ids:  # only retries waiting for their time
                    await asyncio.sleep(0.2)
                    continue
                queue: asyncio.Queue[int] = asyncio.Queue()
                for rid in ids:
                    queue.put_nowait(rid)
                await asyncio.gather(
                    *(self._worker(queue, broadcast_id, content, poll) for _ in range(self.workers))
                )
        finally:
            # not cancelled: a status message on its way must be recorded, or the last update would send a second
            progress_done.set()
            await asyncio.gather(progress, return_exceptions=True)
        elapsed = time.monotonic() - started
        sent = await self._sent_count(broadcast_id) - sent_before
        log.info(
            "broadcast %s: %s sent in %.1fs (%.2f msg/s)",
            broadcast_id,
            sent,
            elapsed,
            sent / max(elapsed, 1e-6),
        )
        await self._update_status(broadcast_id, rate=sent / max(elapsed, 1e-6))

    async def _sent_count(self, broadcast_id: int) -> int:
        async with self.sessionmaker() as s:
            return (await bc.counts(s, broadcast_id))[bc.SENT]

    async def _worker(
        self, queue: asyncio.Queue[int], broadcast_id: int, content: dict, poll: list[str]
    ) -> None:
        while not self._stopping.is_set():
            try:
                rid = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            try:
                await self._send_one(broadcast_id, rid, content, poll)
            except Exception:
                log.exception("broadcast %s: recipient %s failed unexpectedly", broadcast_id, rid)

    async def _send_one(self, broadcast_id: int, rid: int, content: dict, poll: list[str]) -> None:
        await self.limiter.acquire()
        async with self.sessionmaker() as s:
            target = await bc.claim(s, rid)
            await s.commit()  # claimed before the call: a crash from here on never sends it twice
        if target is None:
            self.limiter.refund()
            return

        with locale_scope(self.i18n, target.language):
            markup = family_markup(broadcast_id, content, poll, discreet=target.discreet)
            shown = teaser() if target.discreet else content
        error: str | None = None
        try:
            msg = await send_content(self.bot, target.chat_id, shown, markup)
        except TelegramRetryAfter as exc:
            self.limiter.pause(exc.retry_after)
            log.warning("broadcast %s: 429, everyone waits %ss", broadcast_id, exc.retry_after)
            async with self.sessionmaker() as s:
                await bc.retry_later(s, rid, delay=exc.retry_after, error="429")
                await s.commit()
            return
        except TelegramForbiddenError as exc:
            async with self.sessionmaker() as s:
                await bc.mark_blocked(s, rid, target.family_id, exc.message)
                await s.commit()
            return
        except TelegramBadRequest as exc:
            async with self.sessionmaker() as s:
                await bc.mark_failed(s, rid, exc.message)
                await s.commit()
            log.warning("broadcast %s: recipient %s failed: %s", broadcast_id, rid, exc.message)
            return
        except (TelegramServerError, TelegramNetworkError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        if error is not None:
            async with self.sessionmaker() as s:
                recipient_attempts = await self._attempts(s, rid)
                again = await bc.retry_later(s, rid, delay=min(60.0, 2.0**recipient_attempts), error=error)
                await s.commit()
            log.warning(
                "broadcast %s: recipient %s: %s (%s)",
                broadcast_id,
                rid,
                error,
                "retry" if again else "gave up",
            )
            return
        async with self.sessionmaker() as s:
            await bc.mark_sent(s, rid, msg.message_id)
            await s.commit()

    @staticmethod
    async def _attempts(s, rid: int) -> int:
        from bot.db.models import BroadcastRecipient

        recipient = await s.get(BroadcastRecipient, rid)
        return recipient.attempts if recipient else 1

    # ------------------------------------------------------------------ the coordinator's view
    async def _progress_loop(self, broadcast_id: int, done: asyncio.Event) -> None:
        started = time.monotonic()
        first = await self._sent_count(broadcast_id)
        while not done.is_set():
            await self._update_status(broadcast_id, started=started, first=first)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), self.settings.broadcast_progress_seconds)

    async def _update_status(
        self, broadcast_id: int, *, started: float | None = None, first: int = 0, rate: float | None = None
    ) -> None:

        try:
            async with self.sessionmaker() as s:
                broadcast = await s.get(Broadcast, broadcast_id)
                report = await bc.report(s, broadcast)
                if rate is None and started is not None:
                    elapsed = time.monotonic() - started
                    rate = (report.delivered - first) / elapsed if elapsed >= 1 else None
                with locale_scope(self.i18n, self.settings.default_locale):
                    text = status_text(report, rate=rate)
                    markup = status_kb(broadcast)
                if broadcast.status_message_id is None:
                    msg = await self.bot.send_message(broadcast.chat_id, text, reply_markup=markup)
                    broadcast.status_message_id = msg.message_id
                    await s.commit()
                else:
                    await self.bot.edit_message_text(
                        text,
                        chat_id=broadcast.chat_id,
                        message_id=broadcast.status_message_id,
                        reply_markup=markup,
                    )
        except TelegramBadRequest as exc:
            if "not modified" not in exc.message:
                log.info("broadcast %s: status message not updated (%s)", broadcast_id, exc.message)
        except (TelegramRetryAfter, TelegramServerError, TelegramNetworkError, TelegramForbiddenError) as exc:
            log.info("broadcast %s: status message not updated (%s)", broadcast_id, type(exc).__name__)

    async def _final_reports(self) -> None:
        async with self.sessionmaker() as s:
            finished = (
                await s.scalars(
                    select(Broadcast).where(
                        Broadcast.status.in_((bc.DONE, bc.CANCELLED)),
                        Broadcast.reported_at.is_(None),
                        Broadcast.started_at.is_not(None),
                    )
                )
            ).all()
            for broadcast in finished:
                broadcast.reported_at = utcnow()  # claimed first: a report is never sent twice
                await s.commit()
                await self._update_status(broadcast.id)
                report = await bc.report(s, broadcast)
                with locale_scope(self.i18n, self.settings.default_locale):
                    text = report_text(report)
                try:
                    await self.bot.send_message(broadcast.chat_id, text)
                except Exception as exc:
                    log.warning("broadcast %s: final report not sent (%s)", broadcast.id, exc)
