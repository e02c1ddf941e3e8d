"""The crisis path: every free text is checked for danger signals, at any moment, even before consent.

A clear signal is answered with emergency contacts and nothing else happens to the message (inside an open
conversation it is still relayed to the specialist, marked as an emergency). A possible signal (weaker or
ambiguous) gets a gentle safety check with the contacts, and the message then goes on as usual."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, F, Router
from aiogram.types import CallbackQuery, Message, TelegramObject
from aiogram.utils.i18n import gettext as _

from bot.db.session import AsyncSession
from bot.middlewares.context import UserContext
from bot.services import cases, desk, families, records, relay
from bot.services.catalog import Catalog
from bot.services.crisis import CrisisHit
from bot.services.desk import hand_off
from bot.telegram import urgent_sends
from bot.views.callbacks import Crisis
from bot.views.family import crisis_reply_text, discreet, family_kb, org_card, region_of, safety_check_text
from bot.views.ui import kb, show
from handlers.relaying import relay_message

log = logging.getLogger(__name__)
router = Router(name="family.crisis")


def crisis_kb():
    return kb(
        [(_("Yes, I am safe"), Crisis(action="safe")), (_("No"), Crisis(action="unsafe"))],
        [(_("Connect me to the crisis centre"), Crisis(action="connect"))],
    )


class CrisisMiddleware(BaseMiddleware):
    """Outer middleware on the family router's messages: runs before any filter or flow."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Message)
        if event.chat.type != "private":  # outer middlewares run before the router's private-chat filter
            return await handler(event, data)
        text = event.text or event.caption
        catalog: Catalog = data["catalog"]
        hit = catalog.detector.detect(text) if text else None
        if hit is None:
            return await handler(event, data)
        ctx: UserContext = data["ctx"]
        session: AsyncSession = data["session"]
        records.record_crisis(
            session,
            family_id=ctx.family.id if ctx.consented else None,
            region=region_of(ctx),
            categories=list(hit.categories),
            source="free_text",
            level=hit.level,
        )
        if not hit.clear:
            with (
                urgent_sends()
            ):  # the danger lane: before ordinary answers when the bot is at Telegram's pace
                await event.answer(safety_check_text(catalog, ctx, discreet(ctx)), reply_markup=crisis_kb())
            if ctx.consented:
                await note_possible_danger(session, ctx, hit)
            log.warning(
                "possible danger signal (%s): asked whether the family is safe", ",".join(hit.categories)
            )
            return await handler(event, data)  # the message itself goes on: a flow, a relay, a request
        with urgent_sends():
            await event.answer(crisis_reply_text(catalog, ctx, discreet(ctx)), reply_markup=crisis_kb())
        if ctx.consented:
            await relay_danger(session, ctx, event, data["desk_chats"], hit)
        data["trace"]["handler"] = f"crisis:{','.join(hit.categories)}"
        log.warning("danger signal (%s) answered with emergency contacts", ",".join(hit.categories))
        return None


async def note_possible_danger(session: AsyncSession, ctx: UserContext, hit: CrisisHit) -> None:
    """A possible signal inside an open request: the specialist sees it on the card and in the topic."""
    case = await desk.latest_open_case(session, ctx.family.id)
    if case is None or not records.mark_danger(case, hit):
        return
    relay.enqueue_text(
        session,
        case,
        target="staff",
        text=_(
            "⚠️ A possible danger signal in the family's next message ({words}): "
            "they were asked whether they are safe and given the emergency contacts."
        ).format(words=", ".join(hit.evidence[:3])),
    )
    relay.sync_topic(session, case)


async def relay_danger(
    session: AsyncSession,
    ctx: UserContext,
    message: Message,
    chats: desk.DeskChats,
    hit: CrisisHit | None = None,
) -> None:
    """A danger signal inside an open request still reaches its specialist, now marked as an emergency."""
    case = await desk.latest_open_case(session, ctx.family.id)
    if case is None:
        return
    await hand_off(session, case, chats, notify_staff=False)
    changed = hit is not None and records.mark_danger(case, hit)
    if case.urgency != "emergency":
        case.urgency = "emergency"
        notice = relay.enqueue_text(
            session,
            case,
            target="staff",
            text=_("⚠️ A danger signal in the family's next message: they were sent emergency contacts."),
        )
        relay.mark_danger(notice)
        relay.sync_topic(session, case)
    elif changed:
        relay.sync_topic(session, case)
    relay.mark_danger(relay_message(session, case, message, target="staff"))
    await desk.note_family_message(session, case, actor_tg_id=message.chat.id)


@router.callback_query(Crisis.filter(F.action == "safe"))
async def safe(call: CallbackQuery, ctx: UserContext) -> None:
    await call.answer()
    text = _(
        "Good. If anything changes, write here or call 112 at any time. "
        "If you want to talk to someone, a specialist of the crisis centre can help."
    )
    await show(call, text, family_kb(ctx, [(_("Connect me to the crisis centre"), Crisis(action="connect"))]))


@router.callback_query(Crisis.filter(F.action == "unsafe"))
async def unsafe(call: CallbackQuery, ctx: UserContext, catalog: Catalog) -> None:
    await call.answer()
    text = _(
        "<b>Call 112 now.</b> Say where you are and what is happening. If you cannot talk, "
        "try to get to a safe place: neighbours, a shop, a pharmacy, and ask for help there."
    )
    await call.message.answer(
        text, reply_markup=kb([(_("Connect me to the crisis centre"), Crisis(action="connect"))])
    )


@router.callback_query(Crisis.filter(F.action.in_({"connect", "connect_consent"})))
async def connect(
    call: CallbackQuery,
    callback_data: Crisis,
    ctx: UserContext,
    session: AsyncSession,
    catalog: Catalog,
    desk_chats: desk.DeskChats,
) -> None:
    await call.answer()
    if not ctx.consented:
        if callback_data.action != "connect_consent":
            text = _(
                "To pass your request to the crisis centre we need to keep your messages. "
                "Only the centre's specialists will see them. Do you agree?"
            )
            await call.message.answer(
                text, reply_markup=kb([(_("Yes, pass it on"), Crisis(action="connect_consent"))])
            )
            return
        ctx.family = await families.give_consent(
            session, call.from_user.id, language=ctx.locale, version=catalog.privacy_version
        )
    case = await cases.record_request(
        session,
        ctx.family,
        tier=3,
        specialty=None,
        category="violence_safety",
        urgency="emergency",
        route="crisis_centre",
        source="crisis",
        summary={"crisis": True},
    )
    await hand_off(session, case, desk_chats)
    lines = [
        _(
            "Your urgent request № {number} has been passed to the crisis centre. Write here what is happening: "
            "a specialist will answer you in this chat."
        ).format(number=case.id),
        _("To get help right now, please call:"),
    ]
    lines += [org_card(org, ctx.locale) for org in catalog.crisis_contacts(region_of(ctx))]
    await call.message.answer("\n\n".join(lines), reply_markup=family_kb(ctx))
