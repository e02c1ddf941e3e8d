"""The family profile as people see it: its questions, field titles and answer labels (also on the case card)."""

from __future__ import annotations

from datetime import date

from aiogram.utils.i18n import gettext as _

from bot.middlewares.context import UserContext
from bot.services.profile import FIELDS, YES_NO_FIELDS
from bot.views.callbacks import Nav, Prof
from bot.views.family import family_kb
from bot.views.ui import chunk


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
