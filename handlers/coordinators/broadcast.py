"""Broadcasts, coordinator side: compose as an ordinary message, choose the audience, preview, send or schedule,
stop. The sending itself is bot/broadcaster.py."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from aiogram import F, Router
from aiogram.filters import Command, Filter, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InaccessibleMessage, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.markdown import html_decoration as hd

from bot.broadcaster import send_content
from bot.config import Settings
from bot.db.models import Broadcast
from bot.db.session import AsyncSession
from bot.middlewares.context import UserContext
from bot.services import broadcasts as bc
from bot.services.audit import audit
from bot.services.catalog import Catalog
from bot.views import coordinators as render
from bot.views.callbacks import BcAct, BcAction
from bot.views.ui import kb, show
from handlers.filters import role_of

router = Router(name="coordinators.broadcast")


class Compose(StatesGroup):
    content = State()
    buttons = State()
    poll = State()
    when = State()


def region_zones(catalog: Catalog) -> dict[str, str]:
    return {r.code: r.timezone for r in catalog.regions}


def zone_of(b: Broadcast, catalog: Catalog, settings: Settings) -> str:
    return b.timezone or bc.local_zone_name(b.segment, region_zones(catalog), settings.timezone)


async def draft_screen(
    event: Message | CallbackQuery, session: AsyncSession, b: Broadcast, catalog: Catalog, settings: Settings
) -> None:
    count = await bc.count(session, b.segment)
    await show(event, render.draft_text(b, count, catalog, settings.default_locale), render.draft_kb(b))


async def new_screen(
    message: Message | InaccessibleMessage,
    session: AsyncSession,
    b: Broadcast,
    catalog: Catalog,
    settings: Settings,
) -> None:
    count = await bc.count(session, b.segment)
    await message.answer(
        render.draft_text(b, count, catalog, settings.default_locale), reply_markup=render.draft_kb(b)
    )


# --- compose -------------------------------------------------------------------------------------------------


@router.message(Command("broadcast"))
async def start(message: Message, state: FSMContext) -> None:
    await state.set_state(Compose.content)
    await message.answer(
        _(
            "<b>New announcement</b>\n\n"
            "Send it as an ordinary message: text, or a photo, video or document with a caption. "
            "Formatting and links are kept; families see it exactly as you send it.\n\n"
            "Next you choose who gets it and see the count and a preview before anything is sent. /cancel: stop."
        )
    )


@router.message(Command("cancel"), StateFilter(Compose))
async def cancel_compose(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(_("Stopped. Nothing was sent."))


def content_of(message: Message) -> dict | None:
    entities = [e.model_dump(exclude_none=True) for e in (message.entities or message.caption_entities or [])]
    if message.text:
        return {"kind": "text", "text": message.text, "entities": entities}
    media = None
    if message.photo:
        media = ("photo", message.photo[-1].file_id)
    elif message.animation:
        media = ("animation", message.animation.file_id)
    elif message.video:
        media = ("video", message.video.file_id)
    elif message.document:
        media = ("document", message.document.file_id)
    if media is None:
        return None
    return {"kind": media[0], "file_id": media[1], "text": message.caption or "", "entities": entities}


@router.message(Compose.content)
async def got_content(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    ctx: UserContext,
    catalog: Catalog,
    settings: Settings,
) -> None:
    content = content_of(message)
    if content is None or (content["kind"] == "text" and content["text"].startswith("/")):
        await message.answer(_("Please send text, a photo, a video or a document. /cancel: stop."))
        return
    b = await bc.create_draft(
        session, actor_tg_id=ctx.user.id, role=role_of(ctx), chat_id=message.chat.id, content=content
    )
    await state.clear()
    await new_screen(message, session, b, catalog, settings)


class InStatus(Filter):
    """The announcement a BcAct button names, in one of ``statuses`` (in any, if none are given), for the handler
    as ``b``. Otherwise the button falls through to :func:`not_now` at the end of this module."""

    def __init__(self, *statuses: str) -> None:
        self.statuses = statuses

    async def __call__(self, call: CallbackQuery, callback_data: BcAct, session: AsyncSession) -> bool | dict:
        b = await bc.get(session, callback_data.id)
        if b is None or (self.statuses and b.status not in self.statuses):
            return False
        return {"b": b}


@router.callback_query(
    BcAct.filter(F.a.in_({BcAction.MENU, BcAction.AUD, BcAction.DIM, BcAction.TOG, BcAction.CLR})),
    InStatus(bc.DRAFT),
)
async def audience(
    call: CallbackQuery,
    callback_data: BcAct,
    b: Broadcast,
    session: AsyncSession,
    catalog: Catalog,
    settings: Settings,
) -> None:
    await call.answer()
    locale = settings.default_locale
    a, v = callback_data.a, callback_data.v
    if a == "menu":
        await draft_screen(call, session, b, catalog, settings)
        return
    if a in ("tog", "clr"):
        dim, _sep, value = v.partition("=")
        key = render.DIMENSIONS.get(dim)
        if key is None:
            return
        seg = dict(bc.clean_segment(b.segment))
        if a == "clr":
            seg.pop(key, None)
        elif key == "active_days":
            seg[key] = 0 if str(seg.get(key)) == value else int(value)
        else:
            values = set(seg.get(key) or [])
            values ^= {value}
            seg[key] = sorted(values)
        await bc.set_segment(session, b, seg)
        a, v = "dim", dim
    count = await bc.count(session, b.segment)
    head = "\n".join([*render.segment_lines(b.segment, catalog, locale), "", render.reach_line(count)])
    if a == "dim" and v in render.DIMENSIONS:
        text = _("<b>{dimension}</b>: tap to choose, several are allowed (any of them matches).").format(
            dimension=render.dimension_title(v)
        )
        await show(call, text + "\n\n" + head, render.dimension_kb(b, v, catalog, locale))
        return
    text = _(
        "<b>Who gets announcement № {id}</b>\nWithin each line any choice matches; the lines combine."
    ).format(id=b.id)
    await show(call, text + "\n\n" + head, render.audience_kb(b))


@router.callback_query(
    BcAct.filter(F.a.in_({BcAction.BTN, BcAction.NOBTN, BcAction.POLL, BcAction.NOPOLL})), InStatus(bc.DRAFT)
)
async def extras(
    call: CallbackQuery,
    callback_data: BcAct,
    b: Broadcast,
    state: FSMContext,
    session: AsyncSession,
    catalog: Catalog,
    settings: Settings,
) -> None:
    await call.answer()
    back = [(_("« Back to the draft"), BcAct(id=b.id, a=BcAction.MENU))]
    if callback_data.a == "nobtn":
        b.content = {**b.content, "buttons": []}
        await draft_screen(call, session, b, catalog, settings)
    elif callback_data.a == "nopoll":
        b.poll = []
        await draft_screen(call, session, b, catalog, settings)
    elif callback_data.a == "btn":
        await state.set_state(Compose.buttons)
        await state.update_data(broadcast=b.id)
        rows = [back]
        if b.content.get("buttons"):
            rows.insert(0, [(_("Remove link buttons"), BcAct(id=b.id, a=BcAction.NOBTN))])
        await show(
            call,
            _(
                "Send the link buttons, one per line, as «Text | https://link». Up to {n} buttons.\n"
                "For example: «Sign up | https://example.org/form»"
            ).format(n=bc.MAX_LINK_BUTTONS),
            kb(*rows),
        )
    else:
        await state.set_state(Compose.poll)
        await state.update_data(broadcast=b.id)
        rows = [back]
        if b.poll:
            rows.insert(0, [(_("Remove the question"), BcAct(id=b.id, a=BcAction.NOPOLL))])
        await show(
            call,
            _(
                "The announcement itself is the question. Send the answer options, one per line, "
                "from 2 to {n}. Families answer with one tap; the report counts the answers."
            ).format(n=bc.MAX_POLL_OPTIONS),
            kb(*rows),
        )


class DraftInState(Filter):
    """The draft a coordinator is writing buttons, a question or a time for (kept in the FSM data), for the
    handler as ``b`` while it is still a draft. Otherwise the message reaches :func:`draft_gone`."""

    async def __call__(self, message: Message, state: FSMContext, session: AsyncSession) -> bool | dict:
        b = await bc.get(session, (await state.get_data()).get("broadcast") or 0)
        return {"b": b} if b is not None and b.status == bc.DRAFT else False


@router.message(Compose.buttons, F.text, DraftInState())
async def got_buttons(
    message: Message,
    b: Broadcast,
    state: FSMContext,
    session: AsyncSession,
    catalog: Catalog,
    settings: Settings,
) -> None:
    try:
        buttons = bc.parse_link_buttons(message.text)
    except bc.BroadcastError:
        await message.answer(
            _("I could not read that. One button per line: «Text | https://link», up to {n}.").format(
                n=bc.MAX_LINK_BUTTONS
            )
        )
        return
    b.content = {**b.content, "buttons": buttons}
    await state.clear()
    await new_screen(message, session, b, catalog, settings)


@router.message(Compose.poll, F.text, DraftInState())
async def got_poll(
    message: Message,
    b: Broadcast,
    state: FSMContext,
    session: AsyncSession,
    catalog: Catalog,
    settings: Settings,
) -> None:
    try:
        b.poll = bc.parse_poll(message.text)
    except bc.BroadcastError:
        await message.answer(
            _(
                "Please send from 2 to {n} different answer, one per line.",
                "Please send from 2 to {n} different answers, one per line.",
                bc.MAX_POLL_OPTIONS,
            ).format(n=bc.MAX_POLL_OPTIONS)
        )
        return
    await state.clear()
    await new_screen(message, session, b, catalog, settings)


@router.callback_query(BcAct.filter(F.a == BcAction.PREV), InStatus())
async def preview(
    call: CallbackQuery,
    callback_data: BcAct,
    b: Broadcast,
    session: AsyncSession,
    catalog: Catalog,
    settings: Settings,
) -> None:
    await call.answer()
    markup = render.family_markup(b.id, b.content, b.poll, discreet=False)
    await send_content(call.bot, call.message.chat.id, b.content, markup)
    note = _(
        "↑ This is how families will see it. Families in discreet mode first get «{teaser}» with a «{show}» button."
    )
    await call.message.answer(note.format(teaser=render.teaser()["text"], show=_("Show")))
    if b.status == bc.DRAFT:
        await new_screen(call.message, session, b, catalog, settings)


# --- send or schedule ----------------------------------------------------------------------------------------


@router.callback_query(BcAct.filter(F.a == BcAction.NOW), InStatus(bc.DRAFT))
async def confirm_now(
    call: CallbackQuery,
    callback_data: BcAct,
    b: Broadcast,
    session: AsyncSession,
    catalog: Catalog,
    settings: Settings,
) -> None:
    await call.answer()
    count = await bc.count(session, b.segment)
    if not count.total:
        await show(
            call,
            _("Nobody matches this audience. Change the audience first."),
            kb([(_("« Back to the draft"), BcAct(id=b.id, a=BcAction.MENU))]),
        )
        return
    await show(
        call,
        _(
            "Send announcement № {id} now to <b>{count}</b> family?",
            "Send announcement № {id} now to <b>{count}</b> families?",
            count.total,
        ).format(id=b.id, count=count.total),
        kb(
            [(_("Yes, send"), BcAct(id=b.id, a=BcAction.GO, v="now"))],
            [(_("« Back"), BcAct(id=b.id, a=BcAction.MENU))],
        ),
    )


@router.callback_query(BcAct.filter(F.a == BcAction.WHEN), InStatus(bc.DRAFT))
async def ask_when(
    call: CallbackQuery,
    callback_data: BcAct,
    b: Broadcast,
    state: FSMContext,
    session: AsyncSession,
    catalog: Catalog,
    settings: Settings,
) -> None:
    await call.answer()
    zone = bc.local_zone_name(b.segment, region_zones(catalog), settings.timezone)
    await state.set_state(Compose.when)
    await state.update_data(broadcast=b.id)
    tomorrow = (datetime.now(ZoneInfo(zone)) + timedelta(days=1)).strftime("%d.%m")
    await show(
        call,
        render.when_text(b, zone),
        kb(
            [
                (_("Tomorrow 10:00"), BcAct(id=b.id, a=BcAction.AT, v=f"{tomorrow} 10-00")),
                (_("Tomorrow 18:00"), BcAct(id=b.id, a=BcAction.AT, v=f"{tomorrow} 18-00")),
            ],
            [(_("« Back to the draft"), BcAct(id=b.id, a=BcAction.MENU))],
        ),
    )


def parse_when(text: str, zone: str, now: datetime | None = None) -> datetime | None:
    """«25.12 18:00» or «25.12.2026 18:00», local to ``zone`` → an aware datetime (None if unreadable)."""
    tz = ZoneInfo(zone)
    now = now or datetime.now(tz)
    text = " ".join(text.strip().split())
    for fmt in ("%d.%m.%Y %H:%M", "%d.%m.%y %H:%M", "%d.%m %H:%M"):
        try:
            parsed = datetime.strptime(text, fmt)
        except ValueError:
            continue
        if fmt == "%d.%m %H:%M":
            parsed = parsed.replace(year=now.year)
            local = parsed.replace(tzinfo=tz)
            if local < now - timedelta(days=1):
                local = local.replace(year=now.year + 1)
            return local
        return parsed.replace(tzinfo=tz)
    return None


async def confirm_at(
    event: Message | CallbackQuery,
    b: Broadcast,
    text: str,
    session: AsyncSession,
    catalog: Catalog,
    settings: Settings,
) -> bool:
    zone = bc.local_zone_name(b.segment, region_zones(catalog), settings.timezone)
    at = parse_when(text, zone)
    if at is None or at <= datetime.now(ZoneInfo(zone)):
        message = _("Please send a future date and time like «{example}».").format(
            example=(datetime.now(ZoneInfo(zone)) + timedelta(days=1)).strftime("%d.%m %H:%M")
        )
        if isinstance(event, CallbackQuery):
            await event.message.answer(message)
        else:
            await event.answer(message)
        return False
    b.send_at, b.timezone = at, zone
    count = await bc.count(session, b.segment)
    text = _(
        "Send announcement № {id} on {when} ({zone}) to about <b>{count}</b> family? "
        "The exact list is made at that moment: who opts out before then will not get it.",
        "Send announcement № {id} on {when} ({zone}) to about <b>{count}</b> families? "
        "The exact list is made at that moment: who opts out before then will not get it.",
        count.total,
    ).format(id=b.id, when=render.local_time(at, zone), zone=zone, count=count.total)
    markup = kb(
        [(_("Yes, schedule"), BcAct(id=b.id, a=BcAction.GO, v="at"))],
        [(_("« Back"), BcAct(id=b.id, a=BcAction.MENU))],
    )
    if isinstance(event, CallbackQuery):
        await show(event, text, markup)
    else:
        await event.answer(text, reply_markup=markup)
    return True


@router.message(Compose.when, F.text, DraftInState())
async def got_when(
    message: Message,
    b: Broadcast,
    state: FSMContext,
    session: AsyncSession,
    catalog: Catalog,
    settings: Settings,
) -> None:
    if await confirm_at(message, b, message.text, session, catalog, settings):
        await state.clear()


@router.callback_query(BcAct.filter(F.a == BcAction.AT), InStatus(bc.DRAFT))
async def quick_when(
    call: CallbackQuery,
    callback_data: BcAct,
    b: Broadcast,
    state: FSMContext,
    session: AsyncSession,
    catalog: Catalog,
    settings: Settings,
) -> None:
    await call.answer()
    if await confirm_at(call, b, callback_data.v.replace("-", ":"), session, catalog, settings):
        await state.clear()


@router.callback_query(BcAct.filter(F.a == BcAction.GO), InStatus(bc.DRAFT))
async def go(
    call: CallbackQuery,
    callback_data: BcAct,
    b: Broadcast,
    session: AsyncSession,
    ctx: UserContext,
    catalog: Catalog,
    settings: Settings,
) -> None:
    now = callback_data.v == "now"
    zone = b.timezone or bc.local_zone_name(b.segment, region_zones(catalog), settings.timezone)
    if not now and b.send_at is None:
        await call.answer(_("Choose the date and time first."), show_alert=True)
        return
    b.chat_id = call.message.chat.id
    await bc.schedule(
        session, b, at=None if now else b.send_at, zone=zone, actor_tg_id=ctx.user.id, role=role_of(ctx)
    )
    await call.answer()
    if now:
        text = _("Announcement № {id} is going out. Progress appears in the next message.").format(id=b.id)
        await show(call, text)
    else:
        text = _("Announcement № {id} is scheduled for {when} ({zone}).").format(
            id=b.id, when=render.local_time(b.send_at, zone), zone=zone
        )
        await show(call, text, render.status_kb(b))


@router.callback_query(BcAct.filter(F.a == BcAction.DEL), InStatus(bc.DRAFT))
async def delete_draft(
    call: CallbackQuery, callback_data: BcAct, b: Broadcast, session: AsyncSession, ctx: UserContext
) -> None:
    await bc.cancel(session, b, actor_tg_id=ctx.user.id, role=role_of(ctx))
    await call.answer()
    await show(call, _("The draft of announcement № {id} is deleted. Nothing was sent.").format(id=b.id))


# --- stop, list, report --------------------------------------------------------------------------------------


@router.callback_query(BcAct.filter(F.a == BcAction.CANCEL), InStatus(bc.SCHEDULED, bc.SENDING))
async def ask_stop(call: CallbackQuery, callback_data: BcAct, b: Broadcast, session: AsyncSession) -> None:
    await call.answer()
    await call.message.answer(
        _("Stop announcement № {id}? Families who have not got it yet will not get it.").format(id=b.id),
        reply_markup=kb(
            [(_("Yes, stop"), BcAct(id=b.id, a=BcAction.STOP)), (_("No"), BcAct(id=b.id, a=BcAction.KEEP))]
        ),
    )


@router.callback_query(BcAct.filter(F.a == BcAction.KEEP))
async def keep(call: CallbackQuery) -> None:
    await call.answer()
    await show(call, _("Nothing changed."))


@router.callback_query(BcAct.filter(F.a == BcAction.STOP), InStatus(bc.SCHEDULED, bc.SENDING))
async def stop(
    call: CallbackQuery, callback_data: BcAct, b: Broadcast, session: AsyncSession, ctx: UserContext
) -> None:
    left = await bc.cancel(session, b, actor_tg_id=ctx.user.id, role=role_of(ctx))
    await call.answer()
    await show(
        call, _("Announcement № {id} is stopped; {n} families will not get it.").format(id=b.id, n=left)
    )


@router.message(Command("broadcasts"))
async def list_broadcasts(message: Message, session: AsyncSession, settings: Settings) -> None:
    rows = await bc.recent(session)
    if not rows:
        await message.answer(_("No announcements yet. To write one: /broadcast"))
        return
    lines = [_("<b>Recent announcements</b>")]
    buttons = []
    for b in rows:
        when = render.local_time(b.send_at, b.timezone or settings.timezone) if b.send_at else "—"
        preview = hd.quote((b.content.get("text") or "").replace("\n", " ")[:40])
        lines.append(f"№ {b.id} · {render.status_label(b.status)} · {when} · {preview}")
        buttons.append([(_("Report № {id}").format(id=b.id), BcAct(id=b.id, a=BcAction.REPORT))])
    await message.answer("\n".join(lines), reply_markup=kb(*buttons))


@router.callback_query(BcAct.filter(F.a == BcAction.REPORT), InStatus())
async def show_report(
    call: CallbackQuery, callback_data: BcAct, b: Broadcast, session: AsyncSession, ctx: UserContext
) -> None:
    await call.answer()
    await audit(
        session,
        actor_tg_id=ctx.user.id,
        role=role_of(ctx),
        action="broadcast.report",
        obj=("broadcast", b.id),
    )
    report = await bc.report(session, b)
    await call.message.answer(render.report_text(report), reply_markup=render.status_kb(b))


@router.callback_query(BcAct.filter())
async def not_now(call: CallbackQuery, callback_data: BcAct, session: AsyncSession) -> None:
    """A button whose announcement is gone, or no longer in the state the button was made for."""
    b = await bc.get(session, callback_data.id)
    if b is None:
        await call.answer(_("This announcement was not found."), show_alert=True)
        return
    await call.answer(
        _("Announcement № {id} is already {status}.").format(id=b.id, status=render.status_label(b.status)),
        show_alert=True,
    )


@router.message(StateFilter(Compose.buttons, Compose.poll, Compose.when), F.text)
async def draft_gone(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(_("This draft is gone. Start again with /broadcast."))
