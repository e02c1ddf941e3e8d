"""The main menu and the simple sections: urgent help, contacts, settings, discreet mode, requests."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.config import Settings
from bot.db.models import AidRequest, Case
from bot.db.session import AsyncSession
from bot.db.statuses import CaseStatus
from bot.middlewares.context import UserContext
from bot.services import aid, cases, desk
from bot.services.catalog import Catalog
from bot.services.desk import DeskChats, hand_off
from bot.views import aid as aid_views
from bot.views.callbacks import Consent, Dir, Nav, Near, Req, Setting, Specialist
from bot.views.family import (
    case_who,
    expectations_text,
    family_kb,
    main_menu_kb,
    main_menu_text,
    org_card,
    settings_kb,
    settings_text,
    specialty_label,
    status_label,
    urgent_help_text,
)
from bot.views.places import contacts_shown
from bot.views.ui import chunk, kb, show
from handlers.family.common import end_flow

router = Router(name="family.menu")


@router.message(Command("menu"))
async def menu_cmd(message: Message, state: FSMContext, ctx: UserContext) -> None:
    await end_flow(state)
    await message.answer(main_menu_text(ctx), reply_markup=main_menu_kb(ctx))


@router.callback_query(Nav.filter(F.to == "menu"))
async def menu_cb(call: CallbackQuery, state: FSMContext, ctx: UserContext) -> None:
    await end_flow(state)
    await call.answer()
    await show(call, main_menu_text(ctx), main_menu_kb(ctx))


@router.message(Command("help"))
async def help_cmd(message: Message, ctx: UserContext, catalog: Catalog) -> None:
    text = (
        urgent_help_text(catalog, ctx)
        + "\n\n"
        + _(
            "<b>What the bot can do</b>\n"
            "/menu: main menu\n"
            "/language: change language\n"
            "/privacy: how we keep your data\n"
            "/mydata: get a copy of your data\n"
            "/forget: erase your data"
        )
    )
    await message.answer(text, reply_markup=family_kb(ctx))


@router.callback_query(Nav.filter(F.to == "urgent"))
async def urgent_cb(call: CallbackQuery, ctx: UserContext, catalog: Catalog) -> None:
    await call.answer()
    await show(call, urgent_help_text(catalog, ctx), family_kb(ctx))


@router.callback_query(Nav.filter(F.to == "hide"))
async def hide(call: CallbackQuery, state: FSMContext) -> None:
    """Discreet mode: end the flow, remove the screen and leave a neutral line."""
    await end_flow(state)
    await call.answer()
    if isinstance(call.message, Message):
        try:
            await call.message.delete()
        except Exception:
            await call.message.edit_text(_("Menu closed."))
            return
    await call.bot.send_message(call.from_user.id, _("Menu closed. To open it again, send /menu."))


# --- contacts (directory) ---------------------------------------------------------------------------


@router.callback_query(Nav.filter(F.to == "contacts"))
async def contacts(call: CallbackQuery, ctx: UserContext, catalog: Catalog) -> None:
    await call.answer()
    buttons = [(label, Dir(kind=kind)) for kind, label in catalog.directory_kinds(ctx.locale)]
    region = ctx.family.region if ctx.family else None
    text = _("What kind of help are you looking for?")
    if region is None:
        text += "\n" + _("You have not chosen a region, so we show federal contacts.")
    rows = chunk(buttons, 2) + ([[(_("📍 Places near me"), Near(kind=""))]] if catalog.places else [])
    await show(call, text, family_kb(ctx, *rows))


@router.callback_query(Dir.filter())
async def contacts_of_kind(
    call: CallbackQuery, callback_data: Dir, ctx: UserContext, catalog: Catalog
) -> None:
    kinds = dict(catalog.directory_kinds(ctx.locale))
    if callback_data.kind not in kinds:
        await call.answer(_("This button no longer works."), show_alert=True)
        return
    await call.answer()
    region = ctx.family.region if ctx.family else None
    orgs = catalog.directory(region, callback_data.kind)
    if not orgs:
        text = _("We have no contacts of this kind for your region yet. Here are the federal hotlines.")
        orgs = catalog.directory(None, "crisis")
        body = [text]
    else:
        body = [_("<b>{kind}</b>").format(kind=kinds[callback_data.kind])]
    body += [org_card(org, ctx.locale) for org in contacts_shown(orgs)]
    rows: list[list[tuple[str, CallbackData]]] = [[(_("« Kinds of help"), Nav(to="contacts"))]]
    if catalog.places and catalog.places.filtered(kind=callback_data.kind):
        rows.insert(0, [(_("📍 The nearest on the map"), Near(kind=callback_data.kind))])
    await show(call, "\n\n".join(body), family_kb(ctx, *rows))


# --- talk to a specialist --------------------------------------------------------------------------

SPECIALTIES = ("lawyer", "psychologist", "social_consultant")


@router.callback_query(Nav.filter(F.to == "specialist"))
async def specialist(call: CallbackQuery, ctx: UserContext) -> None:
    await call.answer()
    if not ctx.consented:
        await show(
            call,
            _(
                "To pass your question to a specialist we need your consent to store your messages. "
                "Without it you can still read the information and call the hotlines."
            ),
            family_kb(ctx, [(_("Read and agree"), Consent(action="ask"))]),
        )
        return
    buttons = [(specialty_label(k), Specialist(kind=k)) for k in SPECIALTIES]
    await show(
        call,
        _("Who would you like to talk to? If you are not sure, choose «What happened» in the menu."),
        family_kb(ctx, *chunk(buttons, 1)),
    )


@router.callback_query(Specialist.filter())
async def specialist_chosen(
    call: CallbackQuery,
    callback_data: Specialist,
    ctx: UserContext,
    session: AsyncSession,
    catalog: Catalog,
    settings: Settings,
    desk_chats: DeskChats,
) -> None:
    if callback_data.kind not in (*SPECIALTIES, "crisis") or not ctx.consented:
        await call.answer(_("This button no longer works."), show_alert=True)
        return
    await call.answer()
    tier = 3 if callback_data.kind == "crisis" else 2
    case = await cases.record_request(
        session,
        ctx.family,
        tier=tier,
        specialty=None if tier == 3 else callback_data.kind,
        category="violence_safety" if tier == 3 else "other",
        urgency="emergency" if tier == 3 else "routine",
        route="crisis_centre" if tier == 3 else "consultant",
        source="menu",
        summary={},
    )
    await request_handed_off(
        call, case, session=session, catalog=catalog, ctx=ctx, settings=settings, desk_chats=desk_chats
    )


async def request_handed_off(
    call: CallbackQuery,
    case: Case,
    *,
    session: AsyncSession,
    catalog: Catalog,
    ctx: UserContext,
    settings: Settings,
    desk_chats: DeskChats,
    back: list | None = None,
) -> None:
    """After a request is recorded: open its topic and tell the family what to expect."""
    await hand_off(session, case, desk_chats)
    await session.commit()  # the request is safe before the family is told; the write lock is free meanwhile
    text = await expectations_text(session, case, catalog, ctx, settings)
    await show(call, text, family_kb(ctx, *([back] if back else [])))


# --- my requests ---------------------------------------------------------------------------------------


@router.callback_query(Nav.filter(F.to == "requests"))
async def my_requests(call: CallbackQuery, ctx: UserContext, session: AsyncSession) -> None:
    await call.answer()
    if not ctx.consented:
        await show(call, _("You have no requests yet."), family_kb(ctx))
        return
    rows = await cases.recent_of_family(session, ctx.family.id)
    things = await aid.open_of_family(session, ctx.family.id)
    if not rows and not things:
        await show(call, _("You have no requests yet."), family_kb(ctx))
        return
    await show(call, *(await requests_screen(session, rows, ctx, things)))


async def requests_screen(
    session: AsyncSession, rows: list[Case], ctx: UserContext, things: list[AidRequest] | None = None
):
    lines = [_("<b>Your requests</b>")]
    buttons: list[tuple[str, CallbackData]] = []
    for case in rows:
        line = _("№ {number} · {who} · {status}").format(
            number=case.id, who=case_who(case), status=status_label(case.status)
        )
        position = await desk.queue_position(session, case)
        if position is not None:
            line += " · " + _("place in the queue: {position}").format(position=position)
        lines.append(line)
        if case.status in cases.OPEN_STATUSES:
            buttons.append((_("Close № {number}").format(number=case.id), Req(case=case.id, a="close")))
        elif case.status == CaseStatus.CLOSED and case.family_id is not None:
            buttons.append((_("Reopen № {number}").format(number=case.id), Req(case=case.id, a="reopen")))
    things = things or []
    aid_rows = [aid_views.family_buttons(req) for req in things[:3]]
    lines += [aid_views.family_line(req) for req in things]
    return "\n".join(lines), family_kb(ctx, *chunk(buttons[:6], 2), *[r for r in aid_rows if r])


# --- settings and discreet mode (texts: bot/views/family.py) -------------------------------------------


@router.callback_query(Nav.filter(F.to == "settings"))
async def settings(call: CallbackQuery, ctx: UserContext, catalog: Catalog) -> None:
    await call.answer()
    await show(call, settings_text(ctx, catalog), settings_kb(ctx))


@router.callback_query(Setting.filter(F.name == "language"))
async def settings_language(call: CallbackQuery) -> None:
    from bot.views.callbacks import Lang
    from handlers.family.onboarding import LANGUAGE_NAMES

    await call.answer()
    await show(
        call,
        _("Choose the language of the bot."),
        kb([(name, Lang(code=code)) for code, name in LANGUAGE_NAMES.items()]),
    )


@router.callback_query(Setting.filter(F.name == "discreet"))
async def settings_discreet(call: CallbackQuery, ctx: UserContext) -> None:
    await call.answer()
    if not ctx.consented:
        await show(call, _("Discreet mode needs your consent to remember the setting."), family_kb(ctx))
        return
    on = ctx.family.discreet
    text = _(
        "<b>Discreet mode</b> is for those who worry that someone may see the chat.\n\n"
        "When it is on, our messages start with neutral words, notifications show nothing alarming, "
        "and every screen has a «Hide» button that closes it at once.\n\n"
        "To clear the chat: press and hold the chat in the list, choose «Delete» and «Also delete for the bot». "
        "You can also set a passcode in Telegram settings under «Privacy and Security»."
    )
    label = _("Turn off") if on else _("Turn on")
    await show(call, text, family_kb(ctx, [(label, Setting(name="discreet_off" if on else "discreet_on"))]))


@router.callback_query(Setting.filter(F.name.in_({"discreet_on", "discreet_off"})))
async def toggle_discreet(call: CallbackQuery, callback_data: Setting, ctx: UserContext) -> None:
    if not ctx.consented:
        await call.answer(_("This button no longer works."), show_alert=True)
        return
    ctx.family.discreet = callback_data.name == "discreet_on"
    await call.answer(_("Discreet mode is on.") if ctx.family.discreet else _("Discreet mode is off."))
    await show(call, main_menu_text(ctx), main_menu_kb(ctx))
