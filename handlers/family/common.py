"""Screens and keyboards shared by the family-side handlers."""

from __future__ import annotations

from aiogram.fsm.context import FSMContext
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.middlewares.context import UserContext
from handlers.callbacks import Nav
from handlers.ui import Row, kb

# FSM data keys that outlive a flow (the pre-consent language choice).
KEEP_KEYS = ("lang",)


async def end_flow(state: FSMContext) -> None:
    """Leave any flow but keep what must survive it (never `state.clear()`: it would forget the language)."""
    data = await state.get_data()
    await state.set_state(None)
    await state.set_data({k: data[k] for k in KEEP_KEYS if k in data})


def discreet(ctx: UserContext | None) -> bool:
    return bool(ctx and ctx.family and ctx.family.discreet)


def family_kb(ctx: UserContext | None, *rows: Row, back: bool = True) -> InlineKeyboardMarkup:
    """A keyboard with the way back to the menu, and «Скрыть» for families in discreet mode."""
    extra: list[Row] = []
    if back:
        extra.append([(_("« Menu"), Nav(to="menu"))])
    if discreet(ctx):
        extra[-1:] = [[*(extra[-1] if extra else []), (_("Hide"), Nav(to="hide"))]]
    return kb(*rows, *extra)


def main_menu_text(ctx: UserContext) -> str:
    if discreet(ctx):
        return _("Menu. Choose a section.")
    lines = [_("<b>How can we help?</b> Choose a section below.")]
    if not ctx.consented:
        lines.append(
            _(
                "You have not given consent to store your data, so you can read everything, "
                "but we cannot open a request to a specialist yet."
            )
        )
    lines.append(_("In danger right now? Call <b>112</b>."))
    return "\n\n".join(lines)


def main_menu_kb(ctx: UserContext) -> InlineKeyboardMarkup:
    rows: list[Row] = [
        [(_("What happened"), Nav(to="triage")), (_("Support measures"), Nav(to="measures"))],
        [(_("Talk to a specialist"), Nav(to="specialist")), (_("Urgent help"), Nav(to="urgent"))],
        [(_("Family card"), Nav(to="card")), (_("Contacts"), Nav(to="contacts"))],
        [(_("My requests"), Nav(to="requests")), (_("Settings"), Nav(to="settings"))],
        [(_("How is your family?"), Nav(to="checkin"))],
    ]
    if discreet(ctx):
        rows.append([(_("Hide"), Nav(to="hide"))])
    return kb(*rows)
