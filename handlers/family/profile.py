"""The family profile: one-tap questions, each skippable and editable later. Asked once, reused everywhere."""

from __future__ import annotations

from datetime import date

from aiogram import F, Router
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.middlewares.context import UserContext
from bot.services import families
from bot.services.profile import FIELDS, YES_NO_FIELDS, next_field
from handlers.callbacks import Consent, Nav, Prof
from handlers.family.common import family_kb
from handlers.ui import chunk, show

router = Router(name="family.profile")

MAX_CHILDREN_ASKED = 6


def question(field: str, index: int = 0) -> str:
    if field == "children_count":
        return _("How many children are there in your family (including adult children living with you)?")
    if field == "children_birth_years":
        return _("Child {n}: year of birth?").format(n=index + 1)
    return {
        "pregnant": _("Is anyone in the family pregnant now?"),
        "child_disability": _("Is there a child with a disability in the family?"),
        "single_parent": _("Are you raising the children alone?"),
        "large_family": _("Does your family have the official status of a large family (многодетная)?"),
        "guardian": _("Are you a guardian or a foster family?"),
        "low_income": _("Is the family's income below the subsistence minimum, as far as you know?"),
        "military": _(
            "Is a family member serving in the military, including the special military operation?"
        ),
    }[field]


def field_title(field: str) -> str:
    return {
        "children_count": _("Children"),
        "children_birth_years": _("Years of birth"),
        "pregnant": _("Pregnancy"),
        "child_disability": _("Child with a disability"),
        "single_parent": _("Single parent"),
        "large_family": _("Large family status"),
        "guardian": _("Guardian or foster family"),
        "low_income": _("Low income"),
        "military": _("Military family"),
    }[field]


def answer_label(field: str, value: object) -> str:
    if value is None:
        return "—"
    if field in YES_NO_FIELDS:
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    return str(value)


def question_kb(ctx: UserContext, field: str, mode: str, index: int = 0):
    skip = [(_("Skip"), Prof(f=field, v="skip", m=mode, i=index))]
    if field == "children_count":
        rows = [
            [(str(n), Prof(f=field, v=str(n), m=mode)) for n in range(0, 4)],
            [(str(n), Prof(f=field, v=str(n), m=mode)) for n in range(4, 7)],
        ]
        rows[-1][-1] = ("6+", Prof(f=field, v="6", m=mode))
        return family_kb(ctx, *rows, skip, back=False)
    if field == "children_birth_years":
        this_year = date.today().year
        years = [
            (str(y), Prof(f=field, v=str(y), m=mode, i=index)) for y in range(this_year, this_year - 18, -1)
        ]
        older = [(_("Older"), Prof(f=field, v="older", m=mode, i=index))]
        return family_kb(ctx, *chunk(years, 6), older + skip, back=False)
    return family_kb(
        ctx,
        [(_("Yes"), Prof(f=field, v="yes", m=mode)), (_("No"), Prof(f=field, v="no", m=mode))],
        skip,
        back=False,
    )


async def ask(call: CallbackQuery, ctx: UserContext, field: str, mode: str, index: int = 0) -> None:
    await show(call, question(field, index), question_kb(ctx, field, mode, index))


def profile_text(profile: dict) -> str:
    lines = [
        _("<b>Family profile</b>"),
        _("We use it to suggest support measures and so you are not asked twice."),
    ]
    for field in FIELDS:
        lines.append(f"{field_title(field)}: {answer_label(field, profile.get(field))}")
    return "\n".join(lines)


def profile_kb(ctx: UserContext):
    buttons = [(field_title(f), Prof(f=f, v="ask", m="e")) for f in FIELDS if f != "children_birth_years"]
    return family_kb(ctx, *chunk(buttons, 2), [(_("Answer all questions again"), Nav(to="profile_walk"))])


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


def parse_answer(field: str, value: str, index: int, profile: dict) -> dict:
    if value == "skip":
        return {field: None} if field != "children_birth_years" else {}
    if field == "children_count":
        count = int(value)
        if not 0 <= count <= MAX_CHILDREN_ASKED:
            raise ValueError(value)
        years = list(profile.get("children_birth_years") or [])[:count]
        return {"children_count": count, "children_birth_years": years or None}
    if field == "children_birth_years":
        years = list(profile.get("children_birth_years") or [])
        year = 0 if value == "older" else int(value)
        if year and not date.today().year - 30 <= year <= date.today().year:
            raise ValueError(value)
        while len(years) <= index:
            years.append(None)
        years[index] = year or None
        return {"children_birth_years": years}
    if value not in ("yes", "no"):
        raise ValueError(value)
    return {field: value == "yes"}
