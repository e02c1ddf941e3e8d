"""Foundation, end to end: the real `python -m bot run` process against the fake Bot API."""

from __future__ import annotations

import json

from tests.e2e.flows import buttons, db_wait, onboard, screen, tap
from tests.e2e.harness import BotProcess


async def test_start_is_answered_in_the_family_language(bot, fake, new_user):
    anna = new_user("ru")
    anna.send_text("/start")
    reply = await anna.wait_for_message("Семейное окно")
    assert "112" in reply["text"]
    john = new_user("en", "John")
    john.send_text("/start")
    reply = await john.wait_for_message("Family Window")
    assert "112" in reply["text"]


async def test_a_first_start_on_an_empty_database_brings_it_to_head(fake, tmp_path, new_user):
    """Every other test's bot starts on a copy of a database at head. Here the bot starts on an empty one (on
    PostgreSQL two instances together, one waiting for the other's migration) and migrates it itself."""
    from bot.db.migrate import script_heads

    proc = await BotProcess(fake, tmp_path, empty_database=True).start()
    assert {row[0] for row in proc.rows("SELECT version_num FROM alembic_version")} == script_heads()
    anna = new_user("ru")
    await onboard(anna)
    assert proc.rows("SELECT count(*) FROM families WHERE region IS NOT NULL") == [(1,)]


async def test_command_menu_is_registered_per_language(bot, fake):
    await fake.wait_for(lambda: len(fake.calls_of("setMyCommands")) >= 3)
    by_lang = {
        c.params.get("language_code"): json.loads(c.params["commands"])
        for c in fake.calls_of("setMyCommands")
    }
    assert {"ru", "en", None} <= set(by_lang)
    ru = {c["command"]: c["description"] for c in by_lang["ru"]}
    en = {c["command"]: c["description"] for c in by_lang["en"]}
    assert ru["menu"] == "Главное меню" and en["menu"] == "Main menu"
    assert set(ru) == set(en) >= {"menu", "help", "language", "privacy", "mydata", "forget"}


async def test_help_in_chosen_language(bot, fake, new_user):
    anna = new_user("ru")
    anna.send_text("/language")
    choice = await anna.wait_for_message("язык")
    anna.press_button(choice, "English")
    await screen(anna, "Family Window")
    anna.send_text("/help")
    reply = await anna.wait_for_message("Urgent help")
    assert "/mydata" in reply["text"]


async def test_one_structured_log_line_per_update_without_message_text(bot, fake, new_user):
    anna = new_user("ru")
    secret = "мой секретный вопрос про алименты"
    anna.send_text(secret)
    await anna.wait_for_message()
    await bot.stop()
    lines = [line for line in bot.log().splitlines() if "bot.updates" in line]
    records = [json.loads(line.split("bot.updates: ", 1)[1]) for line in lines]
    assert records, bot.log()
    rec = records[-1]
    assert set(rec) == {"update_id", "kind", "handler", "ms", "outcome"}
    assert rec["kind"] == "message" and rec["handler"] and rec["outcome"] == "ok"
    assert secret not in bot.log()


async def test_sigterm_stops_gracefully(bot):
    assert await bot.stop() == 0
    assert "stopped" in bot.log()


async def test_sigterm_lets_the_update_in_hand_finish(bot, fake, new_user):
    """Promise: a stop (deploy, restart) does not cut a family's update off half-way: the answer that was on its way
    (Telegram slow to take it: 2 s) is sent, the update is done, and the bot then stops cleanly."""
    anna = new_user("ru")
    slow = fake.fail_next("sendMessage", chat_id=anna.id, error="slow", delay=2)
    anna.send_text("/start")
    await fake.wait_for(lambda: slow.fired, 10)  # the handler is in its Telegram call
    assert await bot.stop() == 0
    assert "Семейное окно" in anna.last_message()["text"], bot.log()[-6000:]
    assert bot.rows("SELECT done FROM processed_updates") == [(True,)]
    assert "Traceback" not in bot.log(), bot.log()
    # the stop waited for it before the shutdown handlers closed the FSM storage (Redis with several instances:
    # in webhook mode aiohttp runs them before it waits for the requests in hand)
    assert "waiting for 1 update(s) still being handled" in bot.log(), bot.log()[-6000:]


def flow_data(proc) -> list[str]:
    """The stored conversation data (JSON) of every chat: the fsm_states table, or Redis when the bot uses it."""
    if proc.env.get("REDIS_URL"):
        import redis

        client = redis.Redis.from_url(proc.env["REDIS_URL"])
        try:
            return [client.get(key).decode() for key in client.keys("fsm:*:data")]
        finally:
            client.close()
    return [data for (data,) in proc.rows("SELECT data FROM fsm_states")]


async def test_flow_survives_a_kill_and_restart(fake, tmp_path, new_user):
    """A family in the middle of triage continues where it was after the process is killed."""
    proc = await BotProcess(fake, tmp_path).start()
    anna = new_user("ru")
    await onboard(anna)
    tap(anna, "Что случилось")
    q1 = await screen(anna, "опасность")
    tap(anna, "Нет")
    await fake.wait_for(lambda: anna.last_message()["text"] != q1["text"])
    q2 = anna.last_message()
    await proc.kill()

    proc = await BotProcess(fake, tmp_path).start()
    first_option = buttons(q2)[0]
    anna.press(q2, first_option["callback_data"])
    # after a kill -9 the press may come back only on a redelivery: measured 0.04-1.6 s mostly, 12 s at times on
    # two instances under load (5 s failed CI twice on 2026-12-06); the promise here is «not lost», not the delay
    await fake.wait_for(lambda: anna.last_message()["text"] != q2["text"], timeout=30)
    assert "с прошлого экрана" not in anna.last_message()["text"]
    await proc.stop()
    # the walk continued: its stored path starts with the answer given before the kill
    paths = [json.loads(d)["tri_path"] for d in flow_data(proc) if "tri_path" in json.loads(d)]
    assert paths and paths[0][0]["option"] and len(paths[0]) >= 2


async def test_telegram_errors_on_replies_are_retried_not_lost(fake, tmp_path, new_user):
    """429 with retry_after, a 5xx and a timeout on the reply: the family still gets its answer, once."""
    bot = await BotProcess(fake, tmp_path, TELEGRAM_TIMEOUT="2").start()
    for error in ("429", "500", "timeout"):
        anna = new_user()
        fake.fail_next("sendMessage", chat_id=anna.id, error=error, retry_after=1)
        anna.send_text("/start")
        await anna.wait_for_message("Семейное окно", timeout=15)
        greetings = [m for m in anna.messages() if "Семейное окно" in m.get("text", "")]
        assert len(greetings) == 1, (error, len(greetings))
    await bot.stop()


async def test_blocking_the_bot_marks_the_family_inactive(bot, fake, new_user):
    anna = new_user()
    await onboard(anna)
    anna.block_bot()

    await db_wait(
        fake, bot, "SELECT is_active FROM families WHERE tg_user_id = ?", anna.id, until=lambda r: r == [(0,)]
    )
    anna.unblock_bot()
    anna.send_text("/menu")
    await anna.wait_for_message("Чем мы можем помочь")


async def test_redis_storage_keeps_the_flow_across_a_restart(fake, tmp_path, new_user):
    """With REDIS_URL set, conversation state lives in Redis (with event isolation) and survives a kill."""
    import redis

    url = "redis://127.0.0.1:6379/15"
    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    except redis.ConnectionError:
        raise AssertionError("Redis is not running on 127.0.0.1:6379 (CI starts it)") from None
    proc = await BotProcess(fake, tmp_path, REDIS_URL=url).start()
    anna = new_user("ru")
    await onboard(anna)
    tap(anna, "Что случилось")
    q1 = await screen(anna, "опасность")
    tap(anna, "Нет")
    await fake.wait_for(lambda: anna.last_message()["text"] != q1["text"])
    q2 = anna.last_message()
    assert any(b"fsm" in key for key in client.keys("*"))
    await proc.kill()
    proc = await BotProcess(fake, tmp_path, REDIS_URL=url).start()
    anna.press(q2, buttons(q2)[0]["callback_data"])
    await fake.wait_for(lambda: anna.last_message()["text"] != q2["text"])
    assert "с прошлого экрана" not in anna.last_message()["text"]
    await proc.stop()
    client.flushdb()


async def test_the_bot_leaves_groups_it_was_not_configured_for(bot, fake, new_user):
    stranger = new_user()
    fake.group(-100555, "Чужая группа", added_by=stranger)
    await fake.wait_for_call("leaveChat", lambda c: int(c.params["chat_id"]) == -100555, timeout=5)
    ops = fake.forum_group(-1001000000001, "Операторы", added_by=stranger)  # the configured operators' group
    ops.add_member(stranger)
    stranger.send_text_in(ops, "семья пишет, что муж её избил")  # staff talk is never answered as a family
    stranger.send_text_in(ops, "всем привет")
    await fake.wait_for(lambda: len(ops.messages(from_bot=True)) == 2, 10)
    await bot.stop()
    replies = [m["text"] for m in ops.messages(from_bot=True)]
    assert all("только сотрудники" in r for r in replies), replies  # a stranger is refused, nothing more
    assert not any("112" in r for r in replies)
    assert not [c for c in fake.calls_of("leaveChat") if int(c.params["chat_id"]) == -1001000000001]
