"""The relay worker's message kinds: copies, framed texts, contacts, erasures, albums and edits.

Split from :mod:`bot.outbox` (the worker's lanes, staff and family sides, errors), which mixes these in.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
)
from aiogram.types import InlineKeyboardMarkup, MessageEntity, ReplyParameters
from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.db.base import utcnow
from bot.db.models import Case, Family, OutboxItem
from bot.i18n import locale_scope
from bot.services import relay
from bot.services.catalog import Catalog
from bot.services.impersonation import looks_like_notice, shift_entities, utf16_len

log = logging.getLogger("bot.outbox")

TOPIC_CAPTION_LIMIT = (
    1000  # media with a longer caption cannot be copied into a topic (tdlib/telegram-bot-api#334)
)
TELEGRAM_CAPTION_LIMIT = 1024
MAX_ATTEMPTS = 8
BATCH = 200


@dataclass
class Outcome:
    done: bool  # False: try again later (the case's later items wait too)


DONE = Outcome(True)
LATER = Outcome(False)


def split_text(text: str, limit: int) -> list[str]:
    """Split at whitespace near ``limit`` so nothing is cut mid-word where avoidable."""
    parts = []
    while len(text) > limit:
        cut = text.rfind(" ", limit // 2, limit)
        cut = cut if cut > 0 else limit
        parts.append(text[:cut])
        text = text[cut:].lstrip()
    if text:
        parts.append(text)
    return parts


def clip_for_telegram(text: str, entities: list[dict] | None, limit: int) -> tuple[str, list[dict] | None]:
    """``text`` cut to ``limit`` UTF-16 units (with «…») and the entities that still fit; unchanged when it fits.

    A family's edited text is re-sent by us (an edit cannot be copied), and Telegram refuses one over the limit.
    """
    if utf16_len(text) <= limit:
        return text, entities
    kept, used = [], 0
    for ch in text:
        width = 2 if ord(ch) > 0xFFFF else 1
        if used + width > limit - 1:
            break
        kept.append(ch)
        used += width
    fitting = [e for e in entities or [] if e.get("offset", 0) + e.get("length", 0) <= used] or None
    return "".join(kept) + "…", fitting


class MessageKinds:
    """The kinds of outbox items, each one Telegram call or a few; mixed into :class:`bot.outbox.OutboxWorker`."""

    bot: Bot
    settings: Settings
    catalog: Catalog
    i18n: I18n

    @staticmethod
    def _fail(item: OutboxItem, error: str) -> Outcome:
        item.status = "failed"
        item.error = error[:255]
        log.warning("relay item %s failed: %s", item.id, error)
        return DONE

    @staticmethod
    def _sent(item: OutboxItem) -> Outcome:
        item.status = "sent"
        item.sent_at = utcnow()
        return DONE

    def staff_locale(self):
        return locale_scope(self.i18n, self.settings.default_locale)

    @staticmethod
    def _on_card(case: Case) -> ReplyParameters | None:
        """The bot's own notices in a topic are replies to the request's card: a relayed message of a family can
        never be one, so the quoted card tells staff the notice is the bot's (services/impersonation)."""
        if case.card_message_id is None:
            return None
        return ReplyParameters(message_id=case.card_message_id, allow_sending_without_reply=True)

    # ------------------------------------------------------------------ kinds
    async def _copy(
        self,
        s: AsyncSession,
        item: OutboxItem,
        case: Case,
        chat: int,
        thread_id: int | None,
        *,
        direction: str,
    ) -> Outcome:
        assert item.from_chat_id is not None and item.from_message_id is not None
        if await relay.counterpart(
            s, chat_id=item.from_chat_id, message_id=item.from_message_id, other_chat_id=chat
        ):
            return self._sent(item)  # already delivered before a restart
        reply = None
        if item.payload.get("reply_to"):
            twin = await relay.counterpart(
                s, chat_id=item.from_chat_id, message_id=item.payload["reply_to"], other_chat_id=chat
            )
            if twin:
                reply = ReplyParameters(message_id=twin, allow_sending_without_reply=True)
        caption = item.payload.get("caption")
        rest: list[str] = []
        kwargs: dict[str, Any] = {}
        label = ""
        if item.payload.get("framed"):  # opens like a notice of the bot: labelled as the family's own words
            with self.staff_locale():
                label = _("💬 The family writes:") + "\n"
            if "text" in item.payload:
                return await self._framed_text(s, item, case, chat, thread_id, label, reply)
            caption = label + (caption or "")
            kwargs = {
                "caption": caption,
                "parse_mode": None,
                "caption_entities": _entities(shift_entities(item.payload.get("entities"), utf16_len(label))),
            }
        if caption and thread_id is not None and len(caption) > TOPIC_CAPTION_LIMIT:
            head, *rest = split_text(caption, TOPIC_CAPTION_LIMIT)
            kwargs = {"caption": head, "parse_mode": None}
        result = await self.bot.copy_message(
            chat,
            item.from_chat_id,
            item.from_message_id,
            message_thread_id=thread_id,
            reply_parameters=reply,
            **kwargs,
        )
        relay.link(
            s,
            case,
            from_chat=item.from_chat_id,
            from_id=item.from_message_id,
            to_chat=chat,
            to_id=result.message_id,
            direction=direction,
        )
        self._sent(item)
        await s.commit()
        for part in rest:  # the caption's continuation, as replies to the copied media
            sent = await self.bot.send_message(
                chat,
                part,
                message_thread_id=thread_id,
                parse_mode=None,
                reply_parameters=ReplyParameters(
                    message_id=result.message_id, allow_sending_without_reply=True
                ),
            )
            self._link_part(s, item, case, chat, sent.message_id)
            await s.commit()
        return DONE

    @staticmethod
    def _link_part(s: AsyncSession, item: OutboxItem, case: Case, chat: int, message_id: int) -> None:
        """A continuation the bot sent for a family's message (a long caption's rest): kept with the item, so that
        /forget deletes it from the topic too (services/privacy)."""
        payload = item.payload or {}
        item.payload = {**payload, "parts": [*payload.get("parts", []), [chat, message_id]]}

    async def _framed_text(
        self,
        s: AsyncSession,
        item: OutboxItem,
        case: Case,
        chat: int,
        thread_id: int | None,
        label: str,
        reply: ReplyParameters | None,
    ) -> Outcome:
        text = label + item.payload["text"]
        entities = _entities(shift_entities(item.payload.get("entities"), utf16_len(label)))
        parts = [text]
        if utf16_len(text) > 4096:  # the label pushed it over Telegram's limit: plain parts, nothing cut
            parts, entities = split_text(text, 4000), None
        first = None
        for part in parts:
            sent = await self.bot.send_message(
                chat,
                part,
                message_thread_id=thread_id,
                parse_mode=None,
                entities=entities if first is None else None,
                reply_parameters=reply
                if first is None
                else ReplyParameters(message_id=first, allow_sending_without_reply=True),
            )
            if first is not None:
                self._link_part(s, item, case, chat, sent.message_id)
                await s.commit()
            else:
                first = sent.message_id
                relay.link(
                    s,
                    case,
                    from_chat=item.from_chat_id,
                    from_id=item.from_message_id,
                    to_chat=chat,
                    to_id=sent.message_id,
                    direction="in",
                )
                self._sent(item)
                await s.commit()
        return DONE

    async def _contact(
        self, s: AsyncSession, item: OutboxItem, case: Case, family: Family | None, thread_id: int
    ) -> Outcome:
        """A family's shared contact as a new card: the phone, a name only if it is someone else's card or the
        family allowed its name; never the Telegram id of the account (no ``user_id``)."""
        assert item.from_chat_id is not None and item.from_message_id is not None
        if await relay.counterpart(
            s, chat_id=item.from_chat_id, message_id=item.from_message_id, other_chat_id=case.chat_id
        ):
            return self._sent(item)
        name = item.payload.get("name")
        if not name:
            with self.staff_locale():
                name = _("Family № {number}").format(number=case.family_id or "—")
            if family is not None and family.share_name and family.display_name:
                name = family.display_name
        reply = None
        if item.payload.get("reply_to"):
            twin = await relay.counterpart(
                s, chat_id=item.from_chat_id, message_id=item.payload["reply_to"], other_chat_id=case.chat_id
            )
            if twin:
                reply = ReplyParameters(message_id=twin, allow_sending_without_reply=True)
        result = await self.bot.send_contact(
            case.chat_id,
            phone_number=item.payload["phone"],
            first_name=name[:64],
            message_thread_id=thread_id,
            reply_parameters=reply,
        )
        relay.link(
            s,
            case,
            from_chat=item.from_chat_id,
            from_id=item.from_message_id,
            to_chat=case.chat_id,
            to_id=result.message_id,
            direction="in",
        )
        return self._sent(item)

    async def _erase(self, item: OutboxItem, case: Case, thread_id: int) -> Outcome:
        """/forget reached the topics: delete the family's relayed messages (the bot's own copies; an
        administrator may delete any message of its supergroup), then tell staff exactly what happened."""
        by_chat: dict[int, list[int]] = {}
        for chat_id, message_id in item.payload.get("messages") or []:
            by_chat.setdefault(chat_id, []).append(message_id)
        deleted = failed = 0
        for chat_id, ids in by_chat.items():
            for start in range(0, len(ids), 100):  # deleteMessages takes up to 100 ids
                chunk = sorted(ids[start : start + 100])
                try:
                    await self.bot.delete_messages(chat_id, chunk)
                    deleted += len(chunk)
                    continue
                except TelegramBadRequest:
                    pass  # one of them could not go: one by one, to count exactly
                for message_id in chunk:
                    try:
                        await self.bot.delete_message(chat_id, message_id)
                        deleted += 1
                    except TelegramBadRequest as exc:
                        if "not found" in exc.message:
                            deleted += 1  # already gone (deleted by staff)
                        else:
                            failed += 1
        with self.staff_locale():
            lines = [item.payload.get("note") or ""]
            lines.append(
                ngettext(
                    "Deleted from the operators' topics: {n} message of the family.",
                    "Deleted from the operators' topics: {n} messages of the family.",
                    deleted,
                ).format(n=deleted)
            )
            if failed:
                lines.append(
                    ngettext(
                        "⚠️ Telegram did not let the bot delete {n} message of the family (for example, it is "
                        "older than 48 hours). Please delete it by hand, or delete this topic.",
                        "⚠️ Telegram did not let the bot delete {n} messages of the family (for example, they "
                        "are older than 48 hours). Please delete them by hand, or delete this topic.",
                        failed,
                    ).format(n=failed)
                )
        await self.bot.send_message(
            case.chat_id,
            "\n".join(filter(None, lines)),
            message_thread_id=thread_id,
            reply_parameters=self._on_card(case),
        )
        item.payload = {"deleted": deleted, "failed": failed}  # the ids are not kept once done
        if failed:
            log.warning("erasure: %s relayed message(s) of case %s could not be deleted", failed, case.id)
        return self._sent(item)

    async def _album(
        self,
        s: AsyncSession,
        item: OutboxItem,
        case: Case,
        chat: int,
        thread_id: int | None,
        *,
        direction: str,
    ) -> Outcome:
        items = list(
            (
                await s.scalars(
                    select(OutboxItem).where(
                        OutboxItem.group_key == item.group_key,
                        OutboxItem.case_id == case.id,
                        OutboxItem.target == item.target,
                        OutboxItem.status == "pending",
                    )
                )
            ).all()
        )
        newest = max(i.created_at for i in items)
        if utcnow() - newest < relay.ALBUM_SETTLE:
            item.not_before = newest + relay.ALBUM_SETTLE
            return LATER
        items.sort(key=lambda i: i.from_message_id or 0)
        result = await self.bot.copy_messages(
            chat, item.from_chat_id, [i.from_message_id for i in items], message_thread_id=thread_id
        )
        for src, dst in zip(items, result, strict=False):
            relay.link(
                s,
                case,
                from_chat=src.from_chat_id,
                from_id=src.from_message_id,
                to_chat=chat,
                to_id=dst.message_id,
                direction=direction,
            )
            self._sent(src)
        for src in items[len(result) :]:
            self._fail(src, "not copied (deleted before it could be sent)")
        return DONE

    async def _edit(self, s: AsyncSession, item: OutboxItem, case: Case, chat: int) -> Outcome:
        assert item.from_chat_id is not None and item.from_message_id is not None
        twin = await relay.counterpart(
            s, chat_id=item.from_chat_id, message_id=item.from_message_id, other_chat_id=chat
        )
        if twin is None:
            pending = await s.scalar(
                select(OutboxItem.id).where(
                    OutboxItem.status == "pending",
                    OutboxItem.kind == "copy",
                    OutboxItem.from_chat_id == item.from_chat_id,
                    OutboxItem.from_message_id == item.from_message_id,
                )
            )
            if pending:
                item.not_before = utcnow() + timedelta(seconds=1)
                return LATER
            return self._fail(item, "the original was never relayed")
        is_caption = bool(item.payload.get("caption"))
        text = item.payload["text"]
        raw_entities = item.payload.get("entities") or []
        if item.target == "staff" and looks_like_notice(text):  # an edit may not dress up as a notice either
            with self.staff_locale():
                label = _("💬 The family writes:") + "\n"
            text, raw_entities = label + text, shift_entities(raw_entities, utf16_len(label))
        text, clipped = clip_for_telegram(text, raw_entities, TELEGRAM_CAPTION_LIMIT if is_caption else 4096)
        entities = _entities(clipped)
        try:
            if is_caption:
                await self.bot.edit_message_caption(
                    chat_id=chat,
                    message_id=twin,
                    caption=text,
                    caption_entities=entities,
                    parse_mode=None,
                )
            else:
                await self.bot.edit_message_text(
                    chat_id=chat,
                    message_id=twin,
                    text=text,
                    entities=entities,
                    parse_mode=None,
                )
        except TelegramBadRequest as exc:
            if "not modified" not in exc.message:
                raise
        return self._sent(item)


def _entities(data: list[dict] | None) -> list[MessageEntity] | None:
    return [MessageEntity.model_validate(e) for e in data] if data else None


def _markup(data: dict | None) -> InlineKeyboardMarkup | None:
    return InlineKeyboardMarkup.model_validate(data) if data else None
