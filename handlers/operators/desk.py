"""The operators' forum group: case buttons, replies relayed to the family, notes, canned answers, /queue."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject, Filter
from aiogram.types import CallbackQuery, Message, TelegramObject
from aiogram.utils.i18n import gettext as _
from aiogram.utils.markdown import html_decoration as hd

from bot.config import Settings
from bot.db.base import utcnow
from bot.db.models import Case, Staff
from bot.db.session import AsyncSession
from bot.db.statuses import CaseStatus
from bot.i18n import locale_scope
from bot.services import cases, desk, families, relay
from bot.services import staff as staff_service
from bot.services.audit import audit
from bot.services.cases import TransitionError
from bot.services.catalog import Catalog
from bot.services.relay import RELAYABLE
from bot.views.callbacks import CaseAct, CaseAction
from bot.views.case_card import (
    card_kb,
    category_label,
    specialty_name,
    staff_name,
    sync_topic,
    transfer_kb,
    urgency_label,
)
from bot.views.ui import kb
from handlers.relaying import relay_edit, relay_message

log = logging.getLogger(__name__)
router = Router(name="operators.desk")

NOTE_PREFIX = "!"


# --- helpers -------------------------------------------------------------------------------------------------


async def tell_family(session: AsyncSession, case: Case, i18n, text_fn, markup=None) -> None:
    """Queue a message for the family in its own language (the staff group uses the default one)."""
    family = await families.get(session, case.family_id)
    if family is None:
        return
    with locale_scope(i18n, family.language):
        text = text_fn()
        markup_dict = markup().model_dump(exclude_none=True) if markup else None
    relay.enqueue_text(session, case, target="family", text=text, markup=markup_dict)


def rating_kb(case_id: int):
    from bot.views.callbacks import Rate

    return kb([(str(n), Rate(case=case_id, v=n)) for n in range(1, 6)])


async def close_case(
    bot: Bot,
    session: AsyncSession,
    case: Case,
    *,
    staff: Staff,
    actor: int,
    catalog: Catalog,
    settings: Settings,
    i18n,
) -> None:
    from datetime import timedelta

    await desk.close(
        session,
        case,
        actor_tg_id=actor,
        role=staff.role,
        checkin_after=timedelta(hours=settings.checkin_after_hours),
    )
    await tell_family(
        session,
        case,
        i18n,
        lambda: _(
            "Your request № {number} is closed. Thank you for trusting us. "
            "How helpful was our help? Tap a number from 1 (not at all) to 5 (very)."
        ).format(number=case.id),
        lambda: rating_kb(case.id),
    )
    await sync_topic(bot, session, case, catalog, settings.default_locale)


async def reopen_case(
    bot: Bot,
    session: AsyncSession,
    case: Case,
    *,
    actor: int,
    role: str,
    catalog: Catalog,
    settings: Settings,
) -> None:
    await desk.reopen(session, case, actor_tg_id=actor, role=role)
    await sync_topic(bot, session, case, catalog, settings.default_locale)


async def move_case(
    bot: Bot, session: AsyncSession, case: Case, chats: desk.DeskChats, *, old_chat: int | None
) -> None:
    """After a transfer that changes the group, the case gets a new topic there; the old one says where it went."""
    new_chat = chats.for_case(case)
    if new_chat == old_chat or new_chat is None:
        return
    if old_chat and case.thread_id:
        try:
            await bot.send_message(
                old_chat,
                _("This request was transferred to another group. Further messages go there."),
                message_thread_id=case.thread_id,
            )
            await bot.close_forum_topic(old_chat, case.thread_id)
        except TelegramBadRequest as exc:
            log.info("old topic of case %s: %s", case.id, exc.message)
    case.chat_id, case.thread_id, case.card_message_id = new_chat, None, None
    relay.ensure_topic(session, case)


# --- buttons on the card -------------------------------------------------------------------------------------


class CaseOfButton(Filter):
    """The request a case-card button names, when its card is in this chat: for the handler as ``case``.
    Otherwise the button reaches :func:`stale_case_button`."""

    async def __call__(
        self, call: CallbackQuery, callback_data: CaseAct, session: AsyncSession
    ) -> bool | dict:
        case = await cases.get(session, callback_data.id)
        if case is None or call.message is None or case.chat_id != call.message.chat.id:
            return False
        return {"case": case}


class RefuseTransition(BaseMiddleware):
    """A button pressed on a card whose request has moved on meanwhile (closed, reopened, taken)."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        try:
            return await handler(event, data)
        except TransitionError:
            assert isinstance(event, CallbackQuery)
            await event.answer(_("This cannot be done in the request's current state."), show_alert=True)
            return None


router.callback_query.middleware(RefuseTransition())


@router.callback_query(CaseAct.filter(F.a == CaseAction.TAKE), CaseOfButton())
async def take(
    call: CallbackQuery,
    case: Case,
    staff: Staff,
    session: AsyncSession,
    catalog: Catalog,
    settings: Settings,
    i18n,
) -> None:
    result = await desk.take(session, case.id, staff, actor_tg_id=call.from_user.id)
    if not result.ok:
        who = staff_name(result.owner) if result.owner else _("nobody: the request is not open")
        await call.answer(_("Already taken by {who}.").format(who=who), show_alert=True)
        return
    await call.answer(_("The request is yours."))
    await tell_family(
        session,
        case,
        i18n,
        lambda: _("A specialist has taken your request № {number} and will write to you here.").format(
            number=case.id
        ),
    )
    await sync_topic(call.bot, session, result.case, catalog, settings.default_locale)


@router.callback_query(CaseAct.filter(F.a.in_({CaseAction.TRANSFER, CaseAction.BACK})), CaseOfButton())
async def card_buttons(
    call: CallbackQuery, callback_data: CaseAct, case: Case, catalog: Catalog, settings: Settings
) -> None:
    """«Transfer» shows where to; «Back» the card's own buttons again."""
    await call.answer()
    if isinstance(call.message, Message):
        markup = (
            transfer_kb(case, catalog, settings.default_locale)
            if callback_data.a == CaseAction.TRANSFER
            else card_kb(case)
        )
        await call.message.edit_reply_markup(reply_markup=markup)


@router.callback_query(CaseAct.filter(F.a == CaseAction.NOTE), CaseOfButton())
async def note_hint(call: CallbackQuery) -> None:
    await call.answer(
        _("To leave a note only staff see, start the message with «!» or write /note and the text."),
        show_alert=True,
    )


@router.callback_query(CaseAct.filter(F.a == CaseAction.CLOSE), CaseOfButton())
async def close(
    call: CallbackQuery,
    case: Case,
    staff: Staff,
    session: AsyncSession,
    catalog: Catalog,
    settings: Settings,
    i18n,
) -> None:
    if case.status == CaseStatus.CLOSED:
        await call.answer(_("The request is already closed."))
        return
    await close_case(
        call.bot,
        session,
        case,
        staff=staff,
        actor=call.from_user.id,
        catalog=catalog,
        settings=settings,
        i18n=i18n,
    )
    await call.answer(_("Closed. The family was asked to rate the help."))


@router.callback_query(CaseAct.filter(F.a == CaseAction.REOPEN), CaseOfButton())
async def reopen(
    call: CallbackQuery, case: Case, staff: Staff, session: AsyncSession, catalog: Catalog, settings: Settings
) -> None:
    await reopen_case(
        call.bot, session, case, actor=call.from_user.id, role=staff.role, catalog=catalog, settings=settings
    )
    await call.answer(_("The request is open again."))


@router.callback_query(
    CaseAct.filter(F.a.in_({CaseAction.SPEC, CaseAction.CRISIS, CaseAction.REGION})), CaseOfButton()
)
async def transfer_to(
    call: CallbackQuery,
    callback_data: CaseAct,
    case: Case,
    staff: Staff,
    session: AsyncSession,
    catalog: Catalog,
    settings: Settings,
    desk_chats: desk.DeskChats,
) -> None:
    await transfer(call, callback_data, case, staff, session, catalog, settings, desk_chats)


@router.callback_query(CaseAct.filter())
async def stale_case_button(call: CallbackQuery, callback_data: CaseAct, session: AsyncSession) -> None:
    """A card of a request that is gone or lives in another group, or an action no card offers."""
    if not await CaseOfButton()(call, callback_data, session):
        await call.answer(_("This request was not found."), show_alert=True)
        return
    await call.answer(_("This button no longer works."))


async def transfer(
    call: CallbackQuery,
    data: CaseAct,
    case: Case,
    staff: Staff,
    session: AsyncSession,
    catalog: Catalog,
    settings: Settings,
    chats: desk.DeskChats,
) -> None:
    old = {"specialty": case.specialty, "tier": case.tier, "region": case.region}
    if data.a == CaseAction.SPEC:
        if data.v not in staff_service.SPECIALTIES:
            await call.answer(_("This button no longer works."))
            return
        case.specialty = data.v
        where = specialty_name(data.v)
    elif data.a == CaseAction.CRISIS:
        case.tier, case.specialty = 3, None
        if desk.urgency_rank(case.urgency) < desk.urgency_rank("urgent"):
            case.urgency = "urgent"
        where = _("the crisis centre")
    else:
        region = catalog.region(data.v)
        if region is None or region.code != data.v:
            await call.answer(_("This button no longer works."))
            return
        case.region = data.v
        where = region.name.get(settings.default_locale)
    old_chat = case.chat_id
    await desk.release(session, case, actor_tg_id=call.from_user.id, role=staff.role)
    await audit(
        session,
        actor_tg_id=call.from_user.id,
        role=staff.role,
        action="case.transferred",
        obj=("case", case.id),
        details={"from": old, "to": {"specialty": case.specialty, "tier": case.tier, "region": case.region}},
    )
    await call.answer(_("Transferred to: {where}.").format(where=where))
    await sync_topic(call.bot, session, case, catalog, settings.default_locale)
    await move_case(call.bot, session, case, chats, old_chat=old_chat)


# --- commands ------------------------------------------------------------------------------------------------


@router.message(Command("queue"))
async def queue_cmd(message: Message, session: AsyncSession, catalog: Catalog) -> None:
    waiting = await desk.waiting_queue(session, message.chat.id)
    if not waiting:
        await message.reply(_("The queue is empty: nobody is waiting."))
        return
    now = utcnow()
    lines = [_("<b>Waiting requests</b> (most urgent first)")]
    internal = str(message.chat.id).removeprefix("-100")
    for i, case in enumerate(waiting[:30], 1):
        minutes = round(desk.minutes_since(case.opened_at, now))
        label = f"№{case.id}"
        if case.thread_id:
            label = hd.link(label, f"https://t.me/c/{internal}/{case.thread_id}")
        lines.append(
            _("{n}. {case} {icon} {urgency} · {category} · {region} · waiting {minutes} min").format(
                n=i,
                case=label,
                icon=desk.URGENCY_ICONS.get(case.urgency, ""),
                urgency=urgency_label(case.urgency),
                category=category_label(case.category),
                region=case.region or "—",
                minutes=minutes,
            )
        )
    if len(waiting) > 30:
        lines.append(_("…and {count} more.").format(count=len(waiting) - 30))
    await message.reply("\n".join(lines))


@router.message(Command("help"))
async def staff_help(message: Message) -> None:
    await message.reply(desk_hint())


def desk_hint() -> str:
    return _(
        "How the desk works:\n"
        "• each request has its own topic; what you write there goes to the family;\n"
        "• a message starting with «!» or /note is a note: it stays here;\n"
        "• /c code — a canned answer (/c alone lists them);\n"
        "• /place id or words — a place of the directory, sent to the family as a pin on the map;\n"
        "• /unmet text — record a need we could not meet;\n"
        "• /queue — waiting requests, most urgent first;\n"
        "• /mute minutes — pause an abusive family for a while (/unmute lifts it);\n"
        "• the card's buttons take, transfer and close the request."
    )


@router.message(Command("note"))
async def note_cmd(message: Message, staff: Staff, case: Case | None, session: AsyncSession) -> None:
    if case is None:
        await message.reply(desk_hint())
        return
    await record_note(session, case, staff, message)


async def record_note(session: AsyncSession, case: Case, staff: Staff, message: Message) -> None:
    await audit(
        session,
        actor_tg_id=message.from_user.id,
        role=staff.role,
        action="case.note",
        obj=("case", case.id),
        details={"message_id": message.message_id},
    )


@router.message(Command("unmet"))
async def unmet_cmd(
    message: Message,
    staff: Staff,
    case: Case | None,
    command: CommandObject,
    session: AsyncSession,
    catalog: Catalog,
    settings: Settings,
) -> None:
    need = (command.args or "").strip()[:200]
    if case is None or not need:
        await message.reply(_("Write it in the request's topic: /unmet what was needed but does not exist."))
        return
    case.unmet_needs = [*(case.unmet_needs or []), need]
    await audit(
        session,
        actor_tg_id=message.from_user.id,
        role=staff.role,
        action="case.unmet_need",
        obj=("case", case.id),
        details={"need": need},
    )
    await sync_topic(message.bot, session, case, catalog, settings.default_locale)


@router.message(Command("c", "canned"))
async def canned_cmd(
    message: Message,
    staff: Staff,
    case: Case | None,
    command: CommandObject,
    session: AsyncSession,
    catalog: Catalog,
    settings: Settings,
    i18n,
) -> None:
    answers = catalog.content.canned
    code = (command.args or "").strip().lower()
    if not code or code not in answers:
        lines = [_("Canned answers: /c code")]
        lines += [
            f"• <code>{hd.quote(a.code)}</code> — {hd.quote(a.title.get(settings.default_locale))}"
            for a in answers.values()
        ]
        await message.reply("\n".join(lines))
        return
    if case is None:
        await message.reply(desk_hint())
        return
    if case.status == CaseStatus.CLOSED:
        await message.reply(closed_hint())
        return
    family = await families.get(session, case.family_id)
    language = family.language if family else settings.default_locale
    text = answers[code].text.get(language).replace("{case_id}", str(case.id))
    media = answers[code].media
    if media is None:
        relay.enqueue_text(session, case, target="family", text=hd.quote(text))
    else:
        relay.enqueue_media(
            session, case, target="family", kind=media.kind, file=media.file, caption=hd.quote(text)
        )
    await desk.note_staff_message(session, case, staff, actor_tg_id=message.from_user.id)
    await audit(
        session,
        actor_tg_id=message.from_user.id,
        role=staff.role,
        action="case.canned",
        obj=("case", case.id),
        details={"code": code},
    )
    await message.reply(_("Sent to the family:") + "\n\n" + hd.quote(text))


def closed_hint() -> str:
    return _("This request is closed, so the family will not get this. Press «Reopen» on the card first.")


# --- everything else staff write ----------------------------------------------------------------------------


@router.message()
async def staff_message(
    message: Message,
    staff: Staff,
    case: Case | None,
    session: AsyncSession,
    settings: Settings,
) -> None:
    if message.content_type not in RELAYABLE or message.from_user is None or message.from_user.is_bot:
        return  # service messages: topic created, members joined…
    if message.text and message.text.startswith("/"):
        await message.reply(desk_hint())
        return
    if case is None:
        await message.reply(
            _("This topic is not a request. To answer a family, write in the request's own topic.")
            + "\n\n"
            + desk_hint()
        )
        return
    if (message.text or message.caption or "").startswith(NOTE_PREFIX):
        await record_note(session, case, staff, message)
        return
    if case.status == CaseStatus.CLOSED:
        await message.reply(closed_hint())
        return
    if case.family_id is None:
        await message.reply(_("The family has deleted its data; messages can no longer be sent."))
        return
    relay_message(session, case, message, target="family")
    await desk.note_staff_message(session, case, staff, actor_tg_id=message.from_user.id)
    await audit(
        session,
        actor_tg_id=message.from_user.id,
        role=staff.role,
        action="case.reply",
        obj=("case", case.id),
        details={"kind": message.content_type},
    )


@router.edited_message()
async def staff_edit(message: Message, session: AsyncSession) -> None:
    case = await relay.case_of_message(session, message.chat.id, message.message_id)
    if case is None:
        return
    relay_edit(session, case, message, target="family")
