"""Hand-off to a person: a request reaches the operators' topic, the family learns what to expect, and
everything the family writes afterwards is relayed into its open request."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import StateFilter
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.db.base import utcnow
from bot.db.models import Case, OutboxItem
from bot.middlewares.context import UserContext
from bot.services import cases, desk, relay
from bot.services.catalog import Catalog
from bot.services.content import is_open, next_open
from handlers.family.common import family_kb
from handlers.family.render import org_card
from handlers.relaying import relay_edit, relay_message

router = Router(name="family.handoff")

# Content a family can send into a request that Telegram lets a bot copy.
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


def specialty_label(kind: str) -> str:
    return {
        "lawyer": _("Lawyer"),
        "psychologist": _("Psychologist"),
        "social_consultant": _("Social consultant"),
        "crisis": _("Crisis centre"),
    }[kind]


def case_who(case: Case) -> str:
    return specialty_label("crisis" if case.tier == 3 else (case.specialty or "social_consultant"))


async def hand_off(
    session: AsyncSession, case: Case, chats: desk.DeskChats, *, notify_staff: bool = True
) -> None:
    """Route the case to its group and have the worker open its topic (once)."""
    if case.chat_id is None:
        case.chat_id = chats.for_case(case)
    if not notify_staff or case.thread_id is not None:
        return
    pending = await session.scalar(
        select(OutboxItem.id).where(
            OutboxItem.case_id == case.id, OutboxItem.kind == "topic", OutboxItem.status == "pending"
        )
    )
    if pending is None:
        relay.ensure_topic(session, case)


async def expectations_text(
    session: AsyncSession, case: Case, catalog: Catalog, ctx: UserContext, settings: Settings
) -> str:
    """Position, a realistic wait, working hours and the line being full — honest, short, with a way out."""
    lines = [
        _("Your request № {number} has been passed to: {who}.").format(number=case.id, who=case_who(case)),
        _("Write your question here, in this chat: a specialist will answer you here too."),
    ]
    region = catalog.region(ctx.family.region if ctx.family else None)
    now = utcnow()
    open_now = region is None or is_open(region, now)
    position = await desk.queue_position(session, case)
    if case.urgency == "emergency":
        lines.append(_("This is urgent: the crisis centre staff have been alerted."))
    elif position is not None:
        wait = await desk.estimated_wait(session, position)
        lines.append(_("You are number {position} in the queue.").format(position=position))
        if wait is not None and open_now:
            minutes = max(1, round(wait.total_seconds() / 60))
            lines.append(_("Usually the answer comes in about {minutes} min.").format(minutes=minutes))
    if not open_now and region is not None:
        back = next_open(region, now)
        lines.append(
            _("Our specialists are not at work now. They will be back on {date} at {time}.").format(
                date=back.strftime("%d.%m"), time=back.strftime("%H:%M")
            )
        )
    waiting = await desk.open_waiting_count(session)
    if waiting > settings.desk_capacity and case.urgency != "emergency":
        lines.append(_("The line is very busy right now, so the wait may be long. You can also call:"))
        code = ctx.family.region if ctx.family else None
        lines += [org_card(org, ctx.locale, brief=True) for org in catalog.first_line_contacts(code)]
    if not open_now or case.urgency in ("urgent", "emergency"):
        lines.append(_("If you need help right now:"))
        code = ctx.family.region if ctx.family else None
        lines += [org_card(org, ctx.locale, brief=True) for org in catalog.crisis_contacts(code)]
    lines.append(_("If you are in danger, call <b>112</b>."))
    return "\n\n".join(lines)


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
