"""One database session per update; updates already handled are skipped (Telegram delivers at least once)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.db.models import ProcessedUpdate
from bot.fsm_storage import current_session

log = logging.getLogger(__name__)


class DbSessionMiddleware(BaseMiddleware):
    def __init__(self, sessionmaker: async_sessionmaker) -> None:
        self.sessionmaker = sessionmaker

    async def _claim(self, update_id: int) -> bool:
        """Record the update id in a short transaction of its own; False if it was handled before."""
        async with self.sessionmaker() as session:
            session.add(ProcessedUpdate(update_id=update_id))
            try:
                await session.commit()
            except IntegrityError:
                return False
        return True

    async def _release(self, update_id: int) -> None:
        async with self.sessionmaker() as session:
            await session.execute(delete(ProcessedUpdate).where(ProcessedUpdate.update_id == update_id))
            await session.commit()

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Update)
        if not await self._claim(event.update_id):
            log.info("update %s was already handled; skipped", event.update_id)
            return None
        async with self.sessionmaker() as session:
            data["session"] = session
            token = current_session.set(session)
            try:
                result = await handler(event, data)
                await session.commit()
            except Exception:
                await session.rollback()
                await self._release(event.update_id)
                raise
            finally:
                current_session.reset(token)
            return result
