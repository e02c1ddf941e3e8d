"""Bot API methods implemented by the fake (a mixin of :class:`FakeTelegram`)."""

from __future__ import annotations

import asyncio
import copy
import json
import random
from typing import TYPE_CHECKING, Any

from .spec import ApiError, UploadedFile, bad_request, formatted
from .world import DEFAULT_UPDATE_TYPES, MEDIA_KINDS, ChatRec, Member, StoredMessage, Topic, UserRec, now

if TYPE_CHECKING:
    from .world import World

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
# Message fields carried over by copyMessage / forwardMessage
COPY_FIELDS = (
    "text",
    "entities",
    "link_preview_options",
    *MEDIA_KINDS,
    "venue",
    "location",
    "contact",
    "caption",
    "caption_entities",
    "show_caption_above_media",
    "has_media_spoiler",
)
SEND_MEDIA = {
    "sendPhoto": "photo",
    "sendDocument": "document",
    "sendVideo": "video",
    "sendVoice": "voice",
    "sendAudio": "audio",
    "sendSticker": "sticker",
    "sendAnimation": "animation",
    "sendVideoNote": "video_note",
}


def _err(code: int, description: str) -> ApiError:
    return ApiError(code, description)


class BotMethods:
    world: World
    topic_reply_quirk: bool
    _poll_generation: int
    polls_started: int
    _closing: bool

    # ------------------------------------------------------------------ helpers
    def _bot_member(self, chat: ChatRec) -> Member:
        return self.world.member_status(chat, self.world.bot.id)

    def _bot_can(self, chat: ChatRec, right: str) -> bool:
        member = self._bot_member(chat)
        return member.status == "creator" or (
            member.status == "administrator" and member.rights.get(right, False)
        )

    def resolve_chat(self, chat_id: Any, *, for_send: bool = True) -> ChatRec:
        w = self.world
        chat: ChatRec | None = None
        if isinstance(chat_id, str):
            if not chat_id.startswith("@"):
                raise _err(400, "Bad Request: chat not found")
            name = chat_id[1:].lower()
            chat = next((c for c in w.chats.values() if (c.username or "").lower() == name), None)
        else:
            chat = w.chats.get(chat_id)
        if chat is None:
            if chat_id in w.users:
                raise _err(403, "Forbidden: bot can't initiate conversation with a user")
            raise _err(400, "Bad Request: chat not found")
        if chat.type == "private":
            user = w.users[chat.id]
            if not user.started:
                raise _err(403, "Forbidden: bot can't initiate conversation with a user")
            if for_send and user.blocked:
                raise _err(403, "Forbidden: bot was blocked by the user")
        else:
            status = self._bot_member(chat).status
            kind = "supergroup chat" if chat.type == "supergroup" else "group chat"
            if status == "kicked":
                raise _err(403, f"Forbidden: bot was kicked from the {kind}")
            if status == "left":
                raise _err(403, f"Forbidden: bot is not a member of the {kind}")
        return chat

    def _thread(self, chat: ChatRec, thread_id: int | None) -> int | None:
        if thread_id is None or not chat.is_forum:
            return None
        topic = chat.topics.get(thread_id)
        if topic is None or topic.deleted:
            raise _err(400, "Bad Request: message thread not found")
        if topic.closed and not self._bot_can(chat, "can_manage_topics"):
            raise _err(400, "Bad Request: TOPIC_CLOSED")
        return thread_id

    def _reply(
        self, chat: ChatRec, p: dict[str, Any], thread_id: int | None
    ) -> tuple[int | None, int | None]:
        rp = p.get("reply_parameters")
        if not rp:
            return None, thread_id
        if "chat_id" in rp and str(rp["chat_id"]) != str(chat.id):
            return None, thread_id  # replies to other chats are shown as external replies; not modelled
        target = self.world.get_message(chat, rp["message_id"])
        if target is not None and chat.is_forum and thread_id is not None and target.thread_id != thread_id:
            target = None
        if target is None:
            if rp.get("allow_sending_without_reply"):
                return None, thread_id
            raise _err(400, "Bad Request: message to be replied not found")
        if chat.is_forum and thread_id is None:
            thread_id = target.thread_id
        return target.message_id, thread_id

    def _apply_markup(self, chat: ChatRec, msg: StoredMessage, markup: dict[str, Any] | None) -> None:
        if not markup:
            return
        if "inline_keyboard" in markup:
            msg.data["reply_markup"] = markup
        elif "keyboard" in markup:
            msg.reply_keyboard = markup
            chat.reply_keyboard = markup
        elif markup.get("remove_keyboard"):
            chat.reply_keyboard = None

    def store_bot_message(
        self,
        chat: ChatRec,
        content: dict[str, Any],
        p: dict[str, Any],
        *,
        thread_id: int | None = None,
        reply_to: int | None = None,
    ) -> StoredMessage:
        if thread_id is not None and reply_to is None and self.topic_reply_quirk:
            reply_to = thread_id  # Telegram: topic messages reply to the forum_topic_created message
        if p.get("protect_content"):
            content["has_protected_content"] = True
        msg = self.world.add_message(chat, self.world.bot, content, thread_id=thread_id, reply_to=reply_to)
        self._apply_markup(chat, msg, p.get("reply_markup"))
        self.note_send(chat)
        return msg

    def note_send(self, chat: ChatRec) -> None:
        """Hook for send accounting (the server records group send times)."""

    def _target(self, p: dict[str, Any]) -> tuple[ChatRec, int | None, int | None]:
        chat = self.resolve_chat(p["chat_id"])
        thread_id = self._thread(chat, p.get("message_thread_id"))
        reply_to, thread_id = self._reply(chat, p, thread_id)
        return chat, thread_id, reply_to

    def _mentions(self, ents: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """A text_mention carries the whole User, as Telegram fills it in (or the mention is dropped)."""
        out = []
        for e in ents:
            if e.get("type") == "text_mention":
                user = self.world.users.get(int(e["user"]["id"]))
                if user is None:
                    continue  # Telegram drops mentions of users the bot has never seen
                e = dict(e, user=user.to_dict())
            out.append(e)
        return out

    def _text_content(self, text: str, parse_mode: str | None, entities: list | None) -> dict[str, Any]:
        plain, ents = formatted(text, parse_mode, entities)
        ents = self._mentions(ents)
        content: dict[str, Any] = {"text": plain}
        if ents:
            content["entities"] = ents
        return content

    def _caption_content(self, p: dict[str, Any], content: dict[str, Any]) -> None:
        if "caption" not in p:
            return
        plain, ents = formatted(p["caption"], p.get("parse_mode"), p.get("caption_entities"))
        ents = self._mentions(ents)
        if plain:
            content["caption"] = plain
        if ents:
            content["caption_entities"] = ents
        if p.get("show_caption_above_media"):
            content["show_caption_above_media"] = True

    def _file(self, kind: str, value: Any, files: dict[str, UploadedFile]) -> Any:
        w = self.world
        if isinstance(value, str) and value.startswith("attach://"):
            value = files.get(value[len("attach://") :])
            if value is None:
                raise bad_request("wrong file identifier/HTTP URL specified")
        if isinstance(value, UploadedFile):
            rec = w.new_file(kind, value.content, file_name=value.filename, mime_type=value.content_type)
        elif isinstance(value, str) and value.startswith(("http://", "https://")):
            rec = w.new_file(kind, b"", file_name=value.rsplit("/", 1)[-1] or None)
        elif isinstance(value, str) and value in w.files:
            rec = w.files[value]
        else:
            raise _err(400, "Bad Request: wrong file identifier/HTTP URL specified")
        return w.media_payload(kind, rec)

    @staticmethod
    def _msg_id(p: dict[str, Any]) -> int:
        if p.get("inline_message_id"):
            raise bad_request("inline messages are not supported by the fake", "inline_message_id used")
        if "chat_id" not in p or "message_id" not in p:
            raise bad_request("message identifier is not specified", "chat_id and message_id are required")
        return p["message_id"]

    # ------------------------------------------------------------------ bot & updates
    def api_getMe(self, p: dict[str, Any]) -> Any:
        d = self.world.bot.to_dict()
        d.update(
            can_join_groups=True,
            can_read_all_group_messages=False,
            supports_inline_queries=False,
            can_connect_to_business=False,
            has_main_web_app=False,
        )
        return d

    async def api_getUpdates(self, p: dict[str, Any]) -> Any:
        w = self.world
        if w.webhook["url"]:
            raise _err(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete "
                "the webhook first",
            )
        if "allowed_updates" in p:
            w.allowed_updates = tuple(p["allowed_updates"]) or DEFAULT_UPDATE_TYPES
        self._poll_generation += 1
        self.polls_started += 1
        generation = self._poll_generation
        w.touch()  # wakes an older poll, which then answers 409
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0, p.get("timeout", 0))
        while True:
            updates = w.pending_updates(p.get("offset"), p.get("limit", 100), w.allowed_updates)
            if updates or self._closing:
                return copy.deepcopy(updates)
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            await w.wait_change(min(remaining, 1.0))
            if generation != self._poll_generation:
                raise _err(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one bot instance "
                    "is running",
                )

    def api_deleteWebhook(self, p: dict[str, Any]) -> Any:
        self.world.webhook = {"url": ""}
        if p.get("drop_pending_updates"):
            self.world.updates.clear()
        return True

    def api_setWebhook(self, p: dict[str, Any]) -> Any:
        self.world.webhook = {k: v for k, v in p.items() if not k.startswith("__")}
        if p.get("drop_pending_updates"):
            self.world.updates.clear()
        if "allowed_updates" in p:
            self.world.allowed_updates = tuple(p["allowed_updates"]) or DEFAULT_UPDATE_TYPES
        return True

    def api_getWebhookInfo(self, p: dict[str, Any]) -> Any:
        info: dict[str, Any] = {
            "url": self.world.webhook["url"],
            "has_custom_certificate": False,
            "pending_update_count": len(self.world.updates),
        }
        if self.world.webhook["url"]:
            info["allowed_updates"] = list(self.world.allowed_updates)
        return info

    @staticmethod
    def _commands_key(p: dict[str, Any]) -> str:
        return json.dumps([p.get("scope") or {"type": "default"}, p.get("language_code", "")], sort_keys=True)

    def api_setMyCommands(self, p: dict[str, Any]) -> Any:
        self.world.commands[self._commands_key(p)] = p["commands"]
        return True

    def api_getMyCommands(self, p: dict[str, Any]) -> Any:
        return self.world.commands.get(self._commands_key(p), [])

    def api_deleteMyCommands(self, p: dict[str, Any]) -> Any:
        self.world.commands.pop(self._commands_key(p), None)
        return True

    def api_setChatMenuButton(self, p: dict[str, Any]) -> Any:
        self.world.menu_buttons[p.get("chat_id")] = p.get("menu_button") or {"type": "default"}
        return True

    def api_getChatMenuButton(self, p: dict[str, Any]) -> Any:
        return self.world.menu_buttons.get(p.get("chat_id")) or {"type": "commands"}

    # ------------------------------------------------------------------ sending
    def api_sendMessage(self, p: dict[str, Any]) -> Any:
        chat, thread_id, reply_to = self._target(p)
        content = self._text_content(p["text"], p.get("parse_mode"), p.get("entities"))
        if p.get("link_preview_options"):
            content["link_preview_options"] = p["link_preview_options"]
        msg = self.store_bot_message(chat, content, p, thread_id=thread_id, reply_to=reply_to)
        return self.world.message_dict(msg)

    def _send_media(self, method: str, p: dict[str, Any]) -> Any:
        kind = SEND_MEDIA[method]
        chat, thread_id, reply_to = self._target(p)
        content: dict[str, Any] = {kind: self._file(kind, p[kind], p["__files__"])}
        self._caption_content(p, content)
        if p.get("has_spoiler"):
            content["has_media_spoiler"] = True
        msg = self.store_bot_message(chat, content, p, thread_id=thread_id, reply_to=reply_to)
        return self.world.message_dict(msg)

    def api_sendPhoto(self, p: dict[str, Any]) -> Any:
        return self._send_media("sendPhoto", p)

    def api_sendDocument(self, p: dict[str, Any]) -> Any:
        return self._send_media("sendDocument", p)

    def api_sendVideo(self, p: dict[str, Any]) -> Any:
        return self._send_media("sendVideo", p)

    def api_sendVoice(self, p: dict[str, Any]) -> Any:
        return self._send_media("sendVoice", p)

    def api_sendAudio(self, p: dict[str, Any]) -> Any:
        return self._send_media("sendAudio", p)

    def api_sendSticker(self, p: dict[str, Any]) -> Any:
        return self._send_media("sendSticker", p)

    def api_sendAnimation(self, p: dict[str, Any]) -> Any:
        return self._send_media("sendAnimation", p)

    def api_sendVideoNote(self, p: dict[str, Any]) -> Any:
        return self._send_media("sendVideoNote", p)

    def api_sendLocation(self, p: dict[str, Any]) -> Any:
        chat, thread_id, reply_to = self._target(p)
        content = {"location": {"latitude": float(p["latitude"]), "longitude": float(p["longitude"])}}
        msg = self.store_bot_message(chat, content, p, thread_id=thread_id, reply_to=reply_to)
        return self.world.message_dict(msg)

    def api_sendVenue(self, p: dict[str, Any]) -> Any:
        chat, thread_id, reply_to = self._target(p)
        lat, lon = float(p["latitude"]), float(p["longitude"])
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise bad_request("Bad Request: wrong latitude or longitude")
        title, address = str(p["title"]).strip(), str(p["address"]).strip()
        if not title or not address:
            raise bad_request("Bad Request: venue title and address must be non-empty")
        location = {"latitude": lat, "longitude": lon}
        venue: dict[str, Any] = {"location": location, "title": title, "address": address}
        for key in ("foursquare_id", "foursquare_type", "google_place_id", "google_place_type"):
            if p.get(key):
                venue[key] = p[key]
        # Telegram fills both: a venue message also carries its location
        content = {"venue": venue, "location": location}
        msg = self.store_bot_message(chat, content, p, thread_id=thread_id, reply_to=reply_to)
        return self.world.message_dict(msg)

    def api_sendContact(self, p: dict[str, Any]) -> Any:
        chat, thread_id, reply_to = self._target(p)
        contact = {"phone_number": p["phone_number"], "first_name": p["first_name"]}
        if p.get("last_name"):
            contact["last_name"] = p["last_name"]
        msg = self.store_bot_message(chat, {"contact": contact}, p, thread_id=thread_id, reply_to=reply_to)
        return self.world.message_dict(msg)

    def api_sendMediaGroup(self, p: dict[str, Any]) -> Any:
        chat, thread_id, reply_to = self._target(p)
        group_id = str(random.randint(10**17, 10**18))
        result = []
        for item in p["media"]:
            kind = item["type"]
            content: dict[str, Any] = {kind: self._file(kind, item["media"], p["__files__"])}
            self._caption_content(item, content)
            content["media_group_id"] = group_id
            msg = self.store_bot_message(chat, content, {}, thread_id=thread_id, reply_to=reply_to)
            result.append(self.world.message_dict(msg))
        return result

    def api_sendChatAction(self, p: dict[str, Any]) -> Any:
        chat = self.resolve_chat(p["chat_id"])
        self._thread(chat, p.get("message_thread_id"))
        return True

    # ------------------------------------------------------------------ copy / forward
    def _source(self, p: dict[str, Any], message_id: int, what: str) -> StoredMessage | None:
        src_chat = self.resolve_chat(p["from_chat_id"], for_send=False)
        return self.world.get_message(src_chat, message_id)

    def _copy_content(self, src: StoredMessage, *, remove_caption: bool = False) -> dict[str, Any]:
        content = {k: copy.deepcopy(v) for k, v in src.data.items() if k in COPY_FIELDS}
        if remove_caption:
            content.pop("caption", None)
            content.pop("caption_entities", None)
        return content

    @staticmethod
    def _check_topic_caption(chat: ChatRec, thread_id: int | None, content: dict[str, Any]) -> None:
        # tdlib/telegram-bot-api#334: media with a caption over 1023 characters can't be copied into a topic
        if chat.is_forum and thread_id is not None and len(content.get("caption", "")) > 1023:
            raise _err(400, "Bad Request: message caption is too long")

    def api_copyMessage(self, p: dict[str, Any]) -> Any:
        chat, thread_id, reply_to = self._target(p)
        src = self._source(p, p["message_id"], "copy")
        if src is None:
            raise _err(400, "Bad Request: message to copy not found")
        if src.kind == "service":
            raise _err(400, "Bad Request: message can't be copied")
        content = self._copy_content(src)
        if "caption" in p:
            content.pop("caption", None)
            content.pop("caption_entities", None)
            self._caption_content(p, content)
        self._check_topic_caption(chat, thread_id, content)
        msg = self.store_bot_message(chat, content, p, thread_id=thread_id, reply_to=reply_to)
        return {"message_id": msg.message_id}

    def _copy_many(self, p: dict[str, Any], *, forward: bool) -> Any:
        chat = self.resolve_chat(p["chat_id"])
        thread_id = self._thread(chat, p.get("message_thread_id"))
        sources = []
        for message_id in p["message_ids"]:
            src = self._source(p, message_id, "copy")
            if src is not None and src.kind != "service":
                sources.append(src)
        contents = []
        group_ids: dict[str, str] = {}
        for src in sources:
            content = self._copy_content(src, remove_caption=bool(p.get("remove_caption")))
            if src.media_group_id:
                content["media_group_id"] = group_ids.setdefault(
                    src.media_group_id, str(random.randint(10**17, 10**18))
                )
            if forward:
                content["forward_origin"] = self._origin(src)
            else:
                self._check_topic_caption(chat, thread_id, content)
            contents.append(content)
        return [
            {"message_id": self.store_bot_message(chat, c, p, thread_id=thread_id).message_id}
            for c in contents
        ]

    def api_copyMessages(self, p: dict[str, Any]) -> Any:
        return self._copy_many(p, forward=False)

    def api_forwardMessages(self, p: dict[str, Any]) -> Any:
        return self._copy_many(p, forward=True)

    def _origin(self, src: StoredMessage) -> dict[str, Any]:
        if "forward_origin" in src.data:
            return copy.deepcopy(src.data["forward_origin"])
        sender = self.world.users[src.sender_id]
        return {"type": "user", "date": src.data["date"], "sender_user": sender.to_dict()}

    def api_forwardMessage(self, p: dict[str, Any]) -> Any:
        chat = self.resolve_chat(p["chat_id"])
        thread_id = self._thread(chat, p.get("message_thread_id"))
        src = self._source(p, p["message_id"], "forward")
        if src is None:
            raise _err(400, "Bad Request: message to forward not found")
        if src.kind == "service":
            raise _err(400, "Bad Request: message can't be forwarded")
        content = self._copy_content(src)
        content["forward_origin"] = self._origin(src)
        msg = self.store_bot_message(chat, content, p, thread_id=thread_id)
        return self.world.message_dict(msg)

    # ------------------------------------------------------------------ editing
    def _editable(self, p: dict[str, Any]) -> tuple[ChatRec, StoredMessage]:
        message_id = self._msg_id(p)
        chat = self.resolve_chat(p["chat_id"])
        msg = self.world.get_message(chat, message_id)
        if msg is None:
            raise _err(400, "Bad Request: message to edit not found")
        if msg.sender_id != self.world.bot.id:
            raise _err(400, "Bad Request: message can't be edited")
        return chat, msg

    def _commit_edit(self, msg: StoredMessage, new_data: dict[str, Any]) -> Any:
        if {k: v for k, v in new_data.items() if k != "edit_date"} == {
            k: v for k, v in msg.data.items() if k != "edit_date"
        }:
            raise _err(400, NOT_MODIFIED)
        msg.history.append(copy.deepcopy(msg.data))
        new_data["edit_date"] = now()
        msg.data = new_data
        self.world.touch()
        return self.world.message_dict(msg)

    @staticmethod
    def _with_markup(data: dict[str, Any], markup: dict[str, Any] | None) -> None:
        data.pop("reply_markup", None)
        if markup and markup.get("inline_keyboard"):
            data["reply_markup"] = markup

    def api_editMessageText(self, p: dict[str, Any]) -> Any:
        _, msg = self._editable(p)
        if "text" not in msg.data:
            raise _err(400, "Bad Request: there is no text in the message to edit")
        new = copy.deepcopy(msg.data)
        new.pop("entities", None)
        new.update(self._text_content(p["text"], p.get("parse_mode"), p.get("entities")))
        if p.get("link_preview_options"):
            new["link_preview_options"] = p["link_preview_options"]
        self._with_markup(new, p.get("reply_markup"))
        return self._commit_edit(msg, new)

    def api_editMessageCaption(self, p: dict[str, Any]) -> Any:
        _, msg = self._editable(p)
        if not any(k in msg.data for k in MEDIA_KINDS):
            raise _err(400, "Bad Request: there is no caption in the message to edit")
        new = copy.deepcopy(msg.data)
        new.pop("caption", None)
        new.pop("caption_entities", None)
        self._caption_content(p, new)
        self._with_markup(new, p.get("reply_markup"))
        return self._commit_edit(msg, new)

    def api_editMessageMedia(self, p: dict[str, Any]) -> Any:
        _, msg = self._editable(p)
        if not any(k in msg.data for k in MEDIA_KINDS):
            raise _err(400, "Bad Request: there is no media in the message to edit")
        media = p["media"]
        if msg.media_group_id and media["type"] not in ("photo", "video") and media["type"] != msg.kind:
            raise _err(400, "Bad Request: can't use the media of the specified type in the album")
        new = {k: v for k, v in copy.deepcopy(msg.data).items() if k not in COPY_FIELDS}
        new[media["type"]] = self._file(media["type"], media["media"], p["__files__"])
        self._caption_content(media, new)
        self._with_markup(new, p.get("reply_markup"))
        return self._commit_edit(msg, new)

    def api_editMessageReplyMarkup(self, p: dict[str, Any]) -> Any:
        _, msg = self._editable(p)
        new = copy.deepcopy(msg.data)
        self._with_markup(new, p.get("reply_markup"))
        return self._commit_edit(msg, new)

    def _delete_one(self, chat: ChatRec, message_id: int) -> bool:
        msg = self.world.get_message(chat, message_id)
        if msg is None:
            return False
        if chat.type != "private" and msg.sender_id != self.world.bot.id:
            if not self._bot_can(chat, "can_delete_messages"):
                raise _err(400, "Bad Request: message can't be deleted")
        msg.deleted = True
        self.world.touch()
        return True

    def api_deleteMessage(self, p: dict[str, Any]) -> Any:
        chat = self.resolve_chat(p["chat_id"], for_send=False)
        if not self._delete_one(chat, p["message_id"]):
            raise _err(400, "Bad Request: message to delete not found")
        return True

    def api_deleteMessages(self, p: dict[str, Any]) -> Any:
        chat = self.resolve_chat(p["chat_id"], for_send=False)
        for message_id in p["message_ids"]:
            self._delete_one(chat, message_id)
        return True

    def api_answerCallbackQuery(self, p: dict[str, Any]) -> Any:
        query = self.world.callback_queries.get(p["callback_query_id"])
        if query is None or "answer" in query:
            raise _err(
                400, "Bad Request: query is too old and response timeout expired or query ID is invalid"
            )
        query["answer"] = {k: v for k, v in p.items() if not k.startswith("__")}
        self.world.touch()
        return True

    def api_pinChatMessage(self, p: dict[str, Any]) -> Any:
        chat = self.resolve_chat(p["chat_id"], for_send=False)
        msg = self.world.get_message(chat, p["message_id"])
        if msg is None:
            raise _err(400, "Bad Request: message to pin not found")
        if chat.type != "private" and not self._bot_can(chat, "can_pin_messages"):
            raise _err(400, "Bad Request: not enough rights to manage pinned messages in the chat")
        if msg.message_id in chat.pinned:
            chat.pinned.remove(msg.message_id)
        chat.pinned.append(msg.message_id)
        if chat.type != "private":
            self.world.add_message(
                chat,
                self.world.bot,
                {"pinned_message": self.world.message_dict(msg, with_reply=False)},
                thread_id=msg.thread_id,
            )
        return True

    def api_unpinChatMessage(self, p: dict[str, Any]) -> Any:
        chat = self.resolve_chat(p["chat_id"], for_send=False)
        if chat.type != "private" and not self._bot_can(chat, "can_pin_messages"):
            raise _err(400, "Bad Request: not enough rights to manage pinned messages in the chat")
        target = p.get("message_id") or (chat.pinned[-1] if chat.pinned else None)
        if target is None or target not in chat.pinned:
            raise _err(400, "Bad Request: message to unpin not found")
        chat.pinned.remove(target)
        return True

    # ------------------------------------------------------------------ forum topics
    def _forum(self, p: dict[str, Any]) -> ChatRec:
        chat = self.resolve_chat(p["chat_id"])
        if not chat.is_forum:
            raise _err(400, "Bad Request: the chat is not a forum")
        return chat

    def _topic(self, chat: ChatRec, thread_id: int, right: str = "can_manage_topics") -> Topic:
        topic = chat.topics.get(thread_id)
        if topic is None or topic.deleted:
            raise _err(400, "Bad Request: TOPIC_ID_INVALID")
        if not self._bot_can(chat, right) and not (
            right == "can_manage_topics" and topic.created_by == self.world.bot.id
        ):
            raise _err(400, "Bad Request: not enough rights to manage the topic")
        return topic

    def _topic_service(self, chat: ChatRec, topic: Topic, content: dict[str, Any]) -> None:
        self.world.add_message(
            chat, self.world.bot, content, thread_id=topic.thread_id, reply_to=topic.thread_id
        )

    def api_createForumTopic(self, p: dict[str, Any]) -> Any:
        chat = self._forum(p)
        if not self._bot_can(chat, "can_manage_topics"):
            raise _err(400, "Bad Request: not enough rights to create a topic")
        return self.create_topic(
            chat, p["name"], p.get("icon_color", 7322096), p.get("icon_custom_emoji_id"), self.world.bot
        ).to_dict()

    def create_topic(
        self, chat: ChatRec, name: str, icon_color: int, emoji_id: str | None, creator: UserRec
    ) -> Topic:
        created: dict[str, Any] = {"name": name, "icon_color": icon_color}
        if emoji_id:
            created["icon_custom_emoji_id"] = emoji_id
        thread_id = chat.next_message_id
        service = self.world.add_message(chat, creator, {"forum_topic_created": created}, thread_id=thread_id)
        topic = Topic(thread_id, name, icon_color, emoji_id, created_by=creator.id)
        chat.topics[service.message_id] = topic
        return topic

    def api_editForumTopic(self, p: dict[str, Any]) -> Any:
        chat = self._forum(p)
        topic = self._topic(chat, p["message_thread_id"])
        edited: dict[str, Any] = {}
        if p.get("name") and p["name"] != topic.name:
            topic.name = edited["name"] = p["name"]
        if "icon_custom_emoji_id" in p and p["icon_custom_emoji_id"] != topic.icon_custom_emoji_id:
            topic.icon_custom_emoji_id = edited["icon_custom_emoji_id"] = p["icon_custom_emoji_id"]
        if not edited:
            raise _err(400, "Bad Request: TOPIC_NOT_MODIFIED")
        self._topic_service(chat, topic, {"forum_topic_edited": edited})
        return True

    def _set_closed(self, p: dict[str, Any], closed: bool) -> Any:
        chat = self._forum(p)
        topic = self._topic(chat, p["message_thread_id"])
        if topic.closed == closed:
            raise _err(400, "Bad Request: TOPIC_NOT_MODIFIED")
        topic.closed = closed
        self._topic_service(chat, topic, {"forum_topic_closed" if closed else "forum_topic_reopened": {}})
        return True

    def api_closeForumTopic(self, p: dict[str, Any]) -> Any:
        return self._set_closed(p, True)

    def api_reopenForumTopic(self, p: dict[str, Any]) -> Any:
        return self._set_closed(p, False)

    def api_deleteForumTopic(self, p: dict[str, Any]) -> Any:
        chat = self._forum(p)
        topic = self._topic(chat, p["message_thread_id"], "can_delete_messages")
        self.delete_topic(chat, topic)
        return True

    def delete_topic(self, chat: ChatRec, topic: Topic) -> None:
        topic.deleted = True
        for msg in chat.messages.values():
            if msg.thread_id == topic.thread_id:
                msg.deleted = True
        self.world.touch()

    # ------------------------------------------------------------------ chats & files
    def api_getChat(self, p: dict[str, Any]) -> Any:
        return self.world.chat_full_info(self.resolve_chat(p["chat_id"], for_send=False))

    def api_getChatMember(self, p: dict[str, Any]) -> Any:
        chat = self.resolve_chat(p["chat_id"], for_send=False)
        if p["user_id"] not in self.world.users:
            raise _err(400, "Bad Request: user not found")
        return self.world.member_dict(chat, self.world.member_status(chat, p["user_id"]))

    def api_getChatAdministrators(self, p: dict[str, Any]) -> Any:
        chat = self.resolve_chat(p["chat_id"], for_send=False)
        if chat.type == "private":
            raise _err(400, "Bad Request: there are no administrators in the private chat")
        return [
            self.world.member_dict(chat, m)
            for m in chat.members.values()
            if m.status in ("creator", "administrator")
        ]

    def api_leaveChat(self, p: dict[str, Any]) -> Any:
        chat = self.resolve_chat(p["chat_id"], for_send=False)
        if chat.type == "private":
            raise _err(400, "Bad Request: chat member status can't be changed in private chats")
        self.set_bot_status(chat, Member(self.world.bot.id, "left"), by=self.world.bot)
        return True

    def set_bot_status(self, chat: ChatRec, new: Member, *, by: UserRec) -> None:
        w = self.world
        old = w.member_status(chat, w.bot.id)
        if chat.type != "private":
            chat.members[w.bot.id] = new
        w.queue_update(
            "my_chat_member",
            {
                "chat": w.chat_dict(chat),
                "from": by.to_dict(),
                "date": now(),
                "old_chat_member": w.member_dict(chat, old),
                "new_chat_member": w.member_dict(chat, new),
            },
        )

    def api_getFile(self, p: dict[str, Any]) -> Any:
        rec = self.world.files.get(p["file_id"])
        if rec is None:
            raise _err(400, "Bad Request: invalid file_id")
        d = rec.to_file_dict()
        d["file_id"] = p["file_id"]
        return d
