"""Hand-off to a person: a request reaches the operators' topic, the family learns what to expect, and
everything the family writes afterwards is relayed into its open request."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import StateFilter
from aiogram.types import Message

from bot.config import Settings
from bot.db.session import AsyncSession
from bot.middlewares.context import UserContext
from bot.services import cases, desk, relay
from bot.services.catalog import Catalog
from bot.services.desk import hand_off
from bot.services.relay import NOT_A_REQUEST, RELAYABLE
from bot.views.family import expectations_text, family_kb
from handlers.relaying import relay_edit, relay_message

router = Router(name="family.handoff")


@router.message(StateFilter(None), F.chat.type == "private", ~F.text.startswith("/"))
async def into_request(
    message: Message,
    ctx: UserContext,
    session: AsyncSession,
    catalog: Catalog,
    settings: Settings,
    desk_chats: desk.DeskChats,
) -> None:
    """A consented family writes: into its open request, or a new request from a file (text is understood first)."""
    kind = message.content_type
    if not ctx.consented or kind not in RELAYABLE:
        raise SkipHandler
    case = await desk.latest_open_case(session, ctx.family.id)
    is_new = case is None
    if case is None:
        if kind in NOT_A_REQUEST or kind == "text":
            raise SkipHandler  # typed text is understood and answered first (handlers/family/understand.py)
        case = await cases.record_request(
            session,
            ctx.family,
            tier=2,
            specialty=None,
            category="other",
            urgency="routine",
            route="consultant",
            source="message",
            summary={},
        )
    ctx.family.is_active = True
    await hand_off(session, case, desk_chats, notify_staff=False)
    relay_message(session, case, message, target="staff")
    await desk.note_family_message(session, case, actor_tg_id=message.from_user.id)
    await session.commit()  # durable before anything is said, and the write lock is free while we talk
    if is_new:
        await message.answer(
            await expectations_text(session, case, catalog, ctx, settings), reply_markup=family_kb(ctx)
        )


@router.edited_message(F.chat.type == "private")
async def edited_in_request(message: Message, ctx: UserContext, session: AsyncSession) -> None:
    """An edit of a relayed message is mirrored onto the operators' copy."""
    case = await relay.case_of_message(session, message.chat.id, message.message_id)
    if case is None or not ctx.consented or case.family_id != ctx.family.id:
        raise SkipHandler
    relay_edit(session, case, message, target="staff")
