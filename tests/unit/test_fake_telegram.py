"""Tests of the fake Telegram Bot API server (tests/fake_telegram) against a real aiogram Bot."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    Update,
)

from tests.fake_telegram import FakeTelegram
from tests.fake_telegram.formatting import FormatError, parse_html, parse_markdown_v2

TOKEN = "424242:fake-token"
GROUP = -1001234567890


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=TOKEN) as server:
        yield server


def make_bot(fake: FakeTelegram, timeout: float = 5.0) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url), timeout=timeout)
    return Bot(TOKEN, session=session)


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    b = make_bot(fake)
    yield b
    await b.session.close()


def keyboard(*buttons: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=t, callback_data=d)] for t, d in buttons]
    )


async def raw_call(fake: FakeTelegram, method: str, data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{fake.base_url}/bot{TOKEN}/{method}", data=data) as resp,
    ):
        return resp.status, await resp.json()


# ---------------------------------------------------------------------- basics


async def test_get_me_and_updates_parse_with_aiogram(fake: FakeTelegram, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.is_bot and me.id == 424242 and me.username

    anna = fake.user(7, "Анна", language_code="ru")
    staff = fake.user(1001, "Оператор")
    group = fake.forum_group(GROUP, "Операторы")
    group.add_member(staff, "administrator")
    thread = group.create_topic("№ 1", by=staff)

    start = anna.send_text("/start")
    assert start["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    anna.send_photo(caption="фото")
    anna.send_sticker()
    anna.send_voice()
    anna.send_document()
    anna.send_location()
    anna.send_contact()
    anna.send_video_note()
    album = anna.send_album(["photo", ("video", "подпись")])
    assert album[0]["media_group_id"] == album[1]["media_group_id"]
    anna.edit(start, "/start again")
    anna.reply(start, "ответ")
    in_topic = staff.send_text_in(group, "в теме", thread_id=thread)
    in_general = staff.send_text_in(group, "в General")
    assert in_topic["is_topic_message"] is True and in_topic["message_thread_id"] == thread
    assert "is_topic_message" not in in_general and "message_thread_id" not in in_general

    sent = await bot.send_message(7, "Выберите", reply_markup=keyboard(("Да", "yes")))
    query_id = anna.press(sent, "yes")
    anna.block_bot()
    anna.unblock_bot()

    updates = await bot.get_updates(timeout=0)
    kinds = [next(k for k, v in u.model_dump(exclude_none=True).items() if k != "update_id") for u in updates]
    assert kinds.count("message") == 13
    assert "edited_message" in kinds and "callback_query" in kinds
    assert kinds.count("my_chat_member") == 2
    ids = [u.update_id for u in updates]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    for raw in fake.world.updates:
        Update.model_validate(raw)  # aiogram parses every update
    callback = next(u.callback_query for u in updates if u.callback_query)
    assert (
        callback.id == query_id and callback.data == "yes" and callback.message.message_id == sent.message_id
    )
    blocked = next(u.my_chat_member for u in updates if u.my_chat_member)
    assert blocked.new_chat_member.status == "kicked" and blocked.old_chat_member.status == "member"
    reply = next(u.message for u in updates if u.message and u.message.text == "ответ")
    assert reply.reply_to_message.message_id == start["message_id"]
    assert fake.violations == []


async def test_send_edit_delete_and_callback_answer(fake: FakeTelegram, bot: Bot) -> None:
    anna = fake.user(7, "Анна")
    anna.send_text("/start")
    msg = await bot.send_message(
        7, "<b>Привет</b>, &lt;мир&gt;", parse_mode="HTML", reply_markup=keyboard(("Да", "y"))
    )
    assert msg.text == "Привет, <мир>" and msg.entities[0].type == "bold" and msg.entities[0].length == 6
    assert anna.last_message()["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "y"

    query = anna.press_button(msg, "Да")
    assert await bot.answer_callback_query(query, text="Принято")
    assert anna.callback_answer(query)["text"] == "Принято"
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query)

    edited = await bot.edit_message_text("Пока", chat_id=7, message_id=msg.message_id)
    assert isinstance(edited, Message) and edited.edit_date is not None and edited.reply_markup is None
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text("Пока", chat_id=7, message_id=msg.message_id)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=7, message_id=999)
    assert anna.history(msg)[0]["text"] == "Привет, <мир>"

    await bot.edit_message_reply_markup(
        chat_id=7, message_id=msg.message_id, reply_markup=keyboard(("Ок", "ok"))
    )
    assert anna.last_message()["reply_markup"]["inline_keyboard"][0][0]["text"] == "Ок"

    photo = await bot.send_photo(7, BufferedInputFile(b"\x89PNG-bytes", "p.png"), caption="старая")
    await bot.edit_message_caption(chat_id=7, message_id=photo.message_id, caption="новая")
    file = await bot.get_file(photo.photo[-1].file_id)
    assert (await bot.download_file(file.file_path)).read() == b"\x89PNG-bytes"

    await bot.send_message(
        7, "Меню", reply_markup=ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="Помощь")]])
    )
    assert anna.reply_keyboard() == ["Помощь"]
    anna.press_reply_button("Помощь")

    assert await bot.delete_message(7, msg.message_id)
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(7, msg.message_id)
    assert msg.message_id not in [m["message_id"] for m in anna.messages()]
    assert await bot.send_chat_action(7, "typing")
    assert fake.violations == []


async def test_private_chat_requires_start_and_block_gives_403(fake: FakeTelegram, bot: Bot) -> None:
    boris = fake.user(8, "Борис")
    with pytest.raises(TelegramForbiddenError, match="can't initiate conversation"):
        await bot.send_message(8, "hi")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(999_999, "hi")
    boris.send_text("/start")
    await bot.send_message(8, "hi")
    boris.block_bot()
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(8, "hi")
    boris.send_text("снова я")  # writing unblocks, as the Restart button does
    await bot.send_message(8, "hi again")
    statuses = [
        u["my_chat_member"]["new_chat_member"]["status"] for u in fake.world.updates if "my_chat_member" in u
    ]
    assert statuses == ["kicked", "member"]


# ---------------------------------------------------------------------- forum topics and copies


async def test_topics_copy_and_deleted_thread(fake: FakeTelegram, bot: Bot) -> None:
    anna = fake.user(7, "Анна")
    group = fake.forum_group(GROUP, "Операторы", bot_is_admin=True)
    topic = await bot.create_forum_topic(GROUP, "№ 1 · юрист", icon_color=0xFFD67E)
    assert topic.icon_color == 0xFFD67E
    thread = topic.message_thread_id
    assert group.topics()[0]["name"] == "№ 1 · юрист"

    text = anna.send_text("Здравствуйте")
    copied = await bot.copy_message(GROUP, 7, text["message_id"], message_thread_id=thread)
    in_topic = group.messages(thread, from_bot=True)
    assert [m["text"] for m in in_topic] == ["Здравствуйте"]
    assert in_topic[0]["message_id"] == copied.message_id and in_topic[0]["is_topic_message"] is True

    album = anna.send_album([("photo", "один"), "photo", "video"])
    ids = [m["message_id"] for m in album]
    result = await bot.copy_messages(GROUP, 7, [*ids, 500], message_thread_id=thread)
    assert len(result) == 3  # the missing id is skipped
    copies = group.messages(thread, from_bot=True)[-3:]
    assert (
        len({m["media_group_id"] for m in copies}) == 1
        and copies[0]["media_group_id"] != album[0]["media_group_id"]
    )
    assert copies[0]["caption"] == "один" and "photo" in copies[0] and "video" in copies[2]

    long_caption = anna.send_photo(caption="я" * 1024)
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.copy_message(GROUP, 7, long_caption["message_id"], message_thread_id=thread)
    short = await bot.copy_message(
        GROUP, 7, long_caption["message_id"], message_thread_id=thread, caption="кратко"
    )
    assert group.messages(thread)[-1]["message_id"] == short.message_id
    with pytest.raises(TelegramBadRequest, match="message to copy not found"):
        await bot.copy_message(GROUP, 7, 777)

    await bot.edit_forum_topic(GROUP, thread, name="№ 1 · закрыт")
    await bot.close_forum_topic(GROUP, thread)
    await bot.reopen_forum_topic(GROUP, thread)
    await bot.pin_chat_message(GROUP, copied.message_id)
    group.delete_topic(thread)
    assert group.messages(thread) == []
    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await bot.send_message(GROUP, "x", message_thread_id=thread)
    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await bot.copy_message(GROUP, 7, text["message_id"], message_thread_id=thread)
    member = await bot.get_chat_member(GROUP, fake.world.bot.id)
    assert member.status == "administrator" and member.can_manage_topics
    chat = await bot.get_chat(GROUP)
    assert chat.is_forum
    assert await bot.leave_chat(GROUP)
    with pytest.raises(TelegramForbiddenError, match="not a member"):
        await bot.send_message(GROUP, "x")
    assert fake.violations == []


async def test_media_group_upload_and_forward(fake: FakeTelegram, bot: Bot) -> None:
    anna = fake.user(7, "Анна")
    anna.send_text("/start")
    fake.forum_group(GROUP, "Операторы")
    sent = await bot.send_media_group(
        7,
        [
            InputMediaPhoto(
                media=BufferedInputFile(b"one", "1.jpg"), caption="<i>раз</i>", parse_mode="HTML"
            ),
            InputMediaPhoto(media=BufferedInputFile(b"two", "2.jpg")),
        ],
    )
    assert len({m.media_group_id for m in sent}) == 1 and sent[0].caption == "раз"
    forwarded = await bot.forward_message(GROUP, 7, sent[0].message_id)
    assert forwarded.forward_origin is not None
    assert fake.violations == []


# ---------------------------------------------------------------------- faults


async def test_injected_faults_raise_aiogram_exceptions(fake: FakeTelegram, bot: Bot) -> None:
    fake.user(7, "Анна").send_text("/start")
    fake.forum_group(GROUP, "Операторы")

    fake.fail_next("sendMessage", chat_id=7, error="429", retry_after=3)
    with pytest.raises(TelegramRetryAfter) as retry:
        await bot.send_message(7, "x")
    assert retry.value.retry_after == 3
    await bot.send_message(7, "x")  # the fault fired once

    fake.fail_next("sendMessage", error="403")
    with pytest.raises(TelegramForbiddenError):
        await bot.send_message(7, "x")
    fake.fail_next("copyMessage", chat_id=GROUP, error="400_thread")
    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await bot.copy_message(GROUP, 7, 1)
    fake.fail_next("sendMessage", error="500", count=2)
    for _ in range(2):
        with pytest.raises(TelegramServerError):
            await bot.send_message(7, "x")

    fast = make_bot(fake, timeout=0.3)
    try:
        fake.fail_next("sendMessage", error="timeout")
        with pytest.raises(TelegramNetworkError):
            await fast.send_message(7, "x")
        fake.fail_next("sendMessage", error="disconnect")
        with pytest.raises(TelegramNetworkError):
            await fast.send_message(7, "x")
    finally:
        await fast.session.close()

    fake.fail_next("sendMessage", error="slow", delay=0.2)
    started = time.monotonic()
    await bot.send_message(7, "slow")
    assert time.monotonic() - started >= 0.2
    assert fake.violations == []


# ---------------------------------------------------------------------- polling


async def test_long_polling_waits_and_confirms_offsets(fake: FakeTelegram, bot: Bot) -> None:
    anna = fake.user(7, "Анна")

    async def later() -> None:
        await asyncio.sleep(0.3)
        anna.send_text("привет")

    task = asyncio.create_task(later())
    started = time.monotonic()
    updates = await bot.get_updates(timeout=3)
    elapsed = time.monotonic() - started
    await task
    assert [u.message.text for u in updates] == ["привет"]
    assert 0.25 <= elapsed < 2

    started = time.monotonic()
    assert len(await bot.get_updates(timeout=0)) == 1  # not confirmed yet
    assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=1) == []
    assert 0.9 <= time.monotonic() - started < 2.5  # the empty poll waited for its timeout
    assert fake.world.updates == []

    anna.send_text("a")
    assert [u.message.text for u in await bot.get_updates(allowed_updates=["callback_query"])] == []
    assert [u.message.text for u in await bot.get_updates(allowed_updates=["message"])] == ["a"]


async def test_dispatcher_echo_with_start_polling(fake: FakeTelegram, bot: Bot) -> None:
    dp = Dispatcher()

    @dp.message()
    async def echo(message: Message) -> None:
        await message.answer(f"эхо: {message.text}")

    anna = fake.user(7, "Анна")
    polling = asyncio.create_task(
        dp.start_polling(bot, handle_signals=False, polling_timeout=1, close_bot_session=False)
    )
    try:
        anna.send_text("привет")
        reply = await anna.wait_for_message("эхо", timeout=5)
        assert reply["text"] == "эхо: привет"
        anna.send_text("ещё")
        assert (await anna.wait_for_message(timeout=5))["text"] == "эхо: ещё"
        call = await fake.wait_for_call("sendMessage", lambda c: c.params["text"] == "эхо: ещё")
        assert call.ok
    finally:
        await dp.stop_polling()
        await polling
    assert fake.violations == []


async def test_webhook_blocks_get_updates(fake: FakeTelegram, bot: Bot) -> None:
    await bot.set_webhook("https://example.org/hook")
    assert (await bot.get_webhook_info()).url == "https://example.org/hook"
    with pytest.raises(Exception, match="webhook is active"):
        await bot.get_updates()
    await bot.delete_webhook(drop_pending_updates=True)
    await bot.get_updates()


# ---------------------------------------------------------------------- spec violations


async def test_spec_violations_are_recorded(fake: FakeTelegram, bot: Bot) -> None:
    fake.user(7, "Анна").send_text("/start")
    fake.forum_group(GROUP, "Операторы")

    status, body = await raw_call(fake, "sendMessage", {"chat_id": "7", "text": "x", "colour": "red"})
    assert status == 400 and body["ok"] is False and "colour" in fake.violations[-1]["problem"]
    status, _ = await raw_call(fake, "sendMessage", {"chat_id": "7"})
    assert status == 400 and "text" in fake.violations[-1]["problem"]
    status, _ = await raw_call(
        fake, "sendMessage", {"chat_id": "7", "text": "x", "disable_notification": "maybe"}
    )
    assert status == 400 and "disable_notification" in fake.violations[-1]["problem"]
    status, _ = await raw_call(
        fake, "sendMessage", {"chat_id": "7", "text": "x", "reply_markup": "{not json"}
    )
    assert status == 400
    status, body = await raw_call(fake, "sendMesage", {"chat_id": "7", "text": "x"})
    assert status == 404 and body["description"] == "Not Found"
    status, body = await raw_call(fake, "sendPoll", {"chat_id": "7", "question": "q", "options": "[]"})
    assert status == 400 and "not implemented" in body["description"]
    # a String field is never JSON-decoded: "123" stays a text
    status, body = await raw_call(fake, "sendMessage", {"chat_id": "7", "text": "123"})
    assert status == 200 and body["result"]["text"] == "123"
    count = len(fake.violations)
    assert count == 6

    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(7, "строка<br>строка", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(7, "<b>жирный", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(7, "Итого: 5.", parse_mode="MarkdownV2")
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(7, "я" * 4097)
    await bot.send_message(7, "<b>" + "я" * 4096 + "</b>", parse_mode="HTML")  # tags do not count
    with pytest.raises(TelegramBadRequest, match="caption is too long"):
        await bot.send_photo(7, BufferedInputFile(b"x", "x.jpg"), caption="я" * 1025)
    with pytest.raises(TelegramBadRequest):
        await bot.send_message(7, "x", reply_markup=keyboard(("Да", "x" * 65)))
    with pytest.raises(TelegramBadRequest):
        await bot.send_message(
            7, "x", reply_markup=InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="пусто")]])
        )
    with pytest.raises(TelegramBadRequest):
        await bot.copy_messages(GROUP, 7, [3, 2])
    with pytest.raises(TelegramBadRequest):
        await bot.create_forum_topic(GROUP, "тема", icon_color=0x123456)
    with pytest.raises(TelegramBadRequest):
        await bot.create_forum_topic(GROUP, "т" * 129)
    with pytest.raises(TelegramBadRequest):
        await bot.send_chat_action(7, "dancing")
    with pytest.raises(TelegramBadRequest):
        await bot.send_message(7, "x", parse_mode="BBCode")
    assert len(fake.violations) == count + 12
    assert all({"method", "problem", "params"} <= v.keys() for v in fake.violations)
    fake.violations.clear()


def test_formatting_parsers() -> None:
    text, entities = parse_html(
        '<a href="https://x.org">ссылка</a> <pre><code class="language-py">x</code></pre>'
    )
    assert text == "ссылка x"
    assert entities[0] == {"type": "text_link", "offset": 0, "length": 6, "url": "https://x.org"}
    assert entities[1] == {"type": "pre", "offset": 7, "length": 1, "language": "py"}
    assert parse_html("😀<b>a</b>")[1] == [{"type": "bold", "offset": 2, "length": 1}]  # UTF-16 offsets
    for bad in ("<b>x</i>", "<span>x</span>", "a < b", "</b>"):
        with pytest.raises(FormatError):
            parse_html(bad)
    assert parse_markdown_v2(r"*жирный* и \. _курсив_")[0] == "жирный и . курсив"
    with pytest.raises(FormatError):
        parse_markdown_v2("*не закрыт")


# ---------------------------------------------------------------------- limits


async def test_flood_limits(fake: FakeTelegram, bot: Bot) -> None:
    fake.user(7, "Анна").send_text("/start")
    fake.forum_group(GROUP, "Операторы")
    fake.enforce_limits = True
    for _ in range(3):  # the private-chat burst
        await bot.send_message(7, "x")
    with pytest.raises(TelegramRetryAfter) as retry:
        await bot.send_message(7, "x")
    assert retry.value.retry_after >= 1

    for _ in range(20):
        await bot.send_message(GROUP, "y")
    with pytest.raises(TelegramRetryAfter) as retry:
        await bot.send_message(GROUP, "y")
    assert 50 <= retry.value.retry_after <= 60
    assert fake.max_group_sends(GROUP) == 20
    assert fake.rate_limited == 2 and fake.limiter.hits == {"private": 1, "group": 1}

    fake.enforce_limits = False
    await bot.send_message(GROUP, "y")
    assert fake.max_group_sends(GROUP) == 21
    assert fake.violations == []


# ---------------------------------------------------------------------- control API


async def test_control_api(fake: FakeTelegram, bot: Bot) -> None:
    base = f"{fake.base_url}/_control"
    async with aiohttp.ClientSession() as http:

        async def post(path: str, payload: dict[str, Any]) -> Any:
            async with http.post(base + path, json=payload) as resp:
                assert resp.status == 200, await resp.text()
                return await resp.json()

        async def get(path: str) -> Any:
            async with http.get(base + path) as resp:
                assert resp.status == 200, await resp.text()
                return await resp.json()

        await post("/users", {"id": 7, "first_name": "Анна"})
        await post("/groups", {"id": GROUP, "title": "Операторы", "forum": True})
        await post(f"/groups/{GROUP}/members", {"user_id": 7})
        sent = await post("/users/7/send_text", {"text": "/start"})
        assert sent["result"]["text"] == "/start"
        await post("/faults", {"method": "sendMessage", "error": "429", "retry_after": 2})
        with pytest.raises(TelegramRetryAfter):
            await bot.send_message(7, "x")
        reply = await bot.send_message(7, "ok", reply_markup=keyboard(("Да", "y")))
        pressed = await post(
            "/users/7/press",
            {"message": {"chat_id": 7, "message_id": reply.message_id}, "callback_data": "y"},
        )
        assert pressed["result"]
        calls = await get("/calls?method=sendMessage")
        assert [c["status"] for c in calls] == [429, 200]
        msgs = await get("/chats/7/messages?from_bot=1")
        assert [m["text"] for m in msgs] == ["ok"]
        assert (await get("/state"))["spec_version"].startswith("Bot API")
        assert await get("/violations") == []


# ---------------------------------------------------------------------- remaining methods


async def test_other_methods_round_trip(fake: FakeTelegram, bot: Bot) -> None:
    from aiogram.types import (
        BotCommand,
        BotCommandScopeAllPrivateChats,
        InputMediaDocument,
        MenuButtonCommands,
    )

    anna = fake.user(7, "Анна")
    assert fake.user(7) is anna  # handles are cached, so wait cursors are shared
    anna.send_text("/start")
    staff = fake.user(1001, "Оператор")
    group = fake.forum_group(GROUP, "Операторы")
    group.add_member(staff, "creator")

    commands = [BotCommand(command="start", description="Начать")]
    assert await bot.set_my_commands(commands, scope=BotCommandScopeAllPrivateChats(), language_code="ru")
    got = await bot.get_my_commands(scope=BotCommandScopeAllPrivateChats(), language_code="ru")
    assert [(c.command, c.description) for c in got] == [("start", "Начать")]
    assert await bot.delete_my_commands(scope=BotCommandScopeAllPrivateChats(), language_code="ru")
    assert await bot.set_chat_menu_button(chat_id=7, menu_button=MenuButtonCommands())

    upload = BufferedInputFile(b"data", "f.bin")
    await bot.send_document(7, upload, caption="док")
    await bot.send_video(7, BufferedInputFile(b"v", "v.mp4"))
    await bot.send_voice(7, BufferedInputFile(b"v", "v.ogg"))
    await bot.send_audio(7, BufferedInputFile(b"a", "a.mp3"))
    sticker = anna.send_sticker()
    await bot.send_sticker(7, sticker["sticker"]["file_id"])
    await bot.send_location(7, 55.75, 37.61)
    await bot.send_contact(7, "+79990000000", "Служба")
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_photo(7, "no-such-file-id")
    doc = anna.messages()[0]
    edited = await bot.edit_message_media(
        InputMediaDocument(media=BufferedInputFile(b"new", "n.bin"), caption="новый"),
        chat_id=7,
        message_id=doc["message_id"],
    )
    assert edited.caption == "новый" and edited.document is not None
    kinds = [
        next(
            k
            for k in m
            if k in ("text", "document", "video", "voice", "audio", "sticker", "location", "contact")
        )
        for m in anna.messages()
    ]
    assert kinds == ["document", "video", "voice", "audio", "sticker", "location", "contact"]

    ids = [m["message_id"] for m in anna.messages()[:3]]
    assert await bot.delete_messages(7, [*ids, 999])
    assert len(anna.messages()) == 4

    topic = await bot.create_forum_topic(GROUP, "тема")
    await bot.send_chat_action(GROUP, "typing", message_thread_id=topic.message_thread_id)
    note = staff.send_text_in(group, "заметка", topic.message_thread_id)
    assert note["reply_to_message"]["forum_topic_created"]["name"] == "тема"  # Telegram's topic quirk
    forwarded = await bot.forward_messages(
        GROUP, GROUP, [note["message_id"]], message_thread_id=topic.message_thread_id
    )
    assert len(forwarded) == 1
    pinned = await bot.send_message(GROUP, "карточка", message_thread_id=topic.message_thread_id)
    assert await bot.pin_chat_message(GROUP, pinned.message_id)
    assert (await bot.get_chat(GROUP)).pinned_message.message_id == pinned.message_id
    assert await bot.unpin_chat_message(GROUP, message_id=pinned.message_id)
    admins = await bot.get_chat_administrators(GROUP)
    assert {a.status for a in admins} == {"creator", "administrator"}
    reply = await group.wait_for_message("карточка", thread_id=topic.message_thread_id)
    assert reply["message_id"] == pinned.message_id
    assert await bot.delete_forum_topic(GROUP, topic.message_thread_id)
    assert group.topics() == [] and group.topics(include_deleted=True)[0]["deleted"]
    assert fake.violations == []


def test_answer_checker_flags_incomplete_objects(fake: FakeTelegram) -> None:
    spec = fake.spec
    good = {"message_id": 1, "date": 1, "chat": {"id": 1, "type": "private"}}
    assert spec.check_value(["Message"], good, "result") == []
    assert spec.check_value(["Message"], {"message_id": 1, "chat": good["chat"]}, "result")
    assert spec.check_value(["ForumTopic"], {"message_thread_id": 2, "name": "x"}, "result")
    member = {"status": "kicked", "user": {"id": 1, "is_bot": False, "first_name": "a"}}
    assert spec.check_value(["ChatMember"], member, "result")  # until_date missing for ChatMemberBanned
    assert spec.check_value(["ChatMember"], dict(member, until_date=0), "result") == []
