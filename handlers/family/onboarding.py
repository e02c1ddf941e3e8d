"""First contact: greeting, language, consent (152-ФЗ), region."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.markdown import html_decoration as hd

from bot.config import SUPPORTED_LOCALES
from bot.db.session import AsyncSession
from bot.i18n import locale_scope
from bot.middlewares.context import UserContext
from bot.services import families
from bot.services.catalog import Catalog
from bot.views.callbacks import Consent, Lang, Nav, Region
from bot.views.family import family_kb, main_menu_kb, main_menu_text
from bot.views.ui import chunk, kb, show
from handlers.family.common import end_flow
from handlers.family.consent import needs_reconsent

router = Router(name="family.onboarding")

LANGUAGE_NAMES = {"ru": "Русский", "en": "English"}


def greeting_text() -> str:
    return _(
        "Hello! This is <b>«Family Window»</b>, the family line of your regional Family Resource Centre.\n\n"
        "Here you can find out which support measures your family is entitled to, get advice from a lawyer, "
        "a psychologist or a social consultant, and find help in a difficult situation. It is free.\n\n"
        "<b>If you or your children are in danger right now, call 112.</b>"
    )


def greeting_kb(locale: str):
    other = [code for code in SUPPORTED_LOCALES if code != locale]
    return kb(
        [(_("Continue"), Consent(action="ask"))],
        [(LANGUAGE_NAMES[code], Lang(code=code)) for code in other],
    )


@router.message(CommandStart())
async def start(message: Message, state: FSMContext, ctx: UserContext) -> None:
    await end_flow(state)
    if ctx.consented:
        text = _("Welcome back.") + "\n\n" + main_menu_text(ctx)
        await message.answer(text, reply_markup=main_menu_kb(ctx))
        return
    await message.answer(greeting_text(), reply_markup=greeting_kb(ctx.locale))


@router.message(Command("language"))
async def language_cmd(message: Message, ctx: UserContext) -> None:
    await message.answer(
        _("Choose the language of the bot."),
        reply_markup=kb([(name, Lang(code=code)) for code, name in LANGUAGE_NAMES.items()]),
    )


@router.callback_query(Lang.filter())
async def set_language(
    call: CallbackQuery,
    callback_data: Lang,
    state: FSMContext,
    ctx: UserContext,
    session: AsyncSession,
    i18n: I18n,
) -> None:
    code = callback_data.code
    if code not in SUPPORTED_LOCALES:
        await call.answer(_("This button no longer works."), show_alert=True)
        return
    if ctx.family is not None:
        await families.set_language(session, ctx.family, code)
    await state.update_data(lang=code)
    ctx.locale = code
    with locale_scope(i18n, code):
        await call.answer(_("Language: English"))
        if ctx.consented:
            await show(call, main_menu_text(ctx), main_menu_kb(ctx))
        else:
            await show(call, greeting_text(), greeting_kb(code))


def consent_text(catalog: Catalog, locale: str) -> str:
    return catalog.privacy_consent_text(locale) + "\n\n" + _("Do you agree?")


@router.callback_query(Consent.filter(F.action == "ask"))
async def ask_consent(call: CallbackQuery, ctx: UserContext, catalog: Catalog) -> None:
    await call.answer()
    await show(
        call,
        consent_text(catalog, ctx.locale),
        kb(
            [(_("I agree"), Consent(action="yes")), (_("Not now"), Consent(action="later"))],
            [(_("Full privacy notice"), Consent(action="notice"))],
        ),
    )


@router.message(Command("privacy"))
async def privacy_cmd(message: Message, ctx: UserContext, catalog: Catalog) -> None:
    await message.answer(catalog.privacy_full_text(ctx.locale), reply_markup=family_kb(ctx))


@router.callback_query(Consent.filter(F.action == "notice"))
async def notice(call: CallbackQuery, ctx: UserContext, catalog: Catalog) -> None:
    await call.answer()
    if needs_reconsent(ctx, catalog):
        rows = [[(_("I agree"), Consent(action="yes"))]]
    elif ctx.consented:
        rows = []
    else:
        rows = [[(_("I agree"), Consent(action="yes")), (_("Not now"), Consent(action="later"))]]
    await show(call, catalog.privacy_full_text(ctx.locale), family_kb(ctx, *rows))


@router.callback_query(Consent.filter(F.action == "yes"))
async def consent_yes(
    call: CallbackQuery, ctx: UserContext, session: AsyncSession, catalog: Catalog, state: FSMContext
) -> None:
    ctx.family = await families.give_consent(
        session, call.from_user.id, language=ctx.locale, version=catalog.privacy_version
    )
    await call.answer(_("Thank you. Consent saved."))
    if ctx.family.region:
        await show(call, main_menu_text(ctx), main_menu_kb(ctx))
        return
    await show(
        call,
        _("Which region do you live in? We will show the contacts and help available there."),
        region_kb(catalog, ctx.locale),
    )


@router.callback_query(Consent.filter(F.action == "later"))
async def consent_later(call: CallbackQuery, ctx: UserContext) -> None:
    await call.answer()
    text = _(
        "All right. You can still read about support measures, contacts and hotlines, and get urgent help. "
        "We store nothing about you. You can agree later in «Settings»."
    )
    await show(call, text + "\n\n" + main_menu_text(ctx), main_menu_kb(ctx))


def region_kb(catalog: Catalog, locale: str):
    buttons = [(r.name.get(locale), Region(code=r.code)) for r in catalog.regions]
    return kb(*chunk(buttons, 2))


@router.callback_query(Nav.filter(F.to == "region"))
async def ask_region(call: CallbackQuery, ctx: UserContext, catalog: Catalog) -> None:
    await call.answer()
    await show(call, _("Choose your region."), region_kb(catalog, ctx.locale))


@router.callback_query(Region.filter())
async def set_region(
    call: CallbackQuery, callback_data: Region, ctx: UserContext, session: AsyncSession, catalog: Catalog
) -> None:
    region = catalog.region(callback_data.code)
    if region is None:
        await call.answer(_("This button no longer works."), show_alert=True)
        return
    if not ctx.consented:
        await call.answer()
        await show(
            call,
            consent_text(catalog, ctx.locale),
            kb([(_("I agree"), Consent(action="yes")), (_("Not now"), Consent(action="later"))]),
        )
        return
    await families.set_region(session, ctx.family, region.code)
    await call.answer(_("Region saved."))
    note = catalog.federal_line_note(region.code, ctx.locale)
    text = _("Region: <b>{region}</b>.").format(region=region.name.get(ctx.locale))
    if note:
        text += "\n" + hd.quote(note)
    text += "\n\n" + _(
        "You can tell us a little about your family so that we can suggest the right support measures. "
        "It takes a minute, and every question can be skipped."
    )
    await show(
        call,
        text,
        kb(
            [(_("Tell about the family"), Nav(to="profile_walk"))],
            [(_("Later, to the menu"), Nav(to="menu"))],
        ),
    )
