"""Telegram client plumbing: the Bot factory and a bounded retry layer for ordinary replies."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ClassVar, cast

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import AnswerCallbackQuery, GetUpdates, Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import LinkPreviewOptions, Update
from aiohttp import ClientError, ClientTimeout
from pydantic import ValidationError

from bot.config import Settings

log = logging.getLogger(__name__)


class RetryMiddleware(BaseRequestMiddleware):
    """Retries short 429s, 5xx and network errors a bounded number of times (never recursively).

    Answering a button press is a courtesy with a deadline: a press that is too old to answer (a slow
    moment, or an update handled again after a restart) is not an error of the handler that answers it."""

    def __init__(self, attempts: int = 3, max_wait: float = 10.0) -> None:
        self.attempts = attempts
        self.max_wait = max_wait

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if isinstance(method, GetUpdates):
            return await make_request(bot, method)
        for attempt in range(1, self.attempts + 1):
            try:
                return await make_request(bot, method)
            except TelegramBadRequest as exc:
                if isinstance(method, AnswerCallbackQuery) and "query is too old" in exc.message:
                    log.info("a button press was too old to answer; carrying on without the answer")
                    return Response[bool](ok=True, result=True)  # type: ignore[return-value]
                raise
            except TelegramRetryAfter as exc:
                if attempt == self.attempts or exc.retry_after > self.max_wait:
                    raise
                log.warning("429 on %s: waiting %ss", method.__api_method__, exc.retry_after)
                await asyncio.sleep(exc.retry_after)
            except (TelegramServerError, TelegramNetworkError) as exc:
                if attempt == self.attempts:
                    raise
                delay = 0.3 * 2**attempt + random.uniform(0, 0.2)
                log.warning("%s on %s: retry in %.1fs", type(exc).__name__, method.__api_method__, delay)
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")


_COPY_METHODS = frozenset({"copyMessage", "copyMessages", "forwardMessage", "forwardMessages"})


def _send_count(method: TelegramMethod) -> int:
    """How many messages a call sends (0: not a send)."""
    name = method.__api_method__
    if name == "sendChatAction" or not (name.startswith("send") or name in _COPY_METHODS):
        return 0
    if name == "sendMediaGroup":
        return len(getattr(method, "media", []) or [1])
    if name in ("copyMessages", "forwardMessages"):
        return len(getattr(method, "message_ids", []) or [1])
    return 1


_URGENT: ContextVar[bool] = ContextVar("urgent_sends", default=False)


@contextmanager
def urgent_sends() -> Iterator[None]:
    """The sends made inside go first in the pacer's line for all chats: a danger answer never waits behind
    ordinary ones when the bot is at Telegram's ~30 messages a second (the danger lane)."""
    token = _URGENT.set(True)
    try:
        yield
    finally:
        _URGENT.reset(token)


class Pacer:
    """Keeps the bot under Telegram's limits on its own side: a token bucket per private chat and one for all
    chats together, and a sliding window per group (shared by all topics of a forum). Sends to one chat go
    one at a time; tokens are taken before a send, group slots are counted when the answer comes back.

    Urgent sends (:func:`urgent_sends`) have a lane of their own in the bucket for all chats: while any of them
    waits, an ordinary send takes a token only if one is left for each waiting urgent send."""

    def __init__(
        self,
        group_limit: int,
        group_window: float,
        private_rate: float,
        *,
        private_burst: int = 3,
        global_rate: float = 28.0,
        global_burst: int = 25,
    ) -> None:
        self.group_limit = group_limit
        self.group_window = group_window
        self.private = (private_rate, float(private_burst))
        self.everyone = (global_rate, float(global_burst))
        self._locks: dict[int, asyncio.Lock] = {}
        self._group: dict[int, deque[float]] = {}
        self._buckets: dict[int | None, tuple[float, float]] = {}  # chat id (None: all chats) → tokens, stamp
        self._blocked_until: dict[int, float] = {}
        self._urgent_waiting = 0

    def _tokens(self, key: int | None, now: float) -> float:
        rate, burst = self.everyone if key is None else self.private
        tokens, stamp = self._buckets.get(key, (burst, now))
        tokens = min(burst, tokens + (now - stamp) * rate)
        self._buckets[key] = (tokens, now)
        return tokens

    def _wait(self, chat_id: int, n: int, now: float, urgent: bool = False) -> float:
        wait = self._blocked_until.get(chat_id, 0.0) - now
        global_tokens = self._tokens(None, now)
        need = n if urgent else n + self._urgent_waiting  # the urgent lane: its waiters' tokens are kept
        if global_tokens < need:
            wait = max(wait, (need - global_tokens) / self.everyone[0])
        if chat_id < 0:
            window = self._group.setdefault(chat_id, deque())
            while window and window[0] <= now - self.group_window:
                window.popleft()
            excess = len(window) + n - self.group_limit
            if excess > 0:
                wait = max(wait, window[min(excess, len(window)) - 1] + self.group_window - now + 0.05)
        else:
            tokens = self._tokens(chat_id, now)
            if tokens < n:
                wait = max(wait, (n - tokens) / self.private[0] + 0.02)
        return wait

    def _take(self, key: int | None, n: int) -> None:
        tokens, stamp = self._buckets[key]
        self._buckets[key] = (tokens - n, stamp)

    async def acquire(self, chat_id: int, n: int, *, urgent: bool = False) -> None:
        lock = self._locks.setdefault(chat_id, asyncio.Lock())
        await lock.acquire()
        self._urgent_waiting += urgent
        try:
            while (wait := self._wait(chat_id, n, time.monotonic(), urgent)) > 0:  # noqa: ASYNC110 (timed)
                await asyncio.sleep(wait)
        except BaseException:
            lock.release()
            raise
        finally:
            self._urgent_waiting -= urgent
        self._take(None, n)
        if chat_id > 0:
            self._take(chat_id, n)

    def release(self, chat_id: int, n: int, *, sent: bool) -> None:
        if sent and chat_id < 0:
            self._group.setdefault(chat_id, deque()).extend([time.monotonic()] * n)
        self._locks[chat_id].release()

    def remember_group_sends(self, chat_id: int, ages: list[float]) -> None:
        """Sends to a group made ``ages`` seconds ago by an earlier process: Telegram still counts them in its
        window after a restart, so a fresh process must too."""
        now = time.monotonic()
        earlier = [now - age for age in ages if 0 <= age < self.group_window]
        self._group[chat_id] = deque(sorted([*self._group.get(chat_id, ()), *earlier]))

    def penalise(self, chat_id: int, seconds: float) -> None:
        self._blocked_until[chat_id] = max(self._blocked_until.get(chat_id, 0.0), time.monotonic() + seconds)


class PaceMiddleware(BaseRequestMiddleware):
    def __init__(self, pacer: Pacer) -> None:
        self.pacer = pacer

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        n = _send_count(method)
        chat_id = getattr(method, "chat_id", None)
        if not n or not isinstance(chat_id, int):
            return await make_request(bot, method)
        await self.pacer.acquire(chat_id, n, urgent=_URGENT.get())
        sent = False
        try:
            response = await make_request(bot, method)
            sent = True
            return response
        except TelegramRetryAfter as exc:
            self.pacer.penalise(chat_id, exc.retry_after)
            raise
        except TelegramServerError:
            sent = True  # it may have been delivered: count it, to stay on the safe side
            raise
        finally:
            self.pacer.release(chat_id, n, sent=sent)


class GetRawUpdates(GetUpdates):
    """``getUpdates`` answered as plain dicts: one update that does not fit the Bot API's types (a poll missing a
    field the specification marks required) must not make the whole batch unreadable. aiogram parses the batch as
    one list and fails on it, then polling asks for the same batch forever and nobody is answered again; the
    updates are parsed one by one instead (:func:`parse_updates`)."""

    __returning__: ClassVar[Any] = list[dict[str, Any]]


def parse_updates(raw: list[dict[str, Any]], bot: Bot) -> tuple[list[Update], int | None]:
    """The updates of a raw batch that can be read, and the offset that confirms the whole batch (None: empty).

    An update that cannot be read is logged (its id, type and the fields at fault, never its content), counted for
    /status and skipped: confirming it with the rest is all Telegram needs to stop sending it."""
    updates: list[Update] = []
    last: int | None = None
    for item in raw:
        update_id = item.get("update_id") if isinstance(item, dict) else None
        if isinstance(update_id, int):
            last = update_id if last is None else max(last, update_id)
        try:
            updates.append(Update.model_validate(item, context={"bot": bot}))
        except ValidationError as exc:
            unreadable_update(item, exc)
    return updates, (last + 1 if last is not None else None)


def unreadable_update(item: Any, exc: ValidationError) -> None:
    from bot.services.observability import count

    count("unreadable")
    kind = next((k for k in item if k != "update_id"), "?") if isinstance(item, dict) else type(item).__name__
    fields = sorted({".".join(str(p) for p in e["loc"]) for e in exc.errors()})[:5]
    update_id = item.get("update_id") if isinstance(item, dict) else None
    log.error("skipped an unreadable update %s (%s): %s", update_id, kind, ", ".join(fields))


_RESPONSE_MODELS: dict[object, type] = {}


def response_model(returning: object) -> type:
    """``Response[returning]``, built once a process and kept (pydantic builds a generic model anew, about 20 ms,
    each time nothing holds the last one)."""
    got = _RESPONSE_MODELS.get(returning)
    if got is None:
        got = _RESPONSE_MODELS[returning] = Response[returning]  # type: ignore[valid-type]
    return got


_JSON = {"Content-Type": "application/json"}


class Session(AiohttpSession):
    """aiogram's session, keeping each ``Response[T]`` model alive.

    aiogram parametrises ``Response[method.__returning__]`` on every answer; pydantic caches generic models only
    weakly, so the model was garbage-collected and rebuilt (schema and validator) for nearly every call — about a
    fifth of the bot's CPU under load (benchmarks/README.md). Holding one reference per return type makes it a
    dictionary hit. ``pacer`` is the bot's :class:`Pacer` (set by :func:`build_bot`).
    """

    pacer: Pacer | None = None

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 (aiogram's signature)
    ) -> TelegramType:
        """aiogram's request with its parameters as one JSON object instead of an urlencoded form, when nothing is
        uploaded. The values are the form's own (aiogram's ``prepare_value``: strings, objects as JSON text), which
        the Bot API reads from a JSON body exactly as from a form (a string value is taken as it is). aiogram's form
        quoted every character in Python: with the form it built, about 6 % of the bot's CPU (py-spy, closed loop
        of 40 families). A file to upload goes the form's way (multipart)."""
        files: dict[str, Any] = {}
        body: dict[str, Any] = {}
        for key, value in method.model_dump(warnings=False).items():
            prepared = self.prepare_value(value, bot=bot, files=files)
            if prepared:  # as aiogram's form: no empty fields
                body[key] = prepared
        if files:
            return await super().make_request(bot, method, timeout)
        session = await self.create_session()
        url = self.api.api_url(token=bot.token, method=method.__api_method__)
        try:
            async with session.post(
                url,
                data=self.json_dumps(body),
                headers=_JSON,
                timeout=ClientTimeout(total=self.timeout if timeout is None else timeout),
            ) as resp:
                raw_result = await resp.text()
        except TimeoutError as exc:
            raise TelegramNetworkError(method=method, message="Request timeout error") from exc
        except ClientError as exc:
            raise TelegramNetworkError(method=method, message=f"{type(exc).__name__}: {exc}") from exc
        response = self.check_response(bot=bot, method=method, status_code=resp.status, content=raw_result)
        return cast(TelegramType, response.result)

    def check_response(self, bot: Bot, method: TelegramMethod[TelegramType], status_code: int, content: str):
        response_model(method.__returning__)
        return super().check_response(bot, method, status_code, content)

    async def close(self) -> None:
        """aiogram's close waits 250 ms after closing the connections, for TLS connections to finish closing
        (aiohttp's graceful shutdown). A Bot API server reached over plain HTTP (a local ``telegram-bot-api``, the
        tests' fake) has no TLS to wait for: the bot stops at once."""
        if self.api.base.startswith("https:"):
            await super().close()
        elif self._session is not None and not self._session.closed:
            await self._session.close()


def build_bot(settings: Settings) -> Bot:
    timeout = settings.telegram_timeout
    session = Session(timeout=timeout)
    if settings.telegram_api_url:
        session = Session(api=TelegramAPIServer.from_base(settings.telegram_api_url), timeout=timeout)
    session.middleware(RetryMiddleware())
    session.pacer = Pacer(
        settings.group_messages_per_window,
        settings.group_window_seconds,
        settings.private_messages_per_second,
    )
    session.middleware(PaceMiddleware(session.pacer))
    return Bot(
        token=settings.bot_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(
            parse_mode=ParseMode.HTML, link_preview=LinkPreviewOptions(is_disabled=True)
        ),
    )
