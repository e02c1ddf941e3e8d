"""A button press passes by the routers that cannot take it (bot/dispatcher.py, skip_routers_by_callback_prefix),
and every press is still taken by the same handler as without the check."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from aiogram import Bot, Dispatcher, F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, Chat, Message, Update, User

from bot.dispatcher import _PrefixIn, skip_routers_by_callback_prefix


class Ask(CallbackData, prefix="ask"):
    n: int


class Buy(CallbackData, prefix="buy"):
    n: int


def _press(data: str) -> Update:
    chat = Chat(id=1, type="private")
    user = User(id=1, is_bot=False, first_name="A")
    message = Message(message_id=1, date=datetime.now(UTC), chat=chat, text="screen")
    return Update(
        update_id=1,
        callback_query=CallbackQuery(id="1", from_user=user, chat_instance="c", message=message, data=data),
    )


def _feed(indexed: bool) -> tuple[list[str], list[str], list[str]]:
    """Presses through three routers: one of CallbackData handlers, one with a magic-filter handler, one more of
    CallbackData handlers. Returns who took each press, which handlers' filters were asked, and the indexed routers."""
    taken: list[str] = []
    asked: list[str] = []

    def spy(name: str):
        def check(_call: CallbackQuery) -> bool:
            asked.append(name)
            return True

        return check

    shop, free, quiz = Router(name="shop"), Router(name="free"), Router(name="quiz")

    @shop.callback_query(spy("shop"), Buy.filter())
    async def buy(call: CallbackQuery) -> None:
        taken.append(f"shop {call.data}")

    @free.callback_query(spy("free"), F.data.startswith("x"))
    async def anything(call: CallbackQuery) -> None:
        taken.append(f"free {call.data}")

    @quiz.callback_query(spy("quiz"), Ask.filter(F.n > 0))
    async def ask(call: CallbackQuery) -> None:
        taken.append(f"quiz {call.data}")

    dp = Dispatcher()
    dp.include_routers(shop, free, quiz)
    names = skip_routers_by_callback_prefix(dp) if indexed else []
    bot = Bot("123456:ABCdefGHIjklMNO")

    async def go() -> None:
        for data in ("ask:1", "buy:2", "x1", "ask:0", "buyer:1", "", "ask"):
            await dp.feed_update(bot, _press(data))
        await bot.session.close()

    asyncio.run(go())
    return taken, asked, names


def test_a_press_passes_by_a_router_that_cannot_take_it_and_is_taken_as_before() -> None:
    taken, asked, names = _feed(indexed=True)
    assert names == ["shop", "quiz"]  # the router with a magic-filter handler is left as it is
    control_taken, control_asked, _ = _feed(indexed=False)
    assert taken == control_taken == ["quiz ask:1", "shop buy:2", "free x1"]
    # without the check a router's handler was asked about every press that reached it; with it, only about its own
    assert (control_asked.count("shop"), asked.count("shop")) == (7, 1)
    assert (control_asked.count("quiz"), asked.count("quiz")) == (5, 3)  # ask:1, ask:0 and a bare «ask»


def test_the_bots_routers_that_a_familys_press_passes_by_are_indexed(bots_dispatcher: Dispatcher) -> None:
    def routers(router: Router) -> list[Router]:
        return [router, *(r for child in router.sub_routers for r in routers(child))]

    names = [
        router.name
        for router in routers(bots_dispatcher)
        if any(isinstance(f.callback, _PrefixIn) for f in router.callback_query._handler.filters or ())
    ]
    # the routers before the family's, which a family's every press went through
    assert {"partners", "coordinators", "volunteers", "coordinators.cards.root", "operators"} <= set(names)
    assert "family" not in names  # its catch-all for stale buttons takes any press
