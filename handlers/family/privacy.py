"""/mydata and /forget: the person's own data, on request — the family's and, for a volunteer of the centre, the
volunteer's (one person may be both; either may be alone)."""

from __future__ import annotations

import json

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import BaseStorage
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.config import Settings
from bot.db.models import Volunteer
from bot.db.session import AsyncSession
from bot.fsm_storage import SqlStorage
from bot.i18n import locale_scope
from bot.middlewares.context import UserContext
from bot.notify import tell_of_erased_volunteer
from bot.services import privacy, volunteers
from bot.views import volunteers as volunteer_views
from bot.views.callbacks import Setting
from bot.views.family import family_kb
from bot.views.ui import kb, show

router = Router(name="family.privacy")


def summary_text(data: dict) -> str:
    profile = data["profile"]
    return "\n".join(
        [
            _("<b>What we keep about you</b>"),
            _("Your number with us: {number}").format(number=data["family_number"]),
            _("Consent given: {date}").format(date=(data["consent"]["given_at"] or "—")[:10]),
            _("Region: {region}").format(region=data["region"] or "—"),
            _("Profile answers: {count}").format(count=len(profile)),
            _("Requests: {count}").format(count=len(data["requests"])),
            "",
            _("The full copy is in the file above. To erase everything, send /forget."),
        ]
    )


@router.message(Command("mydata"))
async def mydata(message: Message, ctx: UserContext, session: AsyncSession, state: FSMContext) -> None:
    vol = await volunteers.by_tg(session, message.from_user.id)
    if not ctx.consented and vol is None:
        data = await state.get_data()
        await message.answer(
            _(
                "We keep nothing about you: you have not given consent. "
                "Only your choice of language is remembered while you use the bot: {lang}."
            ).format(lang=data.get("lang") or ctx.locale),
            reply_markup=family_kb(ctx),
        )
        return
    data = await privacy.export(session, ctx.family) if ctx.consented else {}
    if vol is not None:
        data["volunteer"] = await volunteers.export(session, vol)
    raw = json.dumps(data, ensure_ascii=False, indent=2).encode()
    await message.answer_document(BufferedInputFile(raw, filename="my-data.json"))
    lines = [summary_text(data)] if ctx.consented else []
    if vol is not None:
        lines.append(volunteer_views.data_summary(vol, len(data["volunteer"]["tasks"])))
    await message.answer("\n\n".join(lines), reply_markup=family_kb(ctx))


@router.message(Command("forget"))
async def forget(message: Message, ctx: UserContext, session: AsyncSession) -> None:
    await ask_forget(message, ctx, await volunteers.by_tg(session, message.from_user.id))


@router.callback_query(Setting.filter(F.name == "forget"))
async def forget_cb(call: CallbackQuery, ctx: UserContext, session: AsyncSession) -> None:
    await call.answer()
    await ask_forget(call, ctx, await volunteers.by_tg(session, call.from_user.id))


async def ask_forget(event: Message | CallbackQuery, ctx: UserContext, vol: Volunteer | None) -> None:
    if not ctx.consented and vol is None:
        await show(event, _("We keep nothing about you, so there is nothing to erase."), family_kb(ctx))
        return
    parts = [_("<b>Erase your data?</b>")]
    if ctx.consented:
        parts.append(
            _(
                "We will delete your profile, region, consent, your requests' texts and answers, and settings. "
                "Requests remain only as anonymous numbers for statistics, with nothing that points to you."
            )
        )
    if vol is not None:
        parts.append(volunteer_views.erase_warning())
    parts.append(_("This cannot be undone."))
    await show(
        event,
        "\n\n".join(parts),
        kb([(_("Yes, erase"), Setting(name="forget_yes"))], [(_("No, keep"), Setting(name="forget_no"))]),
    )


@router.callback_query(Setting.filter(F.name == "forget_no"))
async def forget_no(call: CallbackQuery, ctx: UserContext) -> None:
    await call.answer()
    await show(call, _("Nothing was erased."), family_kb(ctx))


@router.callback_query(Setting.filter(F.name == "forget_yes"))
async def forget_yes(
    call: CallbackQuery,
    ctx: UserContext,
    session: AsyncSession,
    state: FSMContext,
    fsm_storage: BaseStorage,
    i18n: I18n,
    settings: Settings,
) -> None:
    vol = await volunteers.by_tg(session, call.from_user.id)
    if not ctx.consented and vol is None:
        await call.answer(_("This button no longer works."), show_alert=True)
        return
    if ctx.consented:
        await erase_family(call, ctx, session, state, fsm_storage, i18n, settings, action="family.erased")
    else:
        await call.answer()
    if vol is not None:
        vol_id = vol.id
        still_open = await privacy.erase_volunteer(session, vol)
        await session.commit()
        await tell_of_erased_volunteer(call.bot, session, settings, vol_id, still_open)
    await show(
        call,
        _(
            "Your data is erased. If you write again, we will start from the beginning. Take care of yourself."
        ),
        None,
    )


async def erase_family(
    call: CallbackQuery,
    ctx: UserContext,
    session: AsyncSession,
    state: FSMContext,
    fsm_storage: BaseStorage,
    i18n: I18n,
    settings: Settings,
    *,
    action: str,
) -> None:
    with locale_scope(i18n, settings.default_locale):  # the staff groups share one language
        note = _(
            "The family has erased its data. This request is closed; the family can no longer be reached here. "
            "The bot keeps nothing of the family and deletes the family's messages it relayed into the "
            "operators' topics; staff replies and notes stay."
        )
    await privacy.erase(session, ctx.family, staff_note=note, action=action)
    ctx.family = None
    await state.set_state(None)
    await state.set_data({})
    if isinstance(fsm_storage, SqlStorage):
        await fsm_storage.forget_user(call.from_user.id)
    await call.answer()


# --- withdrawing consent -------------------------------------------------------------------------------------
# Without consent the law leaves us no ground to keep the data (152-ФЗ, art. 9 and 21): withdrawing consent
# erases it, exactly like /forget, and is recorded as a withdrawal. Information and hotlines keep working.


@router.message(Command("withdraw"))
async def withdraw(message: Message, ctx: UserContext) -> None:
    await ask_withdraw(message, ctx)


@router.callback_query(Setting.filter(F.name == "withdraw"))
async def withdraw_cb(call: CallbackQuery, ctx: UserContext) -> None:
    await call.answer()
    await ask_withdraw(call, ctx)


async def ask_withdraw(event: Message | CallbackQuery, ctx: UserContext) -> None:
    if not ctx.consented:
        await show(event, _("You have not given consent, so there is nothing to withdraw."), family_kb(ctx))
        return
    text = _(
        "<b>Withdraw your consent?</b>\n\n"
        "Without your consent we may not keep your data, so we will erase it: profile, region, "
        "your requests' texts and answers, the family card and settings. Open requests will be closed. "
        "Information about support measures and helpline numbers stay available."
    )
    await show(
        event,
        text,
        kb(
            [(_("Yes, withdraw"), Setting(name="withdraw_yes"))],
            [(_("No, keep"), Setting(name="forget_no"))],
        ),
    )


@router.callback_query(Setting.filter(F.name == "withdraw_yes"))
async def withdraw_yes(
    call: CallbackQuery,
    ctx: UserContext,
    session: AsyncSession,
    state: FSMContext,
    fsm_storage: BaseStorage,
    i18n: I18n,
    settings: Settings,
) -> None:
    if not ctx.consented:
        await call.answer(_("This button no longer works."), show_alert=True)
        return
    await erase_family(call, ctx, session, state, fsm_storage, i18n, settings, action="consent.withdrawn")
    await show(
        call,
        _(
            "Your consent is withdrawn and your data is erased. Information and helpline numbers still work: "
            "send /menu. If you are in danger, call 112."
        ),
        None,
    )
