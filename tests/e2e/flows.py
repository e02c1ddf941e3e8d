"""How a family moves through the bot in tests: look at the screen, tap a button, wait for the answer."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any


def _text(message: dict[str, Any] | None) -> str:
    return (message or {}).get("text") or (message or {}).get("caption") or ""


def text_of(message: dict[str, Any] | None) -> str:
    """A message's text or caption ("" for none)."""
    return _text(message)


async def bot_says(user, contains: str, timeout: float = 8) -> dict[str, Any]:
    """The next message to ``user`` whose text contains ``contains``."""
    return await user.wait_for_message(lambda m: contains in _text(m), timeout=timeout)


async def answer_of(fake, user, query_id: str) -> str:
    """The text of the bot's answer to a button press (waits for it)."""
    await fake.wait_for(lambda: user.callback_answer(query_id), 10)
    return user.callback_answer(query_id).get("text") or ""


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    markup = message.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


def labels(message: dict[str, Any]) -> list[str]:
    return [b["text"] for b in buttons(message)]


async def screen(user, contains: str, timeout: float = 5) -> dict[str, Any]:
    """Wait until the newest bot message in the chat (edits included) contains `contains`."""

    def check():
        msg = user.last_message()
        return msg if contains in _text(msg) else None

    try:
        found = await user.fake.wait_for(check, timeout)
    except TimeoutError:
        raise TimeoutError(
            f"screen never showed {contains!r}; last: {_text(user.last_message())!r}"
        ) from None
    user.mark_read()
    return found


def tap(user, label: str) -> str:
    """Press the button `label` on the newest bot message that has it; returns the callback query id."""
    for msg in reversed(user.messages()):
        for button in buttons(msg):
            if button["text"] == label:
                return user.press(msg, button["callback_data"])
    raise AssertionError(f"no button {label!r}; newest buttons: {labels(user.last_message() or {})}")


async def onboard(user, region: str = "Пензенская область", *, menu: bool = True) -> dict[str, Any]:
    """/start → consent → region; ends on the main menu (or on the offer to fill in the profile)."""
    user.send_text("/start")
    await screen(user, "Семейное окно")
    tap(user, "Продолжить")
    await screen(user, "согласны")
    tap(user, "Согласен(на)")
    await screen(user, "В каком регионе")
    tap(user, region)
    offer = await screen(user, "Расскажите немного о семье")
    if not menu:
        return offer
    tap(user, "Позже, в меню")
    return await screen(user, "Чем мы можем помочь")


def as_utc(value) -> datetime:
    """A timestamp column as read back: text on SQLite, a datetime on PostgreSQL."""
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def db_rows(bot, sql: str, *args) -> list[tuple]:
    if hasattr(bot, "rows"):  # the harness's BotProcess: SQLite or PostgreSQL (TEST_DATABASE=postgres)
        return bot.rows(sql, *args)
    with sqlite3.connect(bot.workdir / "bot.sqlite3") as conn:
        return conn.execute(sql, args).fetchall()


async def db_wait(fake, bot, sql: str, *args, until=bool, timeout: float = 5) -> list[tuple]:
    """The bot commits after it answers: wait until the query's rows satisfy `until`."""
    try:
        return await fake.wait_for(
            lambda: (rows := db_rows(bot, sql, *args)) and until(rows) and rows, timeout
        )
    except TimeoutError:
        raise AssertionError(f"database never satisfied the check: {db_rows(bot, sql, *args)}") from None
