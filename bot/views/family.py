"""Texts composed from data: contacts, urgent help, crisis replies, statuses. User text is always escaped."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.markdown import html_decoration as hd
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.db.base import utcnow
from bot.db.models import Case
from bot.db.statuses import CaseStatus
from bot.middlewares.context import UserContext
from bot.services import dates, desk
from bot.services.catalog import Catalog
from bot.services.organisations import Organisation
from bot.services.regions import is_open, next_open
from bot.views.callbacks import Consent, Nav, Setting
from bot.views.ui import Buttons, Row, kb


def status_label(status: str) -> str:
    labels: dict[str, str] = {
        CaseStatus.NEW: _("received"),
        CaseStatus.QUEUED: _("waiting for a specialist"),
        CaseStatus.IN_PROGRESS: _("a specialist is working on it"),
        CaseStatus.WAITING_FAMILY: _("waiting for your answer"),
        CaseStatus.CLOSED: _("closed"),
        CaseStatus.UNREACHABLE: _("no connection"),
    }
    return labels.get(status, status)


def org_card(org: Organisation, locale: str, *, brief: bool = False) -> str:
    lines = [f"<b>{hd.quote(org.name.get(locale))}</b>"]
    if not brief:
        lines.append(hd.quote(org.description.get(locale)))
    for phone in org.phones:
        note = f" ({hd.quote(phone.note.get(locale))})" if phone.note else ""
        lines.append(f"☎ {hd.quote(phone.number)}{note}")
    if org.hours:
        lines.append(hd.quote(org.hours.get(locale)))
    if org.address and not brief:
        lines.append(hd.quote(org.address))
    if org.url:
        lines.append(hd.link(_("Website"), org.url))
    if not brief and org.note:
        lines.append(f"<i>{hd.quote(org.note.get(locale))}</i>")
    elif not brief and org.status == "unverified":
        lines.append(_("<i>We are re-checking this contact; please confirm it on the official website.</i>"))
    return "\n".join(lines)


def region_of(ctx: UserContext | None) -> str | None:
    return ctx.family.region if ctx and ctx.family else None


def urgent_help_text(catalog: Catalog, ctx: UserContext) -> str:
    parts = [_("<b>Urgent help</b>")]
    parts.append(_("If there is a threat to life or health, call <b>112</b>: it is free, from any phone."))
    parts += [org_card(org, ctx.locale) for org in catalog.crisis_contacts(region_of(ctx))]
    return "\n\n".join(parts)


def crisis_reply_text(catalog: Catalog, ctx: UserContext, discreet: bool) -> str:
    if discreet:
        head = _("Useful phone numbers. Calls are free.")
    else:
        head = _(
            "We are worried about you. <b>If you or your children are in danger right now, call 112.</b> "
            "It is free, from any phone, even without money on the account."
        )
    parts = [head]
    parts += [org_card(org, ctx.locale, brief=True) for org in catalog.crisis_contacts(region_of(ctx))]
    parts.append(_("Are you safe right now?"))
    return "\n\n".join(parts)


# --- the menu and the keyboards every family screen shares ---


def discreet(ctx: UserContext | None) -> bool:
    return bool(ctx and ctx.family and ctx.family.discreet)


def family_kb(ctx: UserContext | None, *rows: Buttons, back: bool = True) -> InlineKeyboardMarkup:
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
        [(_("How is your family?"), Nav(to="checkin")), (_("Things for the family"), Nav(to="aid"))],
        [(_("Family events"), Nav(to="events")), (_("Become a volunteer"), Nav(to="volunteer"))],
    ]
    if discreet(ctx):
        rows.append([(_("Hide"), Nav(to="hide"))])
    return kb(*rows)


# --- a request handed to a person: who takes it, what to expect ---


def specialty_label(kind: str) -> str:
    return {
        "lawyer": _("Lawyer"),
        "psychologist": _("Psychologist"),
        "social_consultant": _("Social consultant"),
        "crisis": _("Crisis centre"),
    }[kind]


def case_who(case: Case) -> str:
    return specialty_label("crisis" if case.tier == 3 else (case.specialty or "social_consultant"))


def passed_text(case: Case) -> str:
    """One whole sentence per route (Russian needs the right case: «юристу», «в кризисный центр»)."""
    kind = "crisis" if case.tier == 3 else (case.specialty or "social_consultant")
    texts = {
        "lawyer": _("Your request № {number} has been passed to a lawyer."),
        "psychologist": _("Your request № {number} has been passed to a psychologist."),
        "social_consultant": _("Your request № {number} has been passed to a social consultant."),
        "crisis": _("Your request № {number} has been passed to the crisis centre."),
    }
    return texts.get(kind, texts["social_consultant"]).format(number=case.id)


async def expectations_text(
    session: AsyncSession, case: Case, catalog: Catalog, ctx: UserContext, settings: Settings
) -> str:
    """Position, a realistic wait, working hours and the line being full — honest, short, with a way out."""
    lines = [
        passed_text(case),
        _("Write your question here, in this chat: a specialist will answer you here too."),
    ]
    region = catalog.region(ctx.family.region if ctx.family else None)
    now = utcnow()
    open_now = region is None or is_open(region, now)
    position = await desk.queue_position(session, case)
    if case.urgency == "emergency":
        lines.append(_("This is urgent: the crisis centre staff have been alerted."))
    elif position is not None:
        wait = await desk.estimated_wait(session, position)
        lines.append(_("Your place in the queue: {position}.").format(position=position))
        if wait is not None and open_now:
            minutes = max(1, round(wait.total_seconds() / 60))
            lines.append(_("Usually the answer comes in about {minutes} min.").format(minutes=minutes))
    if not open_now and region is not None:
        back = next_open(region, now)
        lines.append(
            _("Our specialists are not at work now. They will be back on {date} at {time}.").format(
                date=dates.day_month(back, ctx.locale), time=back.strftime("%H:%M")
            )
        )
    waiting = await desk.open_waiting_count(session)
    if waiting > settings.desk_capacity and case.urgency != "emergency":
        lines.append(_("The line is very busy right now, so the wait may be long. You can also call:"))
        code = ctx.family.region if ctx.family else None
        lines += [org_card(org, ctx.locale, brief=True) for org in catalog.first_line_contacts(code)]
    if not open_now or case.urgency in ("urgent", "emergency"):
        lines.append(_("If you need help right now:"))
        code = ctx.family.region if ctx.family else None
        lines += [org_card(org, ctx.locale, brief=True) for org in catalog.crisis_contacts(code)]
    lines.append(_("If you are in danger, call <b>112</b>."))
    return "\n\n".join(lines)


# --- settings ---


def settings_text(ctx: UserContext, catalog: Catalog) -> str:
    if not ctx.consented:
        return _("Settings. You have not given consent, so we keep nothing about you.")
    region = catalog.region(ctx.family.region) if ctx.family.region else None
    state = _("on") if ctx.family.discreet else _("off")
    return "\n".join(
        [
            _("<b>Settings</b>"),
            _("Language: English"),
            _("Region: {region}").format(region=region.name.get(ctx.locale) if region else "—"),
            _("Discreet mode: {state}").format(state=state),
            _("Reminders: off") if ctx.family.reminders_off else _("Reminders: on"),
        ]
    )


def settings_kb(ctx: UserContext):
    if not ctx.consented:
        return family_kb(
            ctx, [(_("Language"), Setting(name="language"))], [(_("Give consent"), Consent(action="ask"))]
        )
    return family_kb(
        ctx,
        [(_("Language"), Setting(name="language")), (_("Region"), Nav(to="region"))],
        [(_("Family profile"), Nav(to="profile")), (_("Discreet mode"), Setting(name="discreet"))],
        [
            (
                _("Turn reminders on") if ctx.family.reminders_off else _("Turn reminders off"),
                Setting(name="reminders"),
            )
        ],
        [
            (
                _("Turn announcements on") if ctx.family.broadcasts_off else _("Turn announcements off"),
                Setting(name="broadcasts"),
            )
        ],
        [(_("Privacy"), Consent(action="notice")), (_("Erase my data"), Setting(name="forget"))],
        [(_("Withdraw consent"), Setting(name="withdraw"))],
    )


def safety_check_text(catalog: Catalog, ctx: UserContext, discreet: bool) -> str:
    """The gentle answer to a possible danger signal: are you safe, and where to call."""
    if discreet:
        parts = [_("Useful phone numbers. Calls are free.")]
    else:
        parts = [
            _(
                "Thank you for writing. It sounds like things are hard for you right now. "
                "If you or your children are in danger, call 112: it is free from any phone. "
                "You can also talk to someone at these numbers:"
            )
        ]
    parts += [org_card(org, ctx.locale, brief=True) for org in catalog.crisis_contacts(region_of(ctx))]
    parts.append(_("Are you safe right now?"))
    return "\n\n".join(parts)
