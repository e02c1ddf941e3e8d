"""The family profile: one-tap questions, each skippable and editable later. Asked once, reused everywhere."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _

from bot.db.session import AsyncSession
from bot.middlewares.context import UserContext
from bot.services import families
from bot.services.profile import FIELDS, MAX_CHILDREN_ASKED, next_field, parse_answer
from bot.views.callbacks import Consent, Nav, Prof
from bot.views.family import family_kb
from bot.views.profile import profile_kb, profile_text, question, question_kb
from bot.views.ui import show

router = Router(name="family.profile")


async def ask(call: CallbackQuery, ctx: UserContext, field: str, mode: str, index: int = 0) -> None:
    await show(call, question(field, index), question_kb(ctx, field, mode, index))


async def needs_consent(call: CallbackQuery, ctx: UserContext) -> bool:
    if ctx.consented:
        return False
    await call.answer()
    await show(
        call,
        _("To remember your answers we need your consent to store them."),
        family_kb(ctx, [(_("Read and agree"), Consent(action="ask"))]),
    )
    return True


@router.callback_query(Nav.filter(F.to == "profile"))
async def profile(call: CallbackQuery, ctx: UserContext) -> None:
    if await needs_consent(call, ctx):
        return
    await call.answer()
    await show(call, profile_text(ctx.family.profile or {}), profile_kb(ctx))


@router.callback_query(Nav.filter(F.to == "profile_walk"))
async def walk(call: CallbackQuery, ctx: UserContext) -> None:
    if await needs_consent(call, ctx):
        return
    await call.answer()
    await ask(call, ctx, FIELDS[0], "w")


@router.callback_query(Prof.filter())
async def answer(call: CallbackQuery, callback_data: Prof, ctx: UserContext, session: AsyncSession) -> None:
    if await needs_consent(call, ctx):
        return
    field, value, mode, index = callback_data.f, callback_data.v, callback_data.m, callback_data.i
    if field not in FIELDS or mode not in ("w", "e") or not 0 <= index < MAX_CHILDREN_ASKED:
        await call.answer(_("This button no longer works."), show_alert=True)
        return
    if value == "ask":
        await call.answer()
        await ask(call, ctx, field, mode)
        return
    profile = ctx.family.profile or {}
    try:
        changes = parse_answer(field, value, index, profile)
    except ValueError:
        await call.answer(_("This button no longer works."), show_alert=True)
        return
    profile = await families.update_profile(session, ctx.family, **changes)
    await call.answer(_("Saved"))
    nxt = next_field(field, index, profile, walk=mode == "w")
    if nxt is None:
        text = profile_text(profile)
        if mode == "w":
            text = _("Thank you, the profile is saved. You can change any answer here.") + "\n\n" + text
        await show(call, text, profile_kb(ctx))
        return
    await ask(call, ctx, nxt[0], mode, nxt[1])
