"""Telegram client plumbing: the Bot factory and a bounded retry layer for ordinary replies."""

from __future__ import annotations

import asyncio
import logging
import random

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.methods import GetUpdates, Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import LinkPreviewOptions

from bot.config import Settings

log = logging.getLogger(__name__)


class RetryMiddleware(BaseRequestMiddleware):
    """Retries short 429s, 5xx and network errors a bounded number of times (never recursively)."""

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


def build_bot(settings: Settings) -> Bot:
    timeout = settings.telegram_timeout
    session = AiohttpSession(timeout=timeout)
    if settings.telegram_api_url:
        session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url), timeout=timeout)
    session.middleware(RetryMiddleware())
    return Bot(
        token=settings.bot_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(
            parse_mode=ParseMode.HTML, link_preview=LinkPreviewOptions(is_disabled=True)
        ),
    )
