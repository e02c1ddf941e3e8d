"""Flood limits from the Bot FAQ and fault injection."""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .spec import ApiError


@dataclass
class Limits:
    private_per_second: float = 1.0  # per private chat
    private_burst: int = 3
    group_per_minute: int = 20  # per group, shared by all topics of a forum…
    group_window: float = 60.0  # …within this many seconds (tests may shrink the minute to keep runs short)
    global_per_second: float = 30.0  # over all chats
    global_burst: int = 30


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class RateLimiter:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._private: dict[int, _Bucket] = {}
        self._global = _Bucket(float(limits.global_burst), time.monotonic())
        self._group: dict[int, list[float]] = {}
        self.hits: Counter[str] = Counter()  # scope → 429s issued

    @property
    def issued(self) -> int:
        return sum(self.hits.values())

    def reset(self) -> None:
        self._private.clear()
        self._group.clear()
        self._global = _Bucket(float(self.limits.global_burst), time.monotonic())

    @staticmethod
    def _refill(bucket: _Bucket, rate: float, burst: int, now: float) -> None:
        bucket.tokens = min(float(burst), bucket.tokens + (now - bucket.stamp) * rate)
        bucket.stamp = now

    def acquire(self, chat_id: int, is_group: bool, n: int = 1) -> None:
        """Take ``n`` sends for ``chat_id`` or raise a 429 ApiError (nothing is taken then)."""
        now = time.monotonic()
        lim = self.limits
        self._refill(self._global, lim.global_per_second, lim.global_burst, now)
        waits: list[tuple[str, float]] = []
        if self._global.tokens < n:
            waits.append(("global", (n - self._global.tokens) / lim.global_per_second))
        if is_group:
            window = [t for t in self._group.get(chat_id, []) if t > now - lim.group_window]
            self._group[chat_id] = window
            excess = len(window) + n - lim.group_per_minute
            if excess > 0:
                oldest = window[min(excess, len(window)) - 1] if window else now
                waits.append(("group", oldest + lim.group_window - now))
        else:
            bucket = self._private.setdefault(chat_id, _Bucket(float(lim.private_burst), now))
            self._refill(bucket, lim.private_per_second, lim.private_burst, now)
            if bucket.tokens < n:
                waits.append(("private", (n - bucket.tokens) / lim.private_per_second))
        if waits:
            scope, wait = max(waits, key=lambda w: w[1])
            self.hits[scope] += 1
            retry = max(1, math.ceil(wait))
            raise ApiError(429, f"Too Many Requests: retry after {retry}", retry_after=retry)
        self._global.tokens -= n
        if is_group:
            self._group[chat_id].extend([now] * n)
        else:
            self._private[chat_id].tokens -= n


@dataclass
class Fault:
    """Makes the next ``count`` matching calls fail (or slow down).

    ``error``: "429", "403", "400_thread", "400" (with ``description``), "chat_not_found", "500", "502",
    "timeout" (the answer never comes: hangs ``delay`` seconds, default 3600), "disconnect" (the connection is
    closed without an answer), "slow" (answered normally after ``delay`` seconds, default 1), "late" (carried out at
    once — the message is in the chat — but answered after ``delay`` seconds, default 1).
    """

    method: str | None = None  # None: any method
    chat_id: int | str | None = None
    count: int = 1
    error: str = "429"
    retry_after: int = 1
    delay: float | None = None
    description: str | None = None
    predicate: Callable[[str, dict[str, Any]], bool] | None = None
    fired: int = field(default=0)

    def matches(self, method: str, params: dict[str, Any]) -> bool:
        if self.count <= 0:
            return False
        if self.method is not None and self.method.lower() != method.lower():
            return False
        if self.chat_id is not None and str(params.get("chat_id")) != str(self.chat_id):
            return False
        return self.predicate is None or self.predicate(method, params)

    def to_error(self) -> ApiError | None:
        e = self.error
        if e == "429":
            return ApiError(
                429, f"Too Many Requests: retry after {self.retry_after}", retry_after=self.retry_after
            )
        if e == "403":
            return ApiError(403, self.description or "Forbidden: bot was blocked by the user")
        if e == "400_thread":
            return ApiError(400, "Bad Request: message thread not found")
        if e == "chat_not_found":
            return ApiError(400, "Bad Request: chat not found")
        if e == "400":
            return ApiError(400, self.description or "Bad Request: injected fault")
        if e in ("500", "502"):
            return ApiError(
                int(e), self.description or ("Internal Server Error" if e == "500" else "Bad Gateway")
            )
        if e == "409":
            return ApiError(409, self.description or "Conflict: terminated by other getUpdates request")
        return None

    async def apply(self) -> ApiError | None:
        self.count -= 1
        self.fired += 1
        if self.error == "slow":
            await asyncio.sleep(1.0 if self.delay is None else self.delay)
            return None
        if self.error == "timeout":
            await asyncio.sleep(3600 if self.delay is None else self.delay)
            return ApiError(500, "Internal Server Error: timeout fault elapsed")
        if self.error == "disconnect":
            return None  # handled by the server
        error = self.to_error()
        if error is None:
            raise ValueError(f"unknown fault kind {self.error!r}")
        if self.delay:
            await asyncio.sleep(self.delay)
        return error
