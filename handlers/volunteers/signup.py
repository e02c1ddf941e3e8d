"""Offering to volunteer: the volunteer's own consent notice, region, city, what they can do, when. The
coordinators are told at once and approve or decline with buttons."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _

from bot.config import Settings
from bot.db.session import AsyncSession
from bot.i18n import locale_scope
from bot.middlewares.context import UserContext
from bot.notify import notify_coordinators
from bot.services import volunteers
from bot.services.catalog import Catalog
from bot.views import volunteers as views
from bot.views.callbacks import Nav, VolSign, VolSignAction
from bot.views.coordinators import region_name
from bot.views.ui import show
from handlers.choices import toggle_choice

router = Router(name="volunteers.signup")


class VolFlow(StatesGroup):
    consent = State()
    region = State()
    city = State()
    skills = State()
    when = State()


async def _begin(
    event: Message | CallbackQuery, state: FSMContext, ctx: UserContext, session: AsyncSession
) -> None:
    vol = await volunteers.by_tg(session, ctx.user.id)
    if vol is not None and vol.status != "declined":
        await show(event, views.already_text(vol))
        return
    await state.set_state(VolFlow.consent)
    await show(event, views.consent_text(), views.consent_kb())


@router.message(Command("volunteer"))
async def volunteer_cmd(message: Message, state: FSMContext, ctx: UserContext, session: AsyncSession) -> None:
    await _begin(message, state, ctx, session)


@router.callback_query(Nav.filter(F.to == "volunteer"))
@router.callback_query(VolSign.filter(F.a == VolSignAction.START))
async def volunteer_cb(
    call: CallbackQuery, state: FSMContext, ctx: UserContext, session: AsyncSession
) -> None:
    await call.answer()
    await _begin(call, state, ctx, session)


@router.callback_query(VolFlow.consent, VolSign.filter(F.a == VolSignAction.AGREE))
async def agreed(call: CallbackQuery, state: FSMContext, ctx: UserContext, catalog: Catalog) -> None:
    await call.answer()
    await state.update_data(vol_consent=volunteers.CONSENT_VERSION)
    await state.set_state(VolFlow.region)
    await show(call, views.region_text(), views.region_kb(catalog, ctx.locale))


@router.callback_query(VolFlow.region, VolSign.filter(F.a == VolSignAction.REGION))
async def region(call: CallbackQuery, callback_data: VolSign, state: FSMContext, catalog: Catalog) -> None:
    if catalog.region(callback_data.v) is None:
        await call.answer(_("This button no longer works."), show_alert=True)
        return
    await call.answer()
    await state.update_data(vol_region=callback_data.v)
    await state.set_state(VolFlow.city)
    await show(call, views.city_text())


@router.message(VolFlow.city, F.text, ~F.text.startswith("/"))
async def city(message: Message, state: FSMContext) -> None:
    await state.update_data(vol_city=(message.text or "").strip()[: volunteers.MAX_CITY], vol_skills=[])
    await state.set_state(VolFlow.skills)
    await message.answer(views.skills_text(), reply_markup=views.skills_kb([]))


@router.callback_query(VolFlow.skills, VolSign.filter(F.a == VolSignAction.SKILL))
async def skill(call: CallbackQuery, callback_data: VolSign, state: FSMContext) -> None:
    if callback_data.v not in volunteers.SKILLS:
        await call.answer(_("This button no longer works."), show_alert=True)
        return
    await call.answer()
    chosen = await toggle_choice(state, "vol_skills", callback_data.v)
    await show(call, views.skills_text(), views.skills_kb(chosen))


@router.callback_query(VolFlow.skills, VolSign.filter(F.a == VolSignAction.SKILLS_DONE))
async def skills_done(call: CallbackQuery, state: FSMContext) -> None:
    if not (await state.get_data()).get("vol_skills"):
        await call.answer(_("Choose at least one."), show_alert=True)
        return
    await call.answer()
    await state.set_state(VolFlow.when)
    await show(call, views.when_text())


@router.message(VolFlow.when, F.text, ~F.text.startswith("/"))
async def when(
    message: Message,
    state: FSMContext,
    ctx: UserContext,
    session: AsyncSession,
    catalog: Catalog,
    settings: Settings,
) -> None:
    data = await state.get_data()
    await state.set_state(None)
    await state.set_data({k: v for k, v in data.items() if not k.startswith("vol_")})
    if data.get("vol_consent") != volunteers.CONSENT_VERSION or not data.get("vol_region"):
        await message.answer(_("Something went wrong. Please start again: /volunteer"))
        return
    vol = await volunteers.sign_up(
        session,
        tg_user_id=ctx.user.id,
        name=ctx.user.full_name,
        language=ctx.locale,
        region=data["vol_region"],
        city=str(data.get("vol_city") or ""),
        skills=list(data.get("vol_skills") or []),
        availability=message.text or "",
    )
    await session.commit()  # the offer is safe before anyone is told
    await message.answer(views.signed_up_text())
    with locale_scope(get_i18n(), settings.default_locale):  # coordinators read the service's language
        text, markup = views.new_volunteer_note(
            vol, region_name(catalog, vol.region, settings.default_locale)
        )
    await notify_coordinators(message.bot, session, settings, text, markup)


@router.callback_query(VolSign.filter())
async def stale(call: CallbackQuery) -> None:
    await call.answer(_("This button no longer works."), show_alert=True)
