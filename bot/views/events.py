"""«Мероприятия», the family's side, and what every side shows of an event: its kind, time in the region's zone,
place; the reminders, the .ics file and the question after it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.markdown import html_decoration as hd

from bot.db.models import Event, EventRegistration
from bot.db.statuses import EventStatus, RegistrationStatus
from bot.services import events
from bot.services.catalog import Catalog
from bot.services.event_times import CalendarEntry, calendar, local
from bot.views.callbacks import Ev, EvAction, Nav
from bot.views.ui import Row, kb


def kind_label(kind: str) -> str:
    return {
        "holiday": _("Celebration"),
        "lecture": _("Lecture"),
        "parents_school": _("School for parents"),
        "club": _("Club"),
        "course": _("Course"),
        "other": _("Event"),
    }.get(kind, kind)


def zone(catalog: Catalog, region: str) -> ZoneInfo:
    found = catalog.region(region)
    return found.tz if found else ZoneInfo("Europe/Moscow")


def weekday(at: datetime) -> str:
    return (_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun"))[at.weekday()]


def when_text(ev: Event, catalog: Catalog) -> str:
    at = local(ev.starts_at, zone(catalog, ev.region))
    return f"{weekday(at)}, {at:%d.%m.%Y %H:%M}"


def opens_text(ev: Event, catalog: Catalog) -> str:
    at = local(ev.reg_opens_at, zone(catalog, ev.region))
    return f"{at:%d.%m.%Y %H:%M}"


def where_text(ev: Event, catalog: Catalog, locale: str) -> str:
    place = catalog.places.get(ev.place_id) if ev.place_id and catalog.places else None
    if place is not None:
        parts = [place.org.name.get(locale), place.org.address or place.city.name.get(locale)]
        return ", ".join(p for p in parts if p)
    if ev.address:
        return f"{ev.city}, {ev.address}" if ev.city and ev.city not in ev.address else ev.address
    return _("online")


def series_text(ev: Event) -> str:
    return _("session {n} of {total}").format(n=ev.session_no, total=ev.sessions) if ev.sessions > 1 else ""


def seats_text(ev: Event) -> str:
    left = max(ev.seats - ev.taken, 0)
    if left:
        return ngettext("{n} seat left", "{n} seats left", left).format(n=left)
    return _("no seats left: waiting list")


def event_head(ev: Event, catalog: Catalog, locale: str) -> str:
    series = series_text(ev)
    lines = [
        f"<b>{hd.quote(ev.title)}</b>",
        kind_label(ev.kind) + (f" · {series}" if series else ""),
        _("🗓 {when} (local time)").format(when=when_text(ev, catalog)),
        _("📍 {where}").format(where=hd.quote(where_text(ev, catalog, locale))),
    ]
    if ev.status == EventStatus.CANCELLED:
        lines.append(_("❌ Cancelled"))
    return "\n".join(lines)


# --- the family's screens ----------------------------------------------------------------------------------------


def list_text(rows: Sequence[Event], mine: dict[int, str], catalog: Catalog, locale: str) -> str:
    if not rows:
        return _(
            "<b>Events</b>\n\nNo events for your region and family yet. When coordinators plan one, it appears here."
        )
    lines = [_("<b>Events</b> for your region. Choose one to see the details and to register."), ""]
    for ev in rows:
        marks: dict[str, str] = {RegistrationStatus.REGISTERED: " ✅", RegistrationStatus.WAITING: " ⏳"}
        mark = marks.get(mine.get(ev.id, ""), "")
        lines.append(f"• {hd.quote(ev.title)} — {when_text(ev, catalog)}{mark}")
    return "\n".join(lines)


def list_kb(rows: Sequence[Event], catalog: Catalog) -> InlineKeyboardMarkup:
    buttons: list[Row] = [
        [
            (
                f"{local(ev.starts_at, zone(catalog, ev.region)):%d.%m %H:%M} · {ev.title}"[:60],
                Ev(a=EvAction.OPEN, id=ev.id),
            )
        ]
        for ev in rows
    ]
    return kb(*buttons, [(_("« Menu"), Nav(to="menu"))])


def card_text(
    ev: Event, reg: EventRegistration | None, position: int | None, catalog: Catalog, locale: str
) -> str:
    lines = [event_head(ev, catalog, locale)]
    if ev.online_url and reg is not None and reg.status == RegistrationStatus.REGISTERED:
        lines.append(_("🔗 Link: {url}").format(url=hd.quote(ev.online_url)))
    if ev.description:
        lines += ["", hd.quote(ev.description)]
    lines += ["", seats_text(ev)]
    if events.registration_not_yet(ev) and reg is None:
        lines.append(_("Registration opens {when} (local time).").format(when=opens_text(ev, catalog)))
    if reg is not None and reg.status == RegistrationStatus.REGISTERED:
        lines.append(_("✅ You are registered."))
    elif reg is not None and reg.status == RegistrationStatus.WAITING:
        lines.append(_("⏳ You are on the waiting list, number {n}.").format(n=position or 1))
    return "\n".join(lines)


def card_kb(ev: Event, reg: EventRegistration | None, can_register: bool) -> InlineKeyboardMarkup:
    rows: list[Row] = []
    if reg is not None and reg.status in (RegistrationStatus.REGISTERED, RegistrationStatus.WAITING):
        rows.append([(_("Cancel my registration"), Ev(a=EvAction.CANCEL, id=reg.id))])
    elif can_register:
        label = _("Register") if ev.taken < ev.seats else _("Join the waiting list")
        rows.append([(label, Ev(a=EvAction.JOIN, id=ev.id))])
    if ev.sessions > 1 and ev.status == EventStatus.OPEN:
        rows.append([(_("Register for every session"), Ev(a=EvAction.JOIN_ALL, id=ev.id))])
    rows.append([(_("« Events"), Ev(a=EvAction.LIST)), (_("« Menu"), Nav(to="menu"))])
    return kb(*rows)


def registered_text(ev: Event) -> str:
    return _(
        "You are registered for «{title}». We will remind you the day before and two hours before."
    ).format(title=hd.quote(ev.title))


def series_registered_text(ev: Event, registered: int, waiting: int) -> str:
    lines = [
        ngettext(
            "You are registered for {n} session of «{title}».",
            "You are registered for {n} sessions of «{title}».",
            registered,
        ).format(n=registered, title=hd.quote(ev.title))
    ]
    if waiting:
        lines.append(
            ngettext(
                "For {n} session there are no free seats: you are on its waiting list.",
                "For {n} sessions there are no free seats: you are on their waiting lists.",
                waiting,
            ).format(n=waiting)
        )
    lines.append(_("We will remind you before each session. The calendar file has them all."))
    return "\n".join(lines)


def waiting_text(ev: Event, position: int) -> str:
    return _(
        "There are no free seats at «{title}» now. You are on the waiting list, number {n}: if a seat frees up, "
        "we will register you and write to you."
    ).format(title=hd.quote(ev.title), n=position)


def promoted_text(ev: Event, catalog: Catalog, locale: str) -> str:
    return "\n".join(
        [_("🎉 A seat has freed up: you are now registered!"), "", event_head(ev, catalog, locale)]
    )


def cancelled_text(ev: Event) -> str:
    return _("Your registration for «{title}» is cancelled. Thank you for letting us know.").format(
        title=hd.quote(ev.title)
    )


def event_cancelled_note(ev: Event, catalog: Catalog, locale: str) -> str:
    return "\n".join([_("We are sorry: this event is cancelled."), "", event_head(ev, catalog, locale)])


def reminder_text(what: str, ev: Event, catalog: Catalog, locale: str) -> str:
    head = _("⏰ Tomorrow: your event.") if what == "day" else _("⏰ In two hours: your event.")
    lines = [head, "", event_head(ev, catalog, locale)]
    if ev.online_url:
        lines.append(_("🔗 Link: {url}").format(url=hd.quote(ev.online_url)))
    lines += ["", _("If you cannot come, please cancel: someone from the waiting list will get your seat.")]
    return "\n".join(lines)


def reminder_kb(reg_id: int) -> InlineKeyboardMarkup:
    return kb([(_("Cancel my registration"), Ev(a=EvAction.CANCEL, id=reg_id))])


def discreet_note(what: str, ev: Event, reg_id: int, catalog: Catalog) -> tuple[str, InlineKeyboardMarkup]:
    """What a family in discreet mode gets from the job: neutral words, the time, a way in, «Скрыть»."""
    hide: Row = [(_("Hide"), Nav(to="hide"))]
    if what == "feedback":
        text = _("A short question from us: was it useful? One tap is enough.")
        return text, kb(feedback_row(reg_id), hide)
    text = _("A reminder of your entry: {when} (local time). The details are in the bot.").format(
        when=when_text(ev, catalog)
    )
    return text, kb([(_("Open it"), Ev(a=EvAction.OPEN, id=ev.id))], hide)


def feedback_text(ev: Event) -> str:
    return _("How was «{title}»? Was it useful?").format(title=hd.quote(ev.title))


def feedback_row(reg_id: int) -> Row:
    return [
        (_("Yes, it was useful"), Ev(a=EvAction.USEFUL, id=reg_id, v="1")),
        (_("Not really"), Ev(a=EvAction.USEFUL, id=reg_id, v="0")),
    ]


def feedback_kb(reg_id: int) -> InlineKeyboardMarkup:
    return kb(feedback_row(reg_id))


def calendar_entry(ev: Event, catalog: Catalog, locale: str) -> CalendarEntry:
    title = ev.title + (f" ({series_text(ev)})" if ev.sessions > 1 else "")
    return CalendarEntry(
        uid=f"event-{ev.id}@semeynoe-okno",
        title=title,
        starts_at=ev.starts_at,
        duration_min=ev.duration_min,
        location=ev.online_url or where_text(ev, catalog, locale),
        description=ev.description,
        url=ev.online_url,
    )


def ics_file(evs: Sequence[Event], catalog: Catalog, locale: str) -> tuple[str, bytes]:
    """The calendar file of one session or several of a series: its name and bytes."""
    data = calendar([calendar_entry(ev, catalog, locale) for ev in evs])
    name = f"event-{evs[0].id}.ics" if len(evs) == 1 else f"events-{evs[0].id}-{evs[-1].id}.ics"
    return name, data


def venue(ev: Event, catalog: Catalog, locale: str) -> tuple[float, float, str, str] | None:
    """(lat, lon, title, address) of a place of the directory, for sendVenue; None for an address or online."""
    place = catalog.places.get(ev.place_id) if ev.place_id and catalog.places else None
    if place is None:
        return None
    address = place.org.address or place.city.name.get(locale)
    return place.lat, place.lon, place.org.name.get(locale)[:256], address[:256]
