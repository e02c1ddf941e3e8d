"""Test-side actors: users that write to the bot and groups (forums) with staff."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .formatting import auto_entities
from .world import DEFAULT_BOT_RIGHTS, ChatRec, Member, StoredMessage, Topic, UserRec, now

if TYPE_CHECKING:
    from .server import FakeTelegram

MessagePredicate = Callable[[dict[str, Any]], bool] | str | None


def _matcher(predicate: MessagePredicate) -> Callable[[dict[str, Any]], bool]:
    if predicate is None:
        return lambda m: True
    if isinstance(predicate, str):
        return lambda m: predicate in (m.get("text") or m.get("caption") or "")
    return predicate


def _ref(message: Any) -> tuple[int, int]:
    """(chat_id, message_id) of a Message dict, an aiogram Message or a StoredMessage."""
    if isinstance(message, StoredMessage):
        return message.chat_id, message.message_id
    if isinstance(message, dict):
        return message["chat"]["id"], message["message_id"]
    return message.chat.id, message.message_id


class _Reader:
    """Cursor over bot messages in one chat: each wait returns a message not returned before."""

    fake: FakeTelegram
    chat_id: int

    def _init_reader(self) -> None:
        self._seen: set[int] = set()

    def mark_read(self) -> None:
        """Count every bot message so far as seen: the next wait returns only newer ones."""
        self._seen.update(m["message_id"] for m in self._bot_messages())

    def _bot_messages(
        self, thread_id: int | None = None, *, include_service: bool = False
    ) -> list[dict[str, Any]]:
        chat = self.fake.world.chats.get(self.chat_id)
        if chat is None:
            return []
        out = []
        for msg in chat.messages.values():
            if msg.deleted or msg.sender_id != self.fake.world.bot.id:
                continue
            if not include_service and msg.kind == "service":
                continue
            if thread_id is not None and msg.thread_id != thread_id:
                continue
            out.append(self.fake.world.message_dict(msg))
        return out

    async def _wait_bot_message(
        self,
        predicate: MessagePredicate,
        timeout: float,
        thread_id: int | None = None,
    ) -> dict[str, Any]:
        match = _matcher(predicate)

        def find() -> dict[str, Any] | None:
            for m in self._bot_messages(thread_id):
                if m["message_id"] not in self._seen and match(m):
                    self._seen.update(
                        x["message_id"]
                        for x in self._bot_messages(thread_id)
                        if x["message_id"] <= m["message_id"]
                    )
                    return m
            return None

        try:
            return await self.fake.wait_for(find, timeout)
        except TimeoutError:
            got = [m.get("text") or m.get("caption") or next(iter(m)) for m in self._bot_messages(thread_id)]
            raise TimeoutError(
                f"no new bot message in chat {self.chat_id} matched within {timeout} s; "
                f"last bot messages: {got[-5:]}"
            ) from None


class FakeUser(_Reader):
    def __init__(self, fake: FakeTelegram, rec: UserRec) -> None:
        self.fake = fake
        self.rec = rec
        self.chat_id = rec.id
        self._init_reader()

    def __repr__(self) -> str:
        return f"FakeUser({self.rec.id}, {self.rec.first_name!r})"

    @property
    def id(self) -> int:
        return self.rec.id

    @property
    def world(self) -> Any:
        return self.fake.world

    # ------------------------------------------------------------------ sending
    def _chat_for(self, group: FakeGroup | None) -> ChatRec:
        if group is None:
            chat = self.world.private_chat(self.rec)
            if self.rec.blocked:
                self.unblock_bot()  # writing to a blocked bot unblocks it (the "Restart" button)
            self.rec.started = True
            return chat
        member = self.world.member_status(group.chat, self.rec.id)
        if member.status in ("left", "kicked"):
            raise AssertionError(f"{self} is not a member of group {group.chat.id}; use group.add_member()")
        return group.chat

    def _post(
        self,
        content: dict[str, Any],
        group: FakeGroup | None = None,
        thread_id: int | None = None,
        reply_to: Any = None,
    ) -> dict[str, Any]:
        chat = self._chat_for(group)
        reply_id = None
        if reply_to is not None:
            reply_chat, reply_id = _ref(reply_to)
            target = chat.messages.get(reply_id)
            assert reply_chat == chat.id and target is not None and not target.deleted, (
                "reply target not found"
            )
            if chat.is_forum and thread_id is None:
                thread_id = target.thread_id
        if thread_id is not None and chat.is_forum:
            topic = chat.topics.get(thread_id)
            if topic is None or topic.deleted:
                raise AssertionError(f"topic {thread_id} does not exist in chat {chat.id}")
            if reply_id is None and self.fake.topic_reply_quirk:
                reply_id = thread_id
        elif not chat.is_forum:
            thread_id = None
        msg = self.world.add_message(chat, self.rec, content, thread_id=thread_id, reply_to=reply_id)
        data = self.world.message_dict(msg)
        self.world.queue_update("message", data)
        return data

    def send_text(
        self, text: str, *, group: FakeGroup | None = None, thread_id: int | None = None, reply_to: Any = None
    ) -> dict[str, Any]:
        """Send ``text`` to the bot (private chat) or into ``group``; commands get bot_command entities."""
        content: dict[str, Any] = {"text": text}
        entities = auto_entities(text)
        if entities:
            content["entities"] = entities
        return self._post(content, group, thread_id, reply_to)

    def send_text_in(
        self, group: FakeGroup, text: str, thread_id: int | None = None, *, reply_to: Any = None
    ) -> dict[str, Any]:
        return self.send_text(text, group=group, thread_id=thread_id, reply_to=reply_to)

    def reply(self, message: Any, text: str) -> dict[str, Any]:
        chat_id, _ = _ref(message)
        group = None if chat_id == self.rec.id else self.fake.group(chat_id)
        return self.send_text(text, group=group, reply_to=message)

    def _media(
        self,
        kind: str,
        caption: str | None,
        group: FakeGroup | None,
        thread_id: int | None,
        *,
        content: bytes | None = None,
        file_name: str | None = None,
        mime_type: str | None = None,
        media_group_id: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        rec = self.world.new_file(kind, content, file_name=file_name, mime_type=mime_type)
        data: dict[str, Any] = {kind: self.world.media_payload(kind, rec, **extra)}
        if caption:
            data["caption"] = caption
            entities = auto_entities(caption)
            if entities:
                data["caption_entities"] = entities
        if media_group_id:
            data["media_group_id"] = media_group_id
        return self._post(data, group, thread_id)

    def send_photo(
        self,
        caption: str | None = None,
        *,
        group: FakeGroup | None = None,
        thread_id: int | None = None,
        **kw: Any,
    ) -> dict[str, Any]:
        return self._media("photo", caption, group, thread_id, **kw)

    def send_video(
        self,
        caption: str | None = None,
        *,
        group: FakeGroup | None = None,
        thread_id: int | None = None,
        **kw: Any,
    ) -> dict[str, Any]:
        return self._media("video", caption, group, thread_id, **kw)

    def send_document(
        self,
        caption: str | None = None,
        *,
        file_name: str = "document.pdf",
        mime_type: str = "application/pdf",
        group: FakeGroup | None = None,
        thread_id: int | None = None,
        **kw: Any,
    ) -> dict[str, Any]:
        return self._media(
            "document", caption, group, thread_id, file_name=file_name, mime_type=mime_type, **kw
        )

    def send_audio(
        self,
        caption: str | None = None,
        *,
        group: FakeGroup | None = None,
        thread_id: int | None = None,
        **kw: Any,
    ) -> dict[str, Any]:
        return self._media("audio", caption, group, thread_id, mime_type="audio/mpeg", **kw)

    def send_voice(
        self,
        caption: str | None = None,
        *,
        group: FakeGroup | None = None,
        thread_id: int | None = None,
        **kw: Any,
    ) -> dict[str, Any]:
        return self._media("voice", caption, group, thread_id, mime_type="audio/ogg", **kw)

    def send_animation(
        self, *, group: FakeGroup | None = None, thread_id: int | None = None
    ) -> dict[str, Any]:
        return self._media("animation", None, group, thread_id)

    def send_sticker(
        self, emoji: str = "👍", *, group: FakeGroup | None = None, thread_id: int | None = None
    ) -> dict[str, Any]:
        return self._media("sticker", None, group, thread_id, emoji=emoji)

    def send_video_note(
        self, *, group: FakeGroup | None = None, thread_id: int | None = None
    ) -> dict[str, Any]:
        return self._media("video_note", None, group, thread_id)

    def send_location(
        self,
        latitude: float = 55.7558,
        longitude: float = 37.6173,
        *,
        group: FakeGroup | None = None,
        thread_id: int | None = None,
    ) -> dict[str, Any]:
        return self._post({"location": {"latitude": latitude, "longitude": longitude}}, group, thread_id)

    def send_contact(
        self,
        phone_number: str = "+79990000000",
        first_name: str | None = None,
        *,
        own: bool = True,
        group: FakeGroup | None = None,
        thread_id: int | None = None,
    ) -> dict[str, Any]:
        contact: dict[str, Any] = {
            "phone_number": phone_number,
            "first_name": first_name or self.rec.first_name,
        }
        if own:
            contact["user_id"] = self.rec.id
        return self._post({"contact": contact}, group, thread_id)

    def send_album(
        self, items: list[Any] | int = 2, *, group: FakeGroup | None = None, thread_id: int | None = None
    ) -> list[dict[str, Any]]:
        """An album of the same media_group_id.

        Items: "photo"/"video"/"document"/"audio", (kind, caption) or {"kind": ..., "caption": ...};
        or just a number of photos."""
        if isinstance(items, int):
            items = ["photo"] * items
        group_id = str(random.randint(10**17, 10**18))
        sent = []
        for item in items:
            if isinstance(item, str):
                kind, caption = item, None
            elif isinstance(item, tuple):
                kind, caption = item
            else:
                kind, caption = item.get("kind", "photo"), item.get("caption")
            sent.append(self._media(kind, caption, group, thread_id, media_group_id=group_id))
        return sent

    def edit(self, message: Any, new_text: str) -> dict[str, Any]:
        """Edit an own message (text, or caption of a media) and queue ``edited_message``."""
        msg = self._own(message)
        msg.history.append(dict(msg.data))
        key = "text" if "text" in msg.data else "caption"
        msg.data = dict(msg.data)
        msg.data[key] = new_text
        msg.data.pop("entities" if key == "text" else "caption_entities", None)
        entities = auto_entities(new_text)
        if entities:
            msg.data["entities" if key == "text" else "caption_entities"] = entities
        msg.data["edit_date"] = now()
        data = self.world.message_dict(msg)
        self.world.queue_update("edited_message", data)
        return data

    def delete(self, message: Any) -> None:
        """Delete an own message (Telegram sends no update to the bot)."""
        self._own(message).deleted = True

    def _own(self, message: Any) -> StoredMessage:
        chat_id, message_id = _ref(message)
        msg = self.world.chats[chat_id].messages.get(message_id)
        assert msg is not None and not msg.deleted, f"message {message_id} not found in chat {chat_id}"
        assert msg.sender_id == self.rec.id, "users can edit only their own messages"
        return msg

    # ------------------------------------------------------------------ buttons
    def press(self, message: Any, callback_data: str, *, forge: bool = False) -> str:
        """Press the inline button with ``callback_data``; returns the callback query id.

        ``forge=True`` sends the data even if no such button exists (a modified client can do that)."""
        chat_id, message_id = _ref(message)
        chat = self.world.chats[chat_id]
        msg = self.world.get_message(chat, message_id)
        assert msg is not None, f"message {message_id} not found in chat {chat_id}"
        buttons = [b for row in (msg.reply_markup or {}).get("inline_keyboard", []) for b in row]
        if not forge and not any(b.get("callback_data") == callback_data for b in buttons):
            raise AssertionError(
                f"message {message_id} has no button with callback_data {callback_data!r}; "
                f"buttons: {[(b.get('text'), b.get('callback_data')) for b in buttons]}"
            )
        query_id = str(random.randint(10**18, 9 * 10**18))
        query = {
            "id": query_id,
            "from": self.rec.to_dict(),
            "message": self.world.message_dict(msg),
            "chat_instance": str(abs(hash(("chat_instance", chat_id))) % 10**19),
            "data": callback_data,
        }
        self.world.callback_queries[query_id] = dict(query)
        self.world.queue_update("callback_query", query)
        return query_id

    def press_button(self, message: Any, text: str) -> str:
        """Press the inline button labelled ``text`` (exact match, or substring if unique)."""
        chat_id, message_id = _ref(message)
        msg = self.world.get_message(self.world.chats[chat_id], message_id)
        assert msg is not None, f"message {message_id} not found"
        buttons = [b for row in (msg.reply_markup or {}).get("inline_keyboard", []) for b in row]
        exact = [b for b in buttons if b["text"] == text]
        found = exact or [b for b in buttons if text in b["text"]]
        if len(found) != 1 or "callback_data" not in found[0]:
            raise AssertionError(
                f"no unique callback button {text!r}; buttons: {[b['text'] for b in buttons]}"
            )
        return self.press(message, found[0]["callback_data"])

    def callback_answer(self, query_id: str) -> dict[str, Any] | None:
        """The answerCallbackQuery parameters for ``query_id`` (None until answered)."""
        return self.world.callback_queries.get(query_id, {}).get("answer")

    def reply_keyboard(self) -> list[str]:
        """Labels of the reply keyboard the user currently sees in the private chat."""
        chat = self.world.chats.get(self.rec.id)
        markup = chat.reply_keyboard if chat else None
        return [b["text"] for row in (markup or {}).get("keyboard", []) for b in row]

    def share_location(self, text: str, latitude: float, longitude: float) -> dict[str, Any]:
        """Press a reply-keyboard button that has ``request_location``: the app sends the user's location."""
        chat = self.world.chats.get(self.rec.id)
        markup = chat.reply_keyboard if chat else None
        buttons = [b for row in (markup or {}).get("keyboard", []) for b in row if b.get("text") == text]
        if not buttons:
            raise AssertionError(f"reply keyboard has no button {text!r}; it has {self.reply_keyboard()}")
        if not buttons[0].get("request_location"):
            raise AssertionError(f"the button {text!r} does not request the location")
        if markup and markup.get("one_time_keyboard"):
            chat.reply_keyboard = None
        return self.send_location(latitude, longitude)

    def press_reply_button(self, text: str) -> dict[str, Any]:
        labels = self.reply_keyboard()
        if text not in labels:
            raise AssertionError(f"reply keyboard has no button {text!r}; it has {labels}")
        chat = self.world.chats[self.rec.id]
        if chat.reply_keyboard and chat.reply_keyboard.get("one_time_keyboard"):
            chat.reply_keyboard = None
        return self.send_text(text)

    # ------------------------------------------------------------------ blocking
    def block_bot(self) -> None:
        chat = self.world.private_chat(self.rec)
        self.rec.started = True
        if self.rec.blocked:
            return
        self.fake.set_bot_status(chat, Member(self.world.bot.id, "kicked"), by=self.rec)
        self.rec.blocked = True

    def unblock_bot(self) -> None:
        chat = self.world.private_chat(self.rec)
        if not self.rec.blocked:
            return
        self.rec.blocked = False
        self.fake.set_bot_status(chat, Member(self.world.bot.id, "member"), by=self.rec)

    # ------------------------------------------------------------------ reading
    def messages(self, *, include_service: bool = False) -> list[dict[str, Any]]:
        """Bot messages in the private chat, current state (edits applied, deleted ones left out)."""
        return self._bot_messages(include_service=include_service)

    def last_message(self) -> dict[str, Any] | None:
        msgs = self.messages()
        return msgs[-1] if msgs else None

    def history(self, message: Any) -> list[dict[str, Any]]:
        """Earlier versions of a message, oldest first."""
        chat_id, message_id = _ref(message)
        return list(self.world.chats[chat_id].messages[message_id].history)

    async def wait_for_message(
        self,
        predicate: MessagePredicate = None,
        timeout: float = 5.0,
    ) -> dict[str, Any]:
        """The next bot message to this user (not returned by an earlier wait) matching ``predicate``
        (a callable on the Message dict, or a substring of its text/caption)."""
        return await self._wait_bot_message(predicate, timeout)


class FakeGroup(_Reader):
    def __init__(self, fake: FakeTelegram, chat: ChatRec) -> None:
        self.fake = fake
        self.chat = chat
        self.chat_id = chat.id
        self._init_reader()

    def __repr__(self) -> str:
        return f"FakeGroup({self.chat.id}, {self.chat.title!r})"

    @property
    def id(self) -> int:
        return self.chat.id

    def add_member(
        self, user: FakeUser, status: str = "member", rights: dict[str, bool] | None = None
    ) -> None:
        if status == "administrator" and rights is None:
            rights = dict(DEFAULT_BOT_RIGHTS)
        self.chat.members[user.id] = Member(user.id, status, rights or {})

    def set_bot_status(self, status: str, *, by: FakeUser, rights: dict[str, bool] | None = None) -> None:
        """Promote/demote/kick the bot as ``by`` would; queues ``my_chat_member``."""
        new = Member(self.fake.world.bot.id, status, dict(DEFAULT_BOT_RIGHTS, **(rights or {})))
        self.fake.set_bot_status(self.chat, new, by=by.rec)

    def bot_status(self) -> str:
        return self.fake.world.member_status(self.chat, self.fake.world.bot.id).status

    def send_as_chat(
        self, text: str, *, channel: dict[str, Any] | None = None, thread_id: int | None = None
    ) -> dict[str, Any]:
        """A message on behalf of a chat, not a person: the group itself (an anonymous administrator) or, with
        ``channel`` ({"id", "title"}), a channel (a linked channel's post or a user writing as their channel)."""
        world = self.fake.world
        if channel is None:
            uid, name, username = 1087968824, "Group", "GroupAnonymousBot"
            sender_chat = world.chat_dict(self.chat)
        else:
            uid, name, username = 136817688, "Channel", "Channel_Bot"
            sender_chat = {"id": channel["id"], "type": "channel", "title": channel.get("title", "Channel")}
        sender = world.users.get(uid) or world.add_user(UserRec(uid, name, username=username, is_bot=True))
        content: dict[str, Any] = {"text": text, "sender_chat": sender_chat}
        entities = auto_entities(text)
        if entities:
            content["entities"] = entities
        if thread_id is not None and not self.chat.is_forum:
            thread_id = None
        msg = world.add_message(self.chat, sender, content, thread_id=thread_id, reply_to=thread_id)
        data = world.message_dict(msg)
        world.queue_update("message", data)
        return data

    # ------------------------------------------------------------------ topics
    def topics(self, *, include_deleted: bool = False) -> list[dict[str, Any]]:
        return [
            dict(t.to_dict(), closed=t.closed, deleted=t.deleted)
            for t in self.chat.topics.values()
            if include_deleted or not t.deleted
        ]

    def topic(self, thread_id: int) -> Topic:
        return self.chat.topics[thread_id]

    def create_topic(self, name: str, *, by: FakeUser, icon_color: int = 7322096) -> int:
        """Staff create a topic by hand; returns its message_thread_id."""
        return self.fake.create_topic(self.chat, name, icon_color, None, by.rec).thread_id

    def delete_topic(self, thread_id: int) -> None:
        """Staff delete a topic with all its messages (no update reaches the bot)."""
        self.fake.delete_topic(self.chat, self.chat.topics[thread_id])

    def close_topic(self, thread_id: int, *, by: FakeUser) -> dict[str, Any]:
        """Staff close a topic; the ``forum_topic_closed`` service message is delivered to the bot."""
        topic = self.chat.topics[thread_id]
        topic.closed = True
        msg = self.fake.world.add_message(
            self.chat, by.rec, {"forum_topic_closed": {}}, thread_id=thread_id, reply_to=thread_id
        )
        data = self.fake.world.message_dict(msg)
        self.fake.world.queue_update("message", data)
        return data

    # ------------------------------------------------------------------ reading
    def messages(
        self,
        thread_id: int | None = None,
        *,
        from_bot: bool | None = None,
        include_service: bool = False,
        include_deleted: bool = False,
    ) -> list[dict[str, Any]]:
        """Messages of the group (``thread_id``: only that topic), oldest first."""
        out = []
        for msg in self.chat.messages.values():
            if msg.deleted and not include_deleted:
                continue
            if thread_id is not None and msg.thread_id != thread_id:
                continue
            if not include_service and msg.kind == "service":
                continue
            if from_bot is not None and (msg.sender_id == self.fake.world.bot.id) != from_bot:
                continue
            out.append(self.fake.world.message_dict(msg))
        return out

    async def wait_for_message(
        self,
        predicate: MessagePredicate = None,
        timeout: float = 5.0,
        *,
        thread_id: int | None = None,
    ) -> dict[str, Any]:
        """The next bot message in the group (optionally in one topic) not returned by an earlier wait."""
        return await self._wait_bot_message(predicate, timeout, thread_id)
