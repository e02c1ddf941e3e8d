"""/events, the coordinators' side: the list, the wizard that creates a series, an event's card with its
registrations and waiting list, attendance, a volunteer for the event, the XLSX headers."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.markdown import html_decoration as hd

from bot.db.models import Assignment, Event, Volunteer
from bot.db.statuses import EventStatus, RegistrationStatus
from bot.services import events
from bot.services.broadcasts import PROFILE_TAGS
from bot.services.catalog import Catalog
from bot.services.events import Draft, Registrant
from bot.views.aid import task_status_label
from bot.views.callbacks import EvDesk, EvDeskAction
from bot.views.coordinators import profile_label
from bot.views.events import event_head, kind_label, opens_text, when_text
from bot.views.ui import Row, chunk, clip, kb

MAX_MARKS = 96  # attendance buttons on one screen (Telegram takes at most 100 buttons)


def family_label(f) -> str:
    name = f" ({f.display_name})" if f.share_name and f.display_name else ""
    return _("Family № {number}").format(number=f.id) + name


def list_text(rows: Sequence[Event], catalog: Catalog) -> str:
    if not rows:
        return _("<b>Events</b>\n\nNo events planned. Create one with the button below.")
    lines = [_("<b>Events</b> (from a week ago on)"), ""]
    for ev in rows:
        cancelled = " ❌" if ev.status == EventStatus.CANCELLED else ""
        lines.append(
            f"№ {ev.id} · {hd.quote(ev.title)} · {when_text(ev, catalog)} · {ev.taken}/{ev.seats}{cancelled}"
        )
    return "\n".join(lines)


def list_kb(rows: Sequence[Event]) -> InlineKeyboardMarkup:
    opens = [(f"№ {ev.id}", EvDesk(a=EvDeskAction.OPEN, id=ev.id)) for ev in rows]
    return kb(*chunk(opens, 4), [(_("➕ New event"), EvDesk(a=EvDeskAction.NEW))])


def card_text(
    ev: Event,
    counts: Counter,
    tasks: Sequence[tuple[Assignment, Volunteer]],
    catalog: Catalog,
    locale: str,
) -> str:
    region = catalog.region(ev.region)
    lines = [
        _("<b>Event № {id}</b>").format(id=ev.id),
        event_head(ev, catalog, locale),
        _("Region: {region} · city: {city}").format(
            region=hd.quote(region.name.get(locale) if region else ev.region), city=hd.quote(ev.city)
        ),
    ]
    if ev.online_url:
        lines.append(_("🔗 Link: {url}").format(url=hd.quote(ev.online_url)))
    if ev.audience:
        lines.append(_("For: {who}").format(who=", ".join(profile_label(t) for t in ev.audience)))
    lines += [
        _("Seats: {taken} of {seats} taken · waiting list: {waiting}").format(
            taken=ev.taken, seats=ev.seats, waiting=counts.get(RegistrationStatus.WAITING, 0)
        ),
        registration_line(ev, catalog),
    ]
    if tasks:
        lines.append(_("Volunteers:"))
        lines += [f"• {hd.quote(v.name or f'#{v.id}')} — {task_status_label(a.status)}" for a, v in tasks]
    return "\n".join(lines)


def registration_line(ev: Event, catalog: Catalog) -> str:
    if events.registration_not_yet(ev):
        return _("Registration opens {when}").format(when=opens_text(ev, catalog))
    return _("Registration: open") if events.registration_open(ev) else _("Registration: closed")


def card_kb(ev: Event) -> InlineKeyboardMarkup:
    rows: list[Row] = [
        [(_("Registrations and attendance"), EvDesk(a=EvDeskAction.WHO, id=ev.id))],
        [
            (_("Write to the registered"), EvDesk(a=EvDeskAction.MESSAGE, id=ev.id)),
            (_("XLSX"), EvDesk(a=EvDeskAction.EXPORT, id=ev.id)),
        ],
    ]
    if ev.status == EventStatus.OPEN:
        rows.append([(_("Find a volunteer"), EvDesk(a=EvDeskAction.MATCH, id=ev.id))])
        rows.append([(_("Cancel the event"), EvDesk(a=EvDeskAction.CANCEL, id=ev.id))])
    rows.append([(_("« Events"), EvDesk(a=EvDeskAction.LIST))])
    return kb(*rows)


def registrants_text(ev: Event, people: Sequence[Registrant], positions: dict[int, int]) -> str:
    lines = [_("<b>Event № {id}</b>: {title}").format(id=ev.id, title=hd.quote(ev.title)), ""]
    registered = [p for p in people if p.reg.status == RegistrationStatus.REGISTERED]
    waiting = [p for p in people if p.reg.status == RegistrationStatus.WAITING]
    lines.append(_("<b>Registered</b>: {n}").format(n=len(registered)))
    lines += [("✅ " if p.reg.attended else "▫️ ") + hd.quote(family_label(p.family)) for p in registered] or [
        _("nobody yet")
    ]
    lines += ["", _("<b>Waiting list</b>: {n}").format(n=len(waiting))]
    lines += [f"{positions.get(p.reg.id, 0)}. {hd.quote(family_label(p.family))}" for p in waiting]
    lines += ["", _("Tap a family to mark that it came (✅) or take the mark back.")]
    return clip("\n".join(lines))


def registrants_kb(ev: Event, people: Sequence[Registrant]) -> InlineKeyboardMarkup:
    marks = [
        (
            ("✅ " if p.reg.attended else "") + _("№ {number}").format(number=p.family.id),
            EvDesk(a=EvDeskAction.ATTEND, id=ev.id, v=str(p.reg.id)),
        )
        for p in people
        if p.reg.status == RegistrationStatus.REGISTERED
    ]
    return kb(*chunk(marks[:MAX_MARKS], 3), [(_("« Event"), EvDesk(a=EvDeskAction.OPEN, id=ev.id))])


def match_text(ev: Event, free: Sequence[Volunteer]) -> str:
    if not free:
        return _("No approved volunteers in the region of event № {id} now.").format(id=ev.id)
    return _("Volunteers for event № {id}: choose whom to offer the task.").format(id=ev.id)


def match_kb(ev: Event, free: Sequence[Volunteer]) -> InlineKeyboardMarkup:
    rows: list[Row] = [
        [
            (
                _("Assign: {name}").format(name=(v.name or f"#{v.id}")[:40]),
                EvDesk(a=EvDeskAction.ASSIGN, id=ev.id, v=str(v.id)),
            )
        ]
        for v in free[:10]
    ]
    rows.append([(_("« Event"), EvDesk(a=EvDeskAction.OPEN, id=ev.id))])
    return kb(*rows)


def cancel_sure_kb(ev: Event) -> InlineKeyboardMarkup:
    return kb(
        [
            (_("Yes, cancel it"), EvDesk(a=EvDeskAction.CANCEL_SURE, id=ev.id)),
            (_("« Event"), EvDesk(a=EvDeskAction.OPEN, id=ev.id)),
        ]
    )


def xlsx_headers() -> list[str]:
    return [_("Family"), _("Status"), _("Waiting list №"), _("Came"), _("Useful"), _("Registered at")]


def status_label(status: str) -> str:
    labels: dict[str, str] = {
        RegistrationStatus.REGISTERED: _("registered"),
        RegistrationStatus.WAITING: _("waiting list"),
        RegistrationStatus.CANCELLED: _("cancelled"),
    }
    return labels.get(status, status)


# --- the wizard -----------------------------------------------------------------------------------------------------


def ask_title() -> str:
    return _("<b>New event</b>\n\nWhat is it called? Write the title.")


def ask_description() -> str:
    return _("A few words about it: what will happen, what to bring. Or send «-» to leave it out.")


def ask_kind() -> tuple[str, InlineKeyboardMarkup]:
    buttons = [(kind_label(k), EvDesk(a=EvDeskAction.KIND, v=k)) for k in events.KINDS]
    return _("What kind of event is it?"), kb(*chunk(buttons, 2))


def ask_region(regions: Sequence[tuple[str, str]]) -> tuple[str, InlineKeyboardMarkup]:
    buttons = [(name, EvDesk(a=EvDeskAction.REGION, v=code)) for code, name in regions]
    return _("In which region?"), kb(*chunk(buttons, 2))


def ask_city() -> str:
    return _("In which city? Write its name.")


def ask_place(places: Sequence[tuple[str, str]]) -> tuple[str, InlineKeyboardMarkup]:
    buttons: list[Row] = [[(name[:60], EvDesk(a=EvDeskAction.PLACE, v=pid))] for pid, name in places[:8]]
    buttons.append(
        [
            (_("Write an address"), EvDesk(a=EvDeskAction.ADDRESS)),
            (_("Online (a link)"), EvDesk(a=EvDeskAction.ONLINE)),
        ]
    )
    return _(
        "Where? Choose a place of the directory, write an address, or give a link for an online event."
    ), kb(*buttons)


def ask_address() -> str:
    return _("Write the address: street, building, room.")


def ask_link() -> str:
    return _("Send the link to the online meeting (it begins with https://).")


def ask_when(zone_name: str) -> str:
    return _(
        "When does it start? Write the date and time in the region's time zone ({zone}), e.g. «20.12.2026 18:00»."
    ).format(zone=zone_name)


def ask_sessions() -> str:
    return _(
        "How many sessions? «1» for a single event; for a weekly club or a course, the number of weeks (up to 20)."
    )


def ask_seats() -> str:
    return _("How many seats (families) are there?")


def ask_audience(chosen: Sequence[str]) -> tuple[str, InlineKeyboardMarkup]:
    buttons = [
        (("✓ " if t in chosen else "") + profile_label(t), EvDesk(a=EvDeskAction.AUDIENCE, v=t))
        for t in PROFILE_TAGS
    ]
    return (
        _("Who is it for? Choose the families who will see it, or none for every family of the region."),
        kb(*chunk(buttons, 2), [(_("Next »"), EvDesk(a=EvDeskAction.AUDIENCE_DONE))]),
    )


def ask_opens() -> tuple[str, InlineKeyboardMarkup]:
    labels = {0: _("Right now"), 7: _("A week before"), 14: _("Two weeks before")}
    buttons = [(labels[d], EvDesk(a=EvDeskAction.OPENS, v=str(d))) for d in events.OPEN_BEFORE]
    return _("When does registration open (for each session)?"), kb(buttons)


def ask_close() -> tuple[str, InlineKeyboardMarkup]:
    labels = {0: _("At the start"), 120: _("2 hours before"), 1440: _("A day before")}
    buttons = [(labels[m], EvDesk(a=EvDeskAction.CLOSE, v=str(m))) for m in events.CLOSE_BEFORE]
    return _("When does registration close?"), kb(buttons)


def summary_text(d: Draft, region: str, where: str, zone_name: str) -> str:
    lines = [
        _("<b>Check the event</b>"),
        f"<b>{hd.quote(d.title)}</b> · {kind_label(d.kind)}",
        hd.quote(d.description) if d.description else "",
        _("Region: {region} · city: {city}").format(region=hd.quote(region), city=hd.quote(d.city)),
        _("📍 {where}").format(where=hd.quote(where)),
        _("Starts: {day:%d.%m.%Y} {time:%H:%M} ({zone})").format(day=d.first_day, time=d.at, zone=zone_name),
        _("Sessions: {n}, weekly").format(n=d.sessions) if d.sessions > 1 else _("A single session"),
        _("Seats: {n}").format(n=d.seats),
        _("Registration opens: right now")
        if not d.open_before_days
        else ngettext(
            "Registration opens: {days} day before each session",
            "Registration opens: {days} days before each session",
            d.open_before_days,
        ).format(days=d.open_before_days),
        _("For: {who}").format(
            who=", ".join(profile_label(t) for t in d.audience) if d.audience else _("every family")
        ),
    ]
    return "\n".join(line for line in lines if line)


def summary_kb() -> InlineKeyboardMarkup:
    return kb([(_("Create"), EvDesk(a=EvDeskAction.SAVE)), (_("Cancel"), EvDesk(a=EvDeskAction.LIST))])
