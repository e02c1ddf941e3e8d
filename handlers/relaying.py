"""Turning a Telegram message into relay work: the same for a family's message and a staff member's reply."""

from __future__ import annotations

from aiogram.types import Message

from bot.db.models import Case, OutboxItem
from bot.db.session import AsyncSession
from bot.services import relay
from bot.services.impersonation import looks_like_notice


def relay_message(session: AsyncSession, case: Case, message: Message, *, target: str) -> OutboxItem:
    """Queue a copy of ``message`` for the other side, keeping albums, captions and reply threading."""
    reply_to = message.reply_to_message
    if reply_to is not None and reply_to.message_id == message.message_thread_id:
        reply_to = None  # in a forum topic every message "replies" to the topic's first message
    contact = message.contact
    if contact is not None and target == "staff":  # the phone only: never the account's id or name
        own = (
            contact.user_id is not None
            and message.from_user is not None
            and contact.user_id == message.from_user.id
        )
        return relay.enqueue_contact(
            session,
            case,
            chat_id=message.chat.id,
            message_id=message.message_id,
            phone=contact.phone_number,
            name=None if own else " ".join(filter(None, [contact.first_name, contact.last_name])),
            reply_to=reply_to.message_id if reply_to else None,
        )
        return
    if target == "staff" and looks_like_notice(message.text if message.text is not None else message.caption):
        # opens like one of the bot's notices: relayed under a label saying it is the family's message
        return relay.enqueue_framed(
            session,
            case,
            chat_id=message.chat.id,
            message_id=message.message_id,
            text=message.text,
            caption=message.caption,
            entities=[
                e.model_dump(exclude_none=True) for e in (message.entities or message.caption_entities or [])
            ],
            reply_to=reply_to.message_id if reply_to else None,
        )
        return
    return relay.enqueue_copy(
        session,
        case,
        target=target,
        chat_id=message.chat.id,
        message_id=message.message_id,
        album=message.media_group_id,
        reply_to=reply_to.message_id if reply_to else None,
        caption=message.caption,
    )


def relay_edit(session: AsyncSession, case: Case, message: Message, *, target: str) -> None:
    """Queue the mirroring of an edit onto the relayed copy."""
    relay.enqueue_edit(
        session,
        case,
        target=target,
        chat_id=message.chat.id,
        message_id=message.message_id,
        text=message.text if message.text is not None else message.caption,
        entities=[
            e.model_dump(exclude_none=True) for e in (message.entities or message.caption_entities or [])
        ],
        is_caption=message.text is None,
    )
