"""Texts and keyboards for answers to what a family typed (handlers/family/understand.py)."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.middlewares.context import UserContext
from bot.services.understanding import Guess
from bot.views.callbacks import Consent, Nav
from bot.views.family import family_kb, main_menu_kb
from bot.views.ui import Row


class Und(CallbackData, prefix="und"):
    a: str  # go: act on a guess · req: a request to a specialty
    k: str = ""  # go: the intent key with «:» written as «.»; req: the specialty


def pack_key(key: str) -> str:
    return key.replace(":", ".")


def unpack_key(value: str) -> str:
    return value.replace(".", ":", 1)


def small_talk_text(action: str, ctx: UserContext) -> str:
    if action == "greeting":
        text = _("Hello! Write your question in your own words, or choose a section below.")
    elif action == "thanks":
        text = _("You are welcome! We are glad to help. Write if you need anything else.")
    elif action == "bye":
        text = _("All the best! Write here at any time.")
    elif action == "about_bot":
        text = _(
            "I am the bot of «Family Window». I know the support measures for families, useful contacts and the "
            "family card, and I pass questions to specialists: a lawyer, a psychologist, a social consultant. "
            "Write your question in your own words or choose a section."
        )
    else:
        text = _("Good. If you need anything else, write or choose a section below.")
    return text


def small_talk_kb(ctx: UserContext) -> InlineKeyboardMarkup:
    return main_menu_kb(ctx)


def specialty_name(kind: str) -> str:
    return {
        "lawyer": _("a lawyer"),
        "psychologist": _("a psychologist"),
        "social_consultant": _("a social consultant"),
        "crisis": _("the crisis centre"),
    }.get(kind, _("a specialist"))


def write_to_label(kind: str) -> str:
    return {
        "lawyer": _("Write to a lawyer"),
        "psychologist": _("Write to a psychologist"),
        "social_consultant": _("Write to a specialist"),
        "crisis": _("Connect me to the crisis centre"),
    }.get(kind, _("Write to a specialist"))


def ask_specialist_row() -> Row:
    return [(_("Ask a specialist"), Und(a="req", k="social_consultant"))]


def suggest_text(kind: str) -> str:
    return _(
        "Such questions are best answered by {who}: they will look at your situation. "
        "Shall we pass your question on? You can also call the contacts in the menu."
    ).format(who=specialty_name(kind))


def suggest_kb(ctx: UserContext, kind: str) -> InlineKeyboardMarkup:
    return family_kb(ctx, [(write_to_label(kind), Und(a="req", k=kind))])


def consent_needed_text(kind: str) -> str:
    return _(
        "To pass your question to {who} we need your consent to store your messages. "
        "Without it you can still read the information and call the hotlines."
    ).format(who=specialty_name(kind))


def consent_needed_kb(ctx: UserContext) -> InlineKeyboardMarkup:
    return family_kb(ctx, [(_("Read and agree"), Consent(action="ask"))])


def unclear_text(has_guesses: bool) -> str:
    if has_guesses:
        return _("I am not sure I understood you. Did you mean one of these? Or write to a specialist.")
    return _(
        "I am not sure I understood you. Please write in other words, choose a section in the menu, "
        "or write to a specialist: a person will answer."
    )


def unclear_kb(ctx: UserContext, guesses: list[Guess]) -> InlineKeyboardMarkup:
    rows: list[Row] = [
        [(g.title.get(ctx.locale) if g.title else g.key, Und(a="go", k=pack_key(g.key)))]
        for g in guesses
        if len(Und(a="go", k=pack_key(g.key)).pack().encode()) <= 64  # Telegram's limit for callback data
    ]
    rows.append([(_("Write to a specialist"), Und(a="req", k="social_consultant"))])
    return family_kb(ctx, *rows)


def card_text() -> str:
    return _(
        "<b>Family card</b>\n\nOpen the section to see your family card and the offers of partner "
        "organisations."
    )


def card_kb(ctx: UserContext) -> InlineKeyboardMarkup:
    return family_kb(ctx, [(_("Family card"), Nav(to="card"))])


def contacts_heading(kind_label: str | None) -> str:
    if kind_label:
        return _("<b>{kind}</b>: contacts, your region first.").format(kind=kind_label)
    return _("<b>Where to turn</b>: contacts, your region first.")


def contacts_kb(ctx: UserContext) -> InlineKeyboardMarkup:
    return family_kb(ctx, [(_("Other kinds of help"), Nav(to="contacts"))])
