"""The relay's durable side: what is to be sent is written to the outbox in the update's own transaction,
so a message the bot has acknowledged is never only in memory. The worker (`bot/outbox.py`) sends it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import utcnow
from bot.db.models import Case, CaseMessageLink, OutboxItem

TARGETS = ("family", "staff")
ALBUM_SETTLE = timedelta(seconds=1.2)  # items of one album arrive as separate updates within moments

# Content a person can send into a request that Telegram lets a bot copy.
RELAYABLE = frozenset(
    {
        "text",
        "photo",
        "video",
        "voice",
        "audio",
        "document",
        "sticker",
        "animation",
        "location",
        "venue",
        "contact",
        "video_note",
    }
)
# Without an open request these do not start one (the fallback answers them).
NOT_A_REQUEST = frozenset({"sticker", "animation", "location", "venue"})


def enqueue(
    session: AsyncSession,
    case: Case,
    *,
    target: str,
    kind: str,
    from_chat_id: int | None = None,
    from_message_id: int | None = None,
    group_key: str | None = None,
    payload: dict[str, Any] | None = None,
    delay: timedelta | None = None,
) -> OutboxItem:
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}")
    now = utcnow()
    item = OutboxItem(
        case_id=case.id,
        target=target,
        kind=kind,
        from_chat_id=from_chat_id,
        from_message_id=from_message_id,
        group_key=group_key,
        payload=payload or {},
        not_before=now + (delay or timedelta(0)),
        created_at=now,
    )
    session.add(item)
    return item


def enqueue_copy(
    session: AsyncSession,
    case: Case,
    *,
    target: str,
    chat_id: int,
    message_id: int,
    album: str | None = None,
    reply_to: int | None = None,
    caption: str | None = None,
) -> OutboxItem:
    """Copy a message of the family (target "staff") or of staff (target "family") to the other side."""
    payload: dict[str, Any] = {}
    if reply_to is not None:
        payload["reply_to"] = reply_to
    if caption is not None:
        payload["caption"] = caption
    return enqueue(
        session,
        case,
        target=target,
        kind="copy",
        from_chat_id=chat_id,
        from_message_id=message_id,
        group_key=f"{chat_id}:{album}" if album else None,
        payload=payload,
    )


def enqueue_contact(
    session: AsyncSession,
    case: Case,
    *,
    chat_id: int,
    message_id: int,
    phone: str,
    name: str | None,
    reply_to: int | None = None,
) -> OutboxItem:
    """A contact a family shared, for the operators: the phone number only (and the contact's own name when it
    is someone else's card). A copy would carry the Telegram id and name of the account, undoing the pseudonym;
    the worker sends a new contact card without them (``sendContact`` with no ``user_id``)."""
    payload: dict[str, Any] = {"phone": phone}
    if name:
        payload["name"] = name
    if reply_to is not None:
        payload["reply_to"] = reply_to
    return enqueue(
        session,
        case,
        target="staff",
        kind="contact",
        from_chat_id=chat_id,
        from_message_id=message_id,
        payload=payload,
    )


def enqueue_framed(
    session: AsyncSession,
    case: Case,
    *,
    chat_id: int,
    message_id: int,
    text: str | None,
    caption: str | None,
    entities: list[dict[str, Any]],
    reply_to: int | None = None,
) -> OutboxItem:
    """A family's message that opens like a notice of the bot: sent to staff under a label saying it is the
    family's (a text as a new message, media as a copy with the labelled caption). See services/impersonation."""
    payload: dict[str, Any] = {"framed": True, "entities": entities}
    if text is not None:
        payload["text"] = text
    else:
        payload["caption"] = caption or ""
    if reply_to is not None:
        payload["reply_to"] = reply_to
    return enqueue(
        session,
        case,
        target="staff",
        kind="copy",
        from_chat_id=chat_id,
        from_message_id=message_id,
        payload=payload,  # never grouped into an album: an album is copied without its own captions
    )


def enqueue_text(
    session: AsyncSession,
    case: Case,
    *,
    target: str,
    text: str,
    markup: dict[str, Any] | None = None,
    notice: str | None = None,
) -> OutboxItem:
    """A text of the bot's own. ``notice`` names it (e.g. "blocked") so the same notice is not queued twice."""
    payload: dict[str, Any] = {"text": text}
    if markup:
        payload["markup"] = markup
    if notice:
        payload["notice"] = notice
    return enqueue(session, case, target=target, kind="text", payload=payload)


def enqueue_media(
    session: AsyncSession, case: Case, *, target: str, kind: str, file: str, caption: str
) -> OutboxItem:
    """A picture, document or video of the bot's own (a canned answer with media); ``caption`` is HTML."""
    return enqueue(
        session, case, target=target, kind="media", payload={"media": kind, "file": file, "text": caption}
    )


def enqueue_venue(
    session: AsyncSession,
    case: Case,
    *,
    target: str,
    latitude: float,
    longitude: float,
    title: str,
    address: str,
) -> OutboxItem:
    """A place of the directory as a Telegram venue (a pin with its name and address), e.g. staff's /place."""
    payload = {"latitude": latitude, "longitude": longitude, "title": title, "address": address}
    return enqueue(session, case, target=target, kind="venue", payload=payload)


def enqueue_edit(
    session: AsyncSession,
    case: Case,
    *,
    target: str,
    chat_id: int,
    message_id: int,
    text: str | None,
    entities: list[dict[str, Any]] | None,
    is_caption: bool,
) -> OutboxItem:
    """Mirror an edit onto the copy on the other side (found through the message-id map when sent)."""
    return enqueue(
        session,
        case,
        target=target,
        kind="edit",
        from_chat_id=chat_id,
        from_message_id=message_id,
        payload={"text": text or "", "entities": entities or [], "caption": is_caption},
    )


def mark_danger(item: OutboxItem) -> None:
    """A danger signal and its notice go to the staff group ahead of everything, even of the same request's
    earlier messages still waiting for the group's budget (services/fair_relay)."""
    item.payload = {**(item.payload or {}), "danger": True}


async def hurry(session: AsyncSession, case: Case) -> int:
    """Staff asked to read a request's backlog now: its waiting items for the group go ahead of the round robin
    (services/fair_relay). Returns how many."""
    items = (
        await session.scalars(
            select(OutboxItem).where(
                OutboxItem.case_id == case.id, OutboxItem.status == "pending", OutboxItem.target == "staff"
            )
        )
    ).all()
    for item in items:
        item.payload = {**(item.payload or {}), "asked": True}
    return len(items)


def enqueue_erasure(session: AsyncSession, case: Case, *, messages: list[list[int]], note: str) -> OutboxItem:
    """After /forget: delete the family's relayed messages (``[chat id, message id]``) from the staff groups, then
    post ``note`` with what was deleted and what Telegram refused (the worker counts both)."""
    return enqueue(session, case, target="staff", kind="erase", payload={"messages": messages, "note": note})


def ensure_topic(session: AsyncSession, case: Case) -> OutboxItem:
    """Ask the worker to create the case's topic and post its card (serialised there, one topic per case)."""
    return enqueue(session, case, target="staff", kind="topic")


def sync_topic(session: AsyncSession, case: Case) -> OutboxItem:
    """Ask the worker to bring the topic in line with the case (card, title, open or closed)."""
    return enqueue(session, case, target="staff", kind="card")


async def counterpart(
    session: AsyncSession, *, chat_id: int, message_id: int, other_chat_id: int
) -> int | None:
    """The id, in ``other_chat_id``, of the relayed twin of ``message_id`` (either direction)."""
    link = await session.scalar(
        select(CaseMessageLink).where(
            or_(
                (CaseMessageLink.from_chat_id == chat_id)
                & (CaseMessageLink.from_message_id == message_id)
                & (CaseMessageLink.to_chat_id == other_chat_id),
                (CaseMessageLink.to_chat_id == chat_id)
                & (CaseMessageLink.to_message_id == message_id)
                & (CaseMessageLink.from_chat_id == other_chat_id),
            )
        )
    )
    if link is None:
        return None
    return link.to_message_id if link.from_chat_id == chat_id else link.from_message_id


async def case_of_message(session: AsyncSession, chat_id: int, message_id: int) -> Case | None:
    """The case a relayed message belongs to (by either of its ids)."""
    link = await session.scalar(
        select(CaseMessageLink).where(
            or_(
                (CaseMessageLink.from_chat_id == chat_id) & (CaseMessageLink.from_message_id == message_id),
                (CaseMessageLink.to_chat_id == chat_id) & (CaseMessageLink.to_message_id == message_id),
            )
        )
    )
    return await session.get(Case, link.case_id) if link is not None else None


def link(
    session: AsyncSession,
    case: Case,
    *,
    from_chat: int,
    from_id: int,
    to_chat: int,
    to_id: int,
    direction: str,
) -> None:
    session.add(
        CaseMessageLink(
            case_id=case.id,
            from_chat_id=from_chat,
            from_message_id=from_id,
            to_chat_id=to_chat,
            to_message_id=to_id,
            direction=direction,
        )
    )


async def pending_count(session: AsyncSession) -> int:
    from sqlalchemy import func

    return await session.scalar(select(func.count(OutboxItem.id)).where(OutboxItem.status == "pending")) or 0
