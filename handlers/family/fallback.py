"""Anything the flows did not expect gets a polite, useful answer — never silence, never a crash."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.middlewares.context import UserContext
from bot.views.callbacks import Nav
from bot.views.family import family_kb, main_menu_kb, main_menu_text
from bot.views.ui import kb, show

router = Router(name="family.fallback")


@router.message(F.text.startswith("/"))
async def unknown_command(message: Message, ctx: UserContext) -> None:
    await message.answer(
        _("We do not know this command. Here is what the bot can do:") + "\n\n" + main_menu_text(ctx),
        reply_markup=main_menu_kb(ctx),
    )


@router.message(F.text)
async def free_text(message: Message, state: FSMContext, ctx: UserContext) -> None:
    if await state.get_state() is not None:
        await message.answer(
            _("Please answer with the buttons above, or open the menu to start again."),
            reply_markup=kb([(_("« Menu"), Nav(to="menu"))]),
        )
        return
    text = _(
        "Thank you for writing. To find the right help, please choose what happened, "
        "or ask a specialist from the menu."
    )
    await message.answer(
        text,
        reply_markup=family_kb(
            ctx, [(_("What happened"), Nav(to="triage")), (_("Talk to a specialist"), Nav(to="specialist"))]
        ),
    )


@router.message()
async def other_content(message: Message, ctx: UserContext, state: FSMContext) -> None:
    """Stickers, voice, photos, documents, contacts… An album gets one answer, not one per item.
    (A location is answered before this, with the nearest places: handlers/family/places.py.)"""
    if message.media_group_id:
        if (await state.get_data()).get("album_answered") == message.media_group_id:
            return
        await state.update_data(album_answered=message.media_group_id)
    if message.sticker or message.animation:
        text = _("Thank you. We answer text and buttons here.")
    elif message.voice or message.video_note or message.audio:
        text = _(
            "We cannot listen to voice messages in this part of the bot yet. "
            "Please write in text, or choose a section in the menu."
        )
    else:
        text = _(
            "We have received the file, but we can only pass files to a specialist inside a request. "
            "Choose «Talk to a specialist» in the menu."
        )
    await message.answer(text, reply_markup=main_menu_kb(ctx))


@router.callback_query()
async def stale_button(call: CallbackQuery, ctx: UserContext) -> None:
    """Old buttons from earlier screens and forged callback data."""
    await call.answer(_("This button no longer works."))
    await show(call, main_menu_text(ctx), main_menu_kb(ctx))


@router.edited_message()
async def edited(message: Message) -> None:
    """An edit outside a request needs no answer (the crisis check above has already read it)."""
