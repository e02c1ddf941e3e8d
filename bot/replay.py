"""Updates a killed process claimed but never finished, handled again at start-up (and orphans swept while
running); a newer screen of the same chat supersedes an unfinished one. The claims: bot/middlewares/db.py."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiogram.types import Update
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.db.models import ProcessedUpdate
from bot.liveness import Liveness, process_token
from bot.middlewares.db import _is_screen

log = logging.getLogger(__name__)


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
