"""Volunteers: the offer to help (with the volunteer's own consent notice), the coordinators' list and card,
«Мои задания». User text is always escaped."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import get_i18n, ngettext
from aiogram.utils.i18n import gettext as _
from aiogram.utils.markdown import html_decoration as hd

from bot.db.models import AidRequest, Assignment, Event, Volunteer
from bot.db.statuses import AssignmentStatus, VolunteerStatus
from bot.services import volunteers
from bot.services.catalog import Catalog
from bot.views import events as event_views
from bot.views.aid import items_text, task_status_label
from bot.views.callbacks import VolDesk, VolDeskAction, VolSign, VolSignAction, VolTask, VolTaskAction
from bot.views.ui import Row, chunk, kb


def skill_label(key: str) -> str:
    return {
        "drive": _("Drive (a car)"),
        "children": _("Sit with children"),
        "sort": _("Collect and sort things"),
        "legal": _("Legal help (as a professional)"),
        "psych": _("Psychological help (as a professional)"),
        "repairs": _("Repairs"),
        "it": _("IT"),
        "other": _("Something else"),
    }.get(key, key)


def skill_labels() -> dict[str, str]:
    return {k: skill_label(k) for k in volunteers.SKILLS}


def status_label(status: str) -> str:
    labels: dict[str, str] = {
        VolunteerStatus.APPLIED: _("waiting for a coordinator"),
        VolunteerStatus.APPROVED: _("approved"),
        VolunteerStatus.DECLINED: _("declined"),
        VolunteerStatus.PAUSED: _("on a pause"),
    }
    return labels.get(status, status)


# --- offering to help ------------------------------------------------------------------------------------------


def consent_text() -> str:
    return _(
        "<b>Become a volunteer of the centre</b>\n\n"
        "Before you tell us about yourself, please read how we keep a volunteer's data.\n\n"
        "• We keep your Telegram account, your name in Telegram, region and city, what you can do and when.\n"
        "• Only the centre's coordinators see it, to approve you and to offer you tasks.\n"
        "• Families do not see your account: a coordinator arranges who meets whom.\n"
        "• Of a family you learn only what a task needs (what to bring, the city, the collection point).\n"
        "• You can pause at any time in «My tasks». /mydata sends you a copy of what we keep; /forget erases it, "
        "and your open tasks go back to the coordinators.\n\n"
        "Do you agree?"
    )


def consent_kb() -> InlineKeyboardMarkup:
    return kb([(_("I agree"), VolSign(a=VolSignAction.AGREE))])


def region_text() -> str:
    return _("In which region can you help?")


def region_kb(catalog: Catalog, locale: str) -> InlineKeyboardMarkup:
    buttons = [
        (r.name.get(locale), VolSign(a=VolSignAction.REGION, v=r.code))
        for r in catalog.regions
        if r.code != "other"
    ]
    return kb(*chunk(buttons, 1))


def city_text() -> str:
    return _("Which city or town? Write its name.")


def skills_text() -> str:
    return _("What can you do? Tap everything that fits, then «Next».")


def skills_kb(chosen: Sequence[str]) -> InlineKeyboardMarkup:
    buttons = [
        (("✓ " if k in chosen else "") + skill_label(k), VolSign(a=VolSignAction.SKILL, v=k))
        for k in volunteers.SKILLS
    ]
    rows: list[Row] = chunk(buttons, 2)
    if chosen:
        rows.append([(_("Next »"), VolSign(a=VolSignAction.SKILLS_DONE))])
    return kb(*rows)


def when_text() -> str:
    return _("When can you help? In one message: for example «weekday evenings, Saturdays».")


def signed_up_text() -> str:
    return _(
        "Thank you! Your offer is passed to the coordinators. When they approve it, you will get a message here, "
        "and tasks will appear in «My tasks» (/tasks)."
    )


def already_text(vol: Volunteer) -> str:
    return _("You are already a volunteer of the centre ({status}). Your tasks: /tasks").format(
        status=status_label(vol.status)
    )


def decided_note(vol: Volunteer) -> str:
    if vol.status == VolunteerStatus.APPROVED:
        return _(
            "Your offer to volunteer is approved. Thank you! Tasks will come here; all of them are in «My tasks» (/tasks)."
        )
    return _(
        "Thank you for your offer to volunteer. The coordinators cannot take it now. You can offer again later: /volunteer"
    )


# --- the coordinators' side ---------------------------------------------------------------------------------------


def volunteer_line(v: Volunteer, region: str) -> str:
    skills = ", ".join(skill_label(s) for s in v.skills)
    return _("#{id} {name} · {city}, {region} · {skills} · {when}").format(
        id=v.id,
        name=hd.quote(v.name or "—"),
        city=hd.quote(v.city),
        region=hd.quote(region),
        skills=skills,
        when=hd.quote(v.availability),
    )


def list_text(rows: Sequence[Volunteer], status: str, counts: dict[str, int], region_of) -> str:
    head = _("<b>Volunteers</b>: waiting {applied} · approved {approved} · on a pause {paused}").format(
        applied=counts.get("applied", 0), approved=counts.get("approved", 0), paused=counts.get("paused", 0)
    )
    lines = [head, _("Shown: {status}").format(status=status_label(status))]
    if not rows:
        lines.append(_("Nobody here."))
    lines += [volunteer_line(v, region_of(v.region)) for v in rows]
    return "\n".join(lines)


def list_kb(
    rows: Sequence[Volunteer], status: str, region: str, skill: str, regions: Sequence[tuple[str, str]]
) -> InlineKeyboardMarkup:
    opens = [
        (f"#{v.id}", VolDesk(id=v.id, a=VolDeskAction.OPEN, s=status, r=region, k=skill)) for v in rows[:12]
    ]
    statuses = [
        (
            ("✓ " if s == status else "") + status_label(s),
            VolDesk(id=0, a=VolDeskAction.LIST, s=s, r=region, k=skill),
        )
        for s in (VolunteerStatus.APPLIED, VolunteerStatus.APPROVED, VolunteerStatus.PAUSED)
    ]
    region_buttons = [
        (
            ("✓ " if region == "" else "") + _("All regions"),
            VolDesk(id=0, a=VolDeskAction.LIST, s=status, k=skill),
        )
    ]
    region_buttons += [
        (
            ("✓ " if region == code else "") + name,
            VolDesk(id=0, a=VolDeskAction.LIST, s=status, r=code, k=skill),
        )
        for code, name in regions
    ]
    skill_buttons = [
        (
            ("✓ " if skill == k else "") + skill_label(k),
            VolDesk(id=0, a=VolDeskAction.LIST, s=status, r=region, k="" if skill == k else k),
        )
        for k in volunteers.SKILLS
    ]
    return kb(*chunk(opens, 4), statuses, *chunk(region_buttons, 2), *chunk(skill_buttons, 2))


def card_text(v: Volunteer, region: str) -> str:
    return "\n".join(
        [
            _("<b>Volunteer #{id}</b> · {status}").format(id=v.id, status=status_label(v.status)),
            volunteer_line(v, region),
        ]
    )


def card_kb(v: Volunteer, back: VolDesk) -> InlineKeyboardMarkup:
    rows: list[Row] = []
    if v.status == VolunteerStatus.APPLIED:
        rows.append(
            [
                (_("Approve"), VolDesk(id=v.id, a=VolDeskAction.APPROVE, s=back.s, r=back.r, k=back.k)),
                (_("Decline"), VolDesk(id=v.id, a=VolDeskAction.DECLINE, s=back.s, r=back.r, k=back.k)),
            ]
        )
    rows.append([(_("« Volunteers"), back)])
    return kb(*rows)


def new_volunteer_note(v: Volunteer, region: str) -> tuple[str, InlineKeyboardMarkup]:
    text = _("🙋 A new volunteer offers help:") + "\n" + volunteer_line(v, region)
    back = VolDesk(id=0, a=VolDeskAction.LIST)
    return text, card_kb(v, back)


# --- «Мои задания» ------------------------------------------------------------------------------------------------


def event_task_text(ev: Event, catalog: Catalog) -> str:
    """What a volunteer reads of an event task: which event, when (local time) and where."""
    return _("Event № {number}: {title} · {when} · {where}").format(
        number=ev.id,
        title=hd.quote(ev.title),
        when=event_views.when_text(ev, catalog),
        where=hd.quote(ev.online_url or event_views.where_text(ev, catalog, get_i18n().current_locale)),
    )


def task_line(task: Assignment, req: AidRequest | str | None) -> str:
    """``req``: the material-help request of an «aid» task, or the rendered event of an «event» task."""
    if isinstance(req, str):
        what = req
    elif task.kind == "aid" and req is not None:
        what = _("Things № {number}: {items} · {city}").format(
            number=req.id, items=hd.quote(items_text(req.items)), city=hd.quote(req.city)
        )
        if req.details:
            what += "\n" + _("For whom, sizes: {details}").format(details=hd.quote(req.details))
        if req.pickup:
            what += "\n" + _("Pick up: {where}").format(where=hd.quote(req.pickup))
    else:
        what = _("Task #{id}").format(id=task.id)
    return f"{what}\n" + _("Status: {status}").format(status=task_status_label(task.status))


def tasks_text(vol: Volunteer, rows: Sequence[tuple[Assignment, AidRequest | str | None]]) -> str:
    lines = [_("<b>My tasks</b> · {status}").format(status=status_label(vol.status))]
    if vol.status == VolunteerStatus.PAUSED:
        lines.append(_("You are on a pause: coordinators do not offer you new tasks."))
    if not rows:
        lines.append(_("No tasks yet. When a coordinator offers one, it comes here."))
    lines += ["", *[task_line(t, r) for t, r in rows]] if rows else []
    lines += ["", _("Your data as a volunteer: a copy /mydata · erase /forget")]
    return "\n".join(lines)


def task_buttons(task: Assignment) -> Row:
    if task.status == AssignmentStatus.OFFERED:
        return [
            (_("Accept #{id}").format(id=task.id), VolTask(id=task.id, a=VolTaskAction.ACCEPT)),
            (_("Decline #{id}").format(id=task.id), VolTask(id=task.id, a=VolTaskAction.DECLINE)),
        ]
    if task.status == AssignmentStatus.ACCEPTED:
        return [(_("Done #{id}").format(id=task.id), VolTask(id=task.id, a=VolTaskAction.DONE))]
    return []


def tasks_kb(vol: Volunteer, tasks: Sequence[Assignment]) -> InlineKeyboardMarkup:
    rows: list[Row] = [list(task_buttons(t)) for t in tasks if task_buttons(t)]
    if vol.status == VolunteerStatus.PAUSED:
        rows.append([(_("Resume"), VolTask(id=0, a=VolTaskAction.RESUME))])
    else:
        rows.append([(_("Pause"), VolTask(id=0, a=VolTaskAction.PAUSE))])
    return kb(*rows)


def offered_note(
    task: Assignment, req: AidRequest | None, *, event_line: str | None = None
) -> tuple[str, InlineKeyboardMarkup]:
    text = _("A coordinator offers you a task:") + "\n\n" + task_line(task, event_line or req)
    return text, kb(task_buttons(task))


def task_answer_note(vol: Volunteer, task: Assignment) -> str:
    if task.kind == "event":
        return _("Volunteer {name} on task #{id} (event № {target}): {status}").format(
            name=hd.quote(vol.name or f"#{vol.id}"),
            id=task.id,
            target=task.target_id,
            status=task_status_label(task.status),
        )
    return _("Volunteer {name} on task #{id} (material help № {target}): {status}").format(
        name=hd.quote(vol.name or f"#{vol.id}"),
        id=task.id,
        target=task.target_id,
        status=task_status_label(task.status),
    )


# --- the volunteer's own data --------------------------------------------------------------------------------------


def data_summary(vol: Volunteer, tasks: int) -> str:
    return "\n".join(
        [
            _("<b>As a volunteer</b> (number {id}, {status})").format(
                id=vol.id, status=status_label(vol.status)
            ),
            _("Region and city: {city}").format(city=hd.quote(vol.city)),
            ngettext("{n} task", "{n} tasks", tasks).format(n=tasks),
            _("The full copy is in the file above. To erase it, send /forget."),
        ]
    )


def erase_warning() -> str:
    return _(
        "We will also delete your volunteer offer: name, region and city, skills, when you can help, and your "
        "tasks. Tasks you have not finished go back to the coordinators."
    )


def erased_note(vol_id: int, task_id: int, kind: str, target: int) -> str:
    if kind == "aid":
        what = _("material help № {number}").format(number=target)
    else:
        what = _("event № {number}").format(number=target)
    return _(
        "Volunteer #{id} has erased their data. Task #{task} ({what}) has no volunteer now: "
        "please offer it to someone else."
    ).format(id=vol_id, task=task_id, what=what)
