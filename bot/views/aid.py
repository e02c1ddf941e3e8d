"""Material help («окна помощи»): the family's short flow, the status notes it gets, the coordinators' list and card.

Texts are rendered in the reader's language (a family's notes inside `locale_scope`). User text is always escaped.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.markdown import html_decoration as hd

from bot.db.models import AidRequest, Assignment, Volunteer
from bot.db.statuses import AidStatus, AssignmentStatus
from bot.services import aid
from bot.services.catalog import Catalog
from bot.views.callbacks import AidAsk, AidAskAction, AidDesk, AidDeskAction, Nav
from bot.views.ui import Row, chunk, kb


def item_label(key: str) -> str:
    return {
        "clothes": _("Children's clothes"),
        "shoes": _("Children's shoes"),
        "pram": _("Pram"),
        "cot": _("Cot"),
        "food": _("Food"),
        "hygiene": _("Hygiene, nappies"),
        "school": _("School things"),
        "other": _("Something else"),
    }.get(key, key)


def urgency_label(key: str) -> str:
    return {
        "routine": _("Within a month"),
        "soon": _("Within a week"),
        "urgent": _("In a day or two"),
    }.get(key, key)


def status_label(status: str) -> str:
    labels: dict[str, str] = {
        AidStatus.NEW: _("received"),
        AidStatus.TAKEN: _("a coordinator is working on it"),
        AidStatus.COLLECTING: _("collecting"),
        AidStatus.READY: _("ready to pick up"),
        AidStatus.HANDED: _("handed over"),
        AidStatus.CLOSED: _("done"),
        AidStatus.UNMET: _("could not be met"),
        AidStatus.CANCELLED: _("cancelled"),
    }
    return labels.get(status, status)


def unmet_label(reason: str) -> str:
    return {
        "no_stock": _("Nothing suitable yet"),
        "no_volunteer": _("Nobody to deliver it"),
        "unreachable": _("No connection with the family"),
        "other": _("Another reason"),
    }.get(reason, reason)


def items_text(items: Sequence[str]) -> str:
    return ", ".join(item_label(i) for i in items)


# --- the family's flow -----------------------------------------------------------------------------------------


def ask_items_text() -> str:
    return _(
        "<b>Things for the family</b>\n\n"
        "What do you need? Tap everything that fits, then «Next». Volunteers and partners of the centre collect "
        "things that are given free of charge."
    )


def ask_items_kb(chosen: Sequence[str]) -> InlineKeyboardMarkup:
    buttons = [
        (("✓ " if key in chosen else "") + item_label(key), AidAsk(a=AidAskAction.ITEM, v=key))
        for key in aid.ITEMS
    ]
    rows: list[Row] = chunk(buttons, 2)
    if chosen:
        rows.append([(_("Next »"), AidAsk(a=AidAskAction.ITEMS_DONE))])
    rows.append([(_("« Menu"), Nav(to="menu"))])
    return kb(*rows)


def ask_details_text(items: Sequence[str]) -> str:
    return _(
        "You chose: {items}.\n\n"
        "In one message, for whom and what sizes: for example «boy 3 years, height 98, shoes 27; pram for twins»."
    ).format(items=hd.quote(items_text(items)))


def ask_city_text() -> str:
    return _("Which city or town are you in? Choose it or write its name.")


def ask_city_kb(cities: Sequence[tuple[str, str]]) -> InlineKeyboardMarkup:
    rows: list[Row] = chunk([(name, AidAsk(a=AidAskAction.CITY, v=key)) for key, name in cities[:8]], 2)
    rows.append([(_("« Menu"), Nav(to="menu"))])
    return kb(*rows)


def ask_urgency_text() -> str:
    return _("How soon do you need it?")


def ask_urgency_kb() -> InlineKeyboardMarkup:
    return kb(
        *[[(urgency_label(u), AidAsk(a=AidAskAction.URGENCY, v=u))] for u in reversed(aid.URGENCIES)],
        [(_("« Menu"), Nav(to="menu"))],
    )


def confirm_text(items: Sequence[str], details: str, city: str, urgency: str) -> str:
    return "\n".join(
        [
            _("<b>Check your request</b>"),
            _("What: {items}").format(items=hd.quote(items_text(items))),
            _("For whom, sizes: {details}").format(details=hd.quote(details)),
            _("City: {city}").format(city=hd.quote(city)),
            _("When: {urgency}").format(urgency=urgency_label(urgency)),
        ]
    )


def confirm_kb() -> InlineKeyboardMarkup:
    return kb([(_("Send the request"), AidAsk(a=AidAskAction.SEND))], [(_("« Menu"), Nav(to="menu"))])


def sent_text(req: AidRequest) -> str:
    return _(
        "Request № {number} for things is sent. A coordinator will look for them and write to you here: "
        "«collecting», then where and when you can pick them up. You can see it in «My requests»."
    ).format(number=req.id)


def family_line(req: AidRequest) -> str:
    line = _("Things № {number} · {items} · {status}").format(
        number=req.id, items=hd.quote(items_text(req.items)), status=status_label(req.status)
    )
    if req.status == AidStatus.READY and req.pickup:
        line += "\n" + _("Pick up: {where}").format(where=hd.quote(req.pickup))
    return line


def family_buttons(req: AidRequest) -> list[tuple[str, AidAsk]]:
    if req.status == AidStatus.HANDED:
        return [
            (_("Received № {number}").format(number=req.id), AidAsk(a=AidAskAction.GOT, id=req.id)),
            (_("Not received"), AidAsk(a=AidAskAction.NOT_GOT, id=req.id)),
        ]
    if req.status in (AidStatus.NEW, AidStatus.TAKEN, AidStatus.COLLECTING, AidStatus.READY):
        return [
            (_("Cancel things № {number}").format(number=req.id), AidAsk(a=AidAskAction.CANCEL, id=req.id))
        ]
    return []


def status_note(req: AidRequest) -> tuple[str, InlineKeyboardMarkup | None]:
    """What the family is told when its request changes (rendered in the family's language)."""
    number = req.id
    if req.status == AidStatus.TAKEN:
        return _("A coordinator took your request for things № {number} and is looking for them.").format(
            number=number
        ), None
    if req.status == AidStatus.COLLECTING:
        return _("We are collecting the things for request № {number}.").format(number=number), None
    if req.status == AidStatus.READY:
        return _("The things for request № {number} are ready. You can pick them up: {where}").format(
            number=number, where=hd.quote(req.pickup or "—")
        ), None
    if req.status == AidStatus.HANDED:
        text = _("The things for request № {number} are handed over. Did you receive them?").format(
            number=number
        )
        return text, kb(family_buttons(req))
    if req.status == AidStatus.UNMET:
        return _(
            "We are sorry: we could not find the things for request № {number} this time ({reason}). "
            "You can ask again later, or look at «Contacts» for places that give out things."
        ).format(number=number, reason=unmet_label(req.unmet_reason or "other").lower()), None
    return _("Request № {number}: {status}.").format(number=number, status=status_label(req.status)), None


# --- the coordinators' side -------------------------------------------------------------------------------------


def _urgency_mark(urgency: str) -> str:
    return {"urgent": "🔴", "soon": "🟡"}.get(urgency, "⚪")


def list_text(rows: Sequence[AidRequest], region_name: str) -> str:
    lines = [
        _("<b>Material help</b> · {region} · open: {n}").format(region=hd.quote(region_name), n=len(rows))
    ]
    if not rows:
        lines.append(_("No open requests."))
    for r in rows:
        route = " 🆘" if r.route == "crisis" else ""
        lines.append(
            f"{_urgency_mark(r.urgency)} "
            + _("№ {number} · {items} · {city} · {status}").format(
                number=r.id,
                items=hd.quote(items_text(r.items)),
                city=hd.quote(r.city),
                status=status_label(r.status),
            )
            + route
        )
    return "\n".join(lines)


def list_kb(
    rows: Sequence[AidRequest], regions: Sequence[tuple[str, str]], current: str
) -> InlineKeyboardMarkup:
    open_buttons = [(f"№ {r.id}", AidDesk(id=r.id, a=AidDeskAction.OPEN)) for r in rows[:12]]
    filters = [(("✓ " if current == "" else "") + _("All regions"), AidDesk(id=0, a=AidDeskAction.LIST))]
    filters += [
        (("✓ " if current == code else "") + name, AidDesk(id=0, a=AidDeskAction.LIST, v=code))
        for code, name in regions
    ]
    return kb(*chunk(open_buttons, 4), *chunk(filters, 2))


def card_text(
    req: AidRequest, region_name: str, tasks: Sequence[tuple[Assignment, Volunteer]], place_name: str | None
) -> str:
    lines = [
        _("<b>Material help № {number}</b> · {status}").format(
            number=req.id, status=status_label(req.status)
        ),
        _("What: {items}").format(items=hd.quote(items_text(req.items))),
        _("For whom, sizes: {details}").format(details=hd.quote(req.details or "—")),
        _("Where: {city}, {region}").format(city=hd.quote(req.city), region=hd.quote(region_name)),
        _("When: {urgency}").format(urgency=urgency_label(req.urgency)),
    ]
    if req.route == "crisis":
        lines.append(_("🆘 The crisis centre works with this family: its request's topic is told."))
    if req.taken_by_name:
        lines.append(_("Taken by: {who}").format(who=hd.quote(req.taken_by_name)))
    if place_name:
        lines.append(_("Collection point: {place}").format(place=hd.quote(place_name)))
    if req.pickup:
        lines.append(_("Pick up: {where}").format(where=hd.quote(req.pickup)))
    for task, vol in tasks:
        lines.append(
            _("Volunteer {name}: {status}").format(
                name=hd.quote(vol.name or f"#{vol.id}"), status=task_status_label(task.status)
            )
        )
    return "\n".join(lines)


def task_status_label(status: str) -> str:
    labels: dict[str, str] = {
        AssignmentStatus.OFFERED: _("offered, waiting for an answer"),
        AssignmentStatus.ACCEPTED: _("accepted"),
        AssignmentStatus.DECLINED: _("declined"),
        AssignmentStatus.DONE: _("done"),
        AssignmentStatus.CANCELLED: _("cancelled"),
    }
    return labels.get(status, status)


def card_kb(req: AidRequest) -> InlineKeyboardMarkup:
    rows: list[Row] = []
    i = req.id
    if req.status == AidStatus.NEW:
        rows.append([(_("Take it"), AidDesk(id=i, a=AidDeskAction.TAKE))])
    if req.status in (AidStatus.TAKEN, AidStatus.COLLECTING, AidStatus.READY):
        rows.append(
            [
                (_("Find a volunteer"), AidDesk(id=i, a=AidDeskAction.MATCH)),
                (_("Collection point"), AidDesk(id=i, a=AidDeskAction.PLACE)),
            ]
        )
        steps: list[tuple[str, AidDesk]] = []
        if req.status != AidStatus.COLLECTING:
            steps.append((_("«Collecting»"), AidDesk(id=i, a=AidDeskAction.COLLECT)))
        steps.append((_("«Ready: address»"), AidDesk(id=i, a=AidDeskAction.PICKUP_TEXT)))
        steps.append((_("«Handed over»"), AidDesk(id=i, a=AidDeskAction.HANDED)))
        rows += chunk(steps, 2)
    if req.status in aid.OPEN_STATUSES and req.status != AidStatus.HANDED:
        rows.append([(_("Could not be met"), AidDesk(id=i, a=AidDeskAction.UNMET))])
    rows.append([(_("« All requests"), AidDesk(id=0, a=AidDeskAction.LIST, v=req.region or ""))])
    return kb(*rows)


def new_request_note(req: AidRequest, region_name: str) -> tuple[str, InlineKeyboardMarkup]:
    text = _("🧺 New request for things № {number}: {items} · {city}, {region} · {urgency}").format(
        number=req.id,
        items=hd.quote(items_text(req.items)),
        city=hd.quote(req.city),
        region=hd.quote(region_name),
        urgency=urgency_label(req.urgency).lower(),
    )
    return text, kb([(_("Open the request"), AidDesk(id=req.id, a=AidDeskAction.OPEN))])


def crisis_topic_note(req: AidRequest) -> str:
    return _(
        "🧺 The family also asked for things (material help № {number}): {items}; {details}. "
        "Coordinators see it in /aid."
    ).format(number=req.id, items=items_text(req.items), details=req.details or "—")


def match_text(req: AidRequest, volunteers: Sequence[Volunteer], skill_labels: dict[str, str]) -> str:
    lines = [
        _("<b>Volunteers for № {number}</b> in {city} and the region").format(
            number=req.id, city=hd.quote(req.city)
        )
    ]
    if not volunteers:
        lines.append(_("No free approved volunteers in this region yet."))
    for v in volunteers:
        skills = ", ".join(skill_labels.get(s, s) for s in v.skills)
        lines.append(
            f"• {hd.quote(v.name or '#' + str(v.id))} · {hd.quote(v.city)} · {skills} · {hd.quote(v.availability)}"
        )
    return "\n".join(lines)


def match_kb(req: AidRequest, volunteers: Sequence[Volunteer]) -> InlineKeyboardMarkup:
    buttons = [
        (
            _("Assign {name}").format(name=v.name or f"#{v.id}"),
            AidDesk(id=req.id, a=AidDeskAction.ASSIGN, v=str(v.id)),
        )
        for v in volunteers[:8]
    ]
    return kb(*chunk(buttons, 1), [(_("« Back"), AidDesk(id=req.id, a=AidDeskAction.OPEN))])


def places_text(req: AidRequest, names: Sequence[str]) -> str:
    if not names:
        return _(
            "The directory has no collection points in this region. Write the address and hours instead."
        )
    return _("Choose the collection point where the family can pick up the things (№ {number}).").format(
        number=req.id
    )


def places_kb(req: AidRequest, places: Sequence[tuple[str, str]]) -> InlineKeyboardMarkup:
    buttons = [(name, AidDesk(id=req.id, a=AidDeskAction.READY, v=pid)) for pid, name in places[:8]]
    return kb(
        *chunk(buttons, 1),
        [(_("Write the address and hours"), AidDesk(id=req.id, a=AidDeskAction.PICKUP_TEXT))],
        [(_("« Back"), AidDesk(id=req.id, a=AidDeskAction.OPEN))],
    )


def unmet_kb(req: AidRequest) -> InlineKeyboardMarkup:
    return kb(
        *[
            [(unmet_label(r), AidDesk(id=req.id, a=AidDeskAction.UNMET_REASON, v=r))]
            for r in aid.UNMET_REASONS
        ],
        [(_("« Back"), AidDesk(id=req.id, a=AidDeskAction.OPEN))],
    )


def place_pickup(catalog: Catalog, place_id: str, locale: str) -> tuple[str, str] | None:
    """A collection point of the directory: its name, and the address and hours the family is told."""
    place = catalog.places.get(place_id) if catalog.places else None
    if place is None:
        return None
    org = place.org
    parts = [org.name.get(locale)]
    if org.address:
        parts.append(org.address)
    if org.hours:
        parts.append(org.hours.get(locale))
    if org.phones:
        parts.append("☎ " + org.phones[0].number)
    return org.name.get(locale), ", ".join(parts)
