"""One structured log line per handled update: id, kind, handler, duration. Never message text."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import TelegramObject, Update

from bot.services import observability

log = logging.getLogger("bot.updates")


class UpdateLogMiddleware(BaseMiddleware):
    """Outer middleware on `update`: times the whole update and writes the line."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Update)
        trace: dict[str, Any] = {"handler": None}
        data["trace"] = trace
        started = time.perf_counter()
        outcome = "ok"
        try:
            result = await handler(event, data)
            if result is UNHANDLED:
                outcome = "unhandled"
            return result
        except Exception:
            outcome = "error"
            raise
        finally:
            line = {
                "update_id": event.update_id,
                "kind": event.event_type,
                "handler": trace["handler"],
                "ms": round((time.perf_counter() - started) * 1000, 1),
                "outcome": outcome,
            }
            if trace.get("dropped"):
                line["dropped"] = trace["dropped"]  # flood control or a mute: the update was not handled
            observability.count("updates")
            observability.count(trace.get("dropped") or outcome)
            log.info(json.dumps(line, ensure_ascii=False))


class HandlerNameMiddleware(BaseMiddleware):
    """Inner middleware on every event observer: records which handler ran."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        trace = data.get("trace")
        obj = data.get("handler")
        if trace is not None and obj is not None:
            cb = obj.callback
            trace["handler"] = f"{cb.__module__}.{getattr(cb, '__qualname__', repr(cb))}"
        return await handler(event, data)
