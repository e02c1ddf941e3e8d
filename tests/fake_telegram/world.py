"""The fake's world: users, chats, topics, per-chat message logs, files and the update queue."""

from __future__ import annotations

import asyncio
import copy
import hashlib
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

MEDIA_KINDS = ("photo", "video", "voice", "audio", "document", "sticker", "animation", "video_note")
CONTENT_KINDS = (*MEDIA_KINDS, "venue", "location", "contact")
_EXT = {
    "photo": "jpg",
    "video": "mp4",
    "voice": "oga",
    "audio": "mp3",
    "document": "bin",
    "sticker": "webp",
    "animation": "mp4",
    "video_note": "mp4",
}
_FILE_PREFIX = {
    "photo": "AgAC",
    "video": "BAAC",
    "voice": "AwAC",
    "audio": "CQAC",
    "document": "BQAC",
    "sticker": "CAAC",
    "animation": "CgAC",
    "video_note": "DQAC",
}
ADMIN_RIGHTS = (
    "can_be_edited",
    "is_anonymous",
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_pin_messages",
    "can_manage_topics",
    "can_send_welcome_messages",
)
DEFAULT_BOT_RIGHTS = {
    r: r not in ("can_be_edited", "is_anonymous", "can_promote_members") for r in ADMIN_RIGHTS
}


def now() -> int:
    return int(time.time())


@dataclass
class UserRec:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False
    started: bool = False  # the private chat with the bot exists
    blocked: bool = False  # the user blocked the bot

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key):
                d[key] = getattr(self, key)
        return d


@dataclass
class Member:
    user_id: int
    status: str  # creator / administrator / member / restricted / left / kicked
    rights: dict[str, bool] = field(default_factory=dict)


@dataclass
class Topic:
    thread_id: int
    name: str
    icon_color: int
    icon_custom_emoji_id: str | None = None
    closed: bool = False
    deleted: bool = False
    created_by: int | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "message_thread_id": self.thread_id,
            "name": self.name,
            "icon_color": self.icon_color,
        }
        if self.icon_custom_emoji_id:
            d["icon_custom_emoji_id"] = self.icon_custom_emoji_id
        return d


@dataclass
class StoredMessage:
    chat_id: int
    message_id: int
    sender_id: int
    data: dict[str, Any]  # Message JSON without reply_to_message
    reply_to: int | None = None
    thread_id: int | None = None
    deleted: bool = False
    history: list[dict[str, Any]] = field(default_factory=list)  # earlier versions (before each edit)
    reply_keyboard: dict[str, Any] | None = None  # non-inline reply_markup the message was sent with

    @property
    def kind(self) -> str:
        for k in CONTENT_KINDS:
            if k in self.data:
                return k
        if "text" in self.data:
            return "text"
        return "service"

    @property
    def text(self) -> str | None:
        return self.data.get("text")

    @property
    def caption(self) -> str | None:
        return self.data.get("caption")

    @property
    def media_group_id(self) -> str | None:
        return self.data.get("media_group_id")

    @property
    def reply_markup(self) -> dict[str, Any] | None:
        return self.data.get("reply_markup")


@dataclass
class ChatRec:
    id: int
    type: str  # private / group / supergroup
    title: str | None = None
    username: str | None = None
    is_forum: bool = False
    user_id: int | None = None  # the other side of a private chat
    members: dict[int, Member] = field(default_factory=dict)
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    topics: dict[int, Topic] = field(default_factory=dict)
    next_message_id: int = 1
    pinned: list[int] = field(default_factory=list)
    reply_keyboard: dict[str, Any] | None = None  # the reply keyboard the user currently sees


@dataclass
class FileRec:
    file_id: str
    file_unique_id: str
    kind: str
    content: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None

    def to_file_dict(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.content),
            "file_path": self.file_path,
        }


DEFAULT_UPDATE_TYPES = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_connection",
    "business_message",
    "edited_business_message",
    "deleted_business_messages",
    "inline_query",
    "chosen_inline_result",
    "callback_query",
    "shipping_query",
    "pre_checkout_query",
    "purchased_paid_media",
    "poll",
    "poll_answer",
    "my_chat_member",
    "chat_join_request",
    "chat_boost",
    "removed_chat_boost",
)


class World:
    def __init__(self, bot_id: int, bot_username: str, bot_name: str) -> None:
        self.bot = UserRec(id=bot_id, first_name=bot_name, username=bot_username, is_bot=True)
        self.users: dict[int, UserRec] = {self.bot.id: self.bot}
        self.chats: dict[int, ChatRec] = {}
        self.files: dict[str, FileRec] = {}
        self.files_by_path: dict[str, FileRec] = {}
        self.updates: list[dict[str, Any]] = []
        self.next_update_id = 100_000
        self.sent_updates: dict[int, dict[str, Any]] = {}  # every update ever queued, by id (for redelivery)
        self.malformed: set[int] = set()  # ids of updates queued off-spec on purpose (not spec violations)
        self.redeliveries: list[dict[str, Any]] = []  # updates to hand out once more, whatever the offset
        self.allowed_updates: tuple[str, ...] = DEFAULT_UPDATE_TYPES
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        self.webhook: dict[str, Any] = {"url": ""}
        self.callback_queries: dict[str, dict[str, Any]] = {}  # id → query (with "answer" once answered)
        self._counter = itertools.count(1)
        self._update_event = asyncio.Event()
        self.changed_at = time.monotonic()

    # ------------------------------------------------------------------ change notification
    def touch(self) -> None:
        self.changed_at = time.monotonic()
        event, self._update_event = self._update_event, asyncio.Event()
        event.set()

    async def wait_change(self, timeout: float) -> None:
        event = self._update_event
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            pass

    # ------------------------------------------------------------------ entities
    def add_user(self, user: UserRec) -> UserRec:
        self.users[user.id] = user
        return user

    def private_chat(self, user: UserRec) -> ChatRec:
        chat = self.chats.get(user.id)
        if chat is None:
            chat = ChatRec(id=user.id, type="private", user_id=user.id)
            self.chats[user.id] = chat
        return chat

    def chat_dict(self, chat: ChatRec) -> dict[str, Any]:
        if chat.type == "private":
            user = self.users[chat.user_id or chat.id]
            d: dict[str, Any] = {"id": chat.id, "type": "private", "first_name": user.first_name}
            if user.last_name:
                d["last_name"] = user.last_name
            if user.username:
                d["username"] = user.username
            return d
        d = {"id": chat.id, "type": chat.type, "title": chat.title or ""}
        if chat.username:
            d["username"] = chat.username
        if chat.is_forum:
            d["is_forum"] = True
        return d

    def chat_full_info(self, chat: ChatRec) -> dict[str, Any]:
        d = self.chat_dict(chat)
        d.update(
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        )
        if chat.pinned:
            pinned = chat.messages.get(chat.pinned[-1])
            if pinned and not pinned.deleted:
                d["pinned_message"] = self.message_dict(pinned)
        return d

    def member_status(self, chat: ChatRec, user_id: int) -> Member:
        if chat.type == "private":
            user = self.users.get(chat.id)
            if user_id == self.bot.id and user and user.blocked:
                return Member(user_id, "kicked")
            return Member(user_id, "member")
        return chat.members.get(user_id) or Member(user_id, "left")

    def member_dict(self, chat: ChatRec, member: Member) -> dict[str, Any]:
        user = self.users.get(member.user_id) or UserRec(member.user_id, first_name=f"User {member.user_id}")
        d: dict[str, Any] = {"status": member.status, "user": user.to_dict()}
        if member.status == "creator":
            d["is_anonymous"] = False
        elif member.status == "administrator":
            for right in ADMIN_RIGHTS:
                d[right] = bool(member.rights.get(right, False))
        elif member.status == "kicked":
            d["until_date"] = 0
        elif member.status == "restricted":
            d.update(
                is_member=True,
                can_send_messages=False,
                can_send_audios=False,
                can_send_documents=False,
                can_send_photos=False,
                can_send_videos=False,
                can_send_video_notes=False,
                can_send_voice_notes=False,
                can_send_polls=False,
                can_send_other_messages=False,
                can_add_web_page_previews=False,
                can_react_to_messages=False,
                can_edit_tag=False,
                can_change_info=False,
                can_invite_users=False,
                can_pin_messages=False,
                can_manage_topics=False,
                until_date=0,
            )
        return d

    # ------------------------------------------------------------------ messages
    def add_message(
        self,
        chat: ChatRec,
        sender: UserRec,
        content: dict[str, Any],
        *,
        thread_id: int | None = None,
        reply_to: int | None = None,
        date: int | None = None,
    ) -> StoredMessage:
        message_id = chat.next_message_id
        chat.next_message_id += 1
        data: dict[str, Any] = {
            "message_id": message_id,
            "from": sender.to_dict(),
            "date": date or now(),
            "chat": self.chat_dict(chat),
        }
        if thread_id is not None:
            data["message_thread_id"] = thread_id
            if chat.is_forum:
                data["is_topic_message"] = True
        data.update(content)
        msg = StoredMessage(
            chat_id=chat.id,
            message_id=message_id,
            sender_id=sender.id,
            data=data,
            reply_to=reply_to,
            thread_id=thread_id,
        )
        chat.messages[message_id] = msg
        self.touch()
        return msg

    def message_dict(self, msg: StoredMessage, *, with_reply: bool = True) -> dict[str, Any]:
        d = copy.deepcopy(msg.data)
        if with_reply and msg.reply_to is not None:
            chat = self.chats[msg.chat_id]
            target = chat.messages.get(msg.reply_to)
            if target is not None and not target.deleted:
                d["reply_to_message"] = self.message_dict(target, with_reply=False)
        return d

    def get_message(self, chat: ChatRec, message_id: int) -> StoredMessage | None:
        msg = chat.messages.get(message_id)
        if msg is None or msg.deleted:
            return None
        return msg

    # ------------------------------------------------------------------ updates
    def queue_update(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": self.next_update_id, kind: copy.deepcopy(payload)}
        self.next_update_id += 1
        self.updates.append(update)
        self.sent_updates[update["update_id"]] = copy.deepcopy(update)
        self.touch()
        return update

    def pending_updates(
        self, offset: int | None, limit: int, allowed: tuple[str, ...]
    ) -> list[dict[str, Any]]:
        if offset is not None and offset < 0:
            selected = self.updates[offset:]
        else:
            if offset:
                self.confirm(offset)
            selected = self.updates
        result = []
        while self.redeliveries and len(result) < limit:
            result.append(self.redeliveries.pop(0))  # delivered again (Telegram's at-least-once), same id
        for upd in selected:
            kind = next(k for k in upd if k != "update_id")
            if kind in allowed:
                result.append(upd)
            if len(result) >= limit:
                break
        return result

    def confirm(self, offset: int) -> None:
        self.updates = [u for u in self.updates if u["update_id"] >= offset]

    # ------------------------------------------------------------------ files
    def new_file(
        self,
        kind: str,
        content: bytes | None = None,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
    ) -> FileRec:
        n = next(self._counter)
        if content is None:
            content = f"fake {kind} #{n}".encode()
        digest = hashlib.sha1(content + str(n).encode()).hexdigest()
        file_id = f"{_FILE_PREFIX.get(kind, 'BQAC')}AgIfake{digest[:24]}{n}"
        path = f"{kind}s/file_{n}.{_EXT.get(kind, 'bin')}"
        rec = FileRec(
            file_id=file_id,
            file_unique_id=f"AQAD{digest[24:36]}{n}",
            kind=kind,
            content=content,
            file_path=path,
            file_name=file_name,
            mime_type=mime_type,
        )
        self.files[file_id] = rec
        self.files_by_path[path] = rec
        return rec

    def media_payload(self, kind: str, rec: FileRec, **extra: Any) -> Any:
        """The Message field value for a media of ``kind`` stored as ``rec``."""
        base = {"file_id": rec.file_id, "file_unique_id": rec.file_unique_id, "file_size": len(rec.content)}
        if kind == "photo":
            small = dict(base, width=90, height=68, file_size=max(1, len(rec.content) // 10))
            small["file_id"] = rec.file_id + "s"
            small["file_unique_id"] = rec.file_unique_id + "s"
            self.files.setdefault(small["file_id"], rec)
            return [small, dict(base, width=800, height=600)]
        if kind in ("video", "animation"):
            d = dict(base, width=640, height=480, duration=extra.get("duration", 5))
        elif kind == "video_note":
            d = dict(base, length=240, duration=extra.get("duration", 5))
        elif kind in ("voice", "audio"):
            d = dict(base, duration=extra.get("duration", 3))
        elif kind == "sticker":
            d = dict(base, type="regular", width=512, height=512, is_animated=False, is_video=False)
            if extra.get("emoji"):
                d["emoji"] = extra["emoji"]
        else:
            d = dict(base)
        if kind in ("document", "audio", "video", "animation") and rec.file_name:
            d["file_name"] = rec.file_name
        if kind in ("document", "audio", "voice", "video") and rec.mime_type:
            d["mime_type"] = rec.mime_type
        return d
