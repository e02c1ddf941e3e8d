"""aiogram runs a synchronous filter through asyncio.to_thread; the bot's dispatcher runs them on the event loop."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime

from aiogram import Bot, Dispatcher, F, Router
from aiogram.types import Chat, Message, Update, User

from bot.dispatcher import run_sync_callbacks_inline


def _update(text: str) -> Update:
    chat = Chat(id=1, type="private")
    user = User(id=1, is_bot=False, first_name="A")
    return Update(
        update_id=1,
        message=Message(message_id=1, date=datetime.now(UTC), chat=chat, from_user=user, text=text),
    )


def _feed(inline: bool) -> tuple[set[str], list[str]]:
    threads: set[str] = set()
    answered: list[str] = []
    router = Router()

    def lambda_like(message: Message) -> bool:
        threads.add(threading.current_thread().name)
        return message.text != "no"

    router.message.filter(F.chat.type == "private")

    @router.message(F.text.startswith("h"), lambda_like)
    async def hello(message: Message) -> None:
        answered.append(message.text or "")

    dp = Dispatcher()
    dp.include_router(router)
    if inline:
        assert run_sync_callbacks_inline(dp) >= 3  # the router's filter, the magic filter, the function
    bot = Bot("123456:ABCdefGHIjklMNO")

    async def go() -> None:
        for text in ("hello", "no", "hi", "bye"):
            await dp.feed_update(bot, _update(text))
        await bot.session.close()

    asyncio.run(go())
    return threads, answered


def test_sync_filters_run_on_the_loops_thread_and_decide_as_before() -> None:
    threads, answered = _feed(inline=True)
    assert threads == {threading.current_thread().name}
    assert answered == ["hello", "hi"]
    aiogram_threads, aiogram_answered = _feed(
        inline=False
    )  # the control: aiogram's own way uses other threads
    assert threading.current_thread().name not in aiogram_threads
    assert aiogram_answered == answered


def test_the_bots_dispatcher_has_no_filter_left_for_a_thread(bots_dispatcher: Dispatcher) -> None:
    dp = bots_dispatcher
    left = [
        obj
        for router in dp.chain_tail
        for observer in router.observers.values()
        for holder in (observer._handler, *observer.handlers)
        for obj in (holder, *(holder.filters or ()))
        if not obj.awaitable
    ]
    assert left == []
