"""Buttons on announcements, on the family's side: opt out in one tap, answer the question, show (discreet)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _

from bot.broadcaster import send_content
from bot.db.session import AsyncSession
from bot.middlewares.context import UserContext
from bot.services import broadcasts as bc
from bot.services.catalog import Catalog
from bot.views.callbacks import BcFamily, Setting
from bot.views.coordinators import family_markup
from bot.views.ui import kb, show

router = Router(name="coordinators.family")
router.callback_query.filter(F.message.chat.type == "private")


@router.callback_query(BcFamily.filter())
async def family_tap(
    call: CallbackQuery, callback_data: BcFamily, ctx: UserContext | None, session: AsyncSession
) -> None:
    family = ctx.family if ctx is not None and ctx.consented else None
    if family is None:
        await call.answer(_("This is a preview: the buttons work for families."), show_alert=True)
        return
    a, broadcast_id = callback_data.a, callback_data.b
    if a == "off":
        await bc.opt_out(session, family, broadcast_id=broadcast_id)
        await call.answer()
        await call.message.answer(
            _("Done: we will not send you announcements any more. You can turn them back on in Settings."),
            reply_markup=kb([(_("Turn back on"), BcFamily(b=broadcast_id, a="on"))]),
        )
        return
    if a == "on":
        await bc.opt_in(session, family)
        await call.answer(_("Announcements are on again."))
        await show(call, _("Announcements are on again."))
        return
    if not await bc.was_sent_to(session, broadcast_id, family.id):
        await call.answer(_("This button no longer works."), show_alert=True)
        return
    if a == "ans":
        if await bc.answer(session, broadcast_id, family, callback_data.o):
            await call.answer(_("Thank you, your answer is counted."))
        else:
            await call.answer(_("This button no longer works."), show_alert=True)
        return
    if a == "show":
        broadcast = await bc.get(session, broadcast_id)
        await call.answer()
        if broadcast is None:
            return
        markup = family_markup(broadcast.id, broadcast.content, broadcast.poll, discreet=False)
        await send_content(call.bot, call.message.chat.id, broadcast.content, markup)
        return
    await call.answer(_("This button no longer works."), show_alert=True)


@router.callback_query(Setting.filter(F.name == "broadcasts"))
async def toggle(call: CallbackQuery, ctx: UserContext, session: AsyncSession, catalog: Catalog) -> None:
    from bot.views.family import settings_kb, settings_text

    if not ctx.consented:
        await call.answer(_("This button no longer works."), show_alert=True)
        return
    if ctx.family.broadcasts_off:
        await bc.opt_in(session, ctx.family)
        await call.answer(_("Announcements are on."))
    else:
        await bc.opt_out(session, ctx.family, broadcast_id=None)
        await call.answer(_("Announcements are off."))
    await show(call, settings_text(ctx, catalog), settings_kb(ctx))
