"""Texts and keyboards of «near me» and of places sent as venues (`handlers/family/places.py`, `/place`)."""

from __future__ import annotations

from aiogram.types import KeyboardButton, ReplyKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.markdown import html_decoration as hd
from babel.numbers import format_decimal

from bot.services.organisations import Organisation
from bot.services.places import City, Place

# A family this close to a city's point is «in the city» for a place that only has the city's point.
IN_CITY_METRES = 30_000
# Farther than this, the nearest known places are not «near»: say so.
FAR_METRES = 100_000


def location_button() -> str:
    return _("📍 Send my location")


def cancel_button() -> str:
    return _("« Back to the menu")


def prompt_text(kind_label: str | None) -> str:
    what = (
        _("Places for «{kind}» nearest to you.").format(kind=hd.quote(kind_label))
        if kind_label
        else _("Places of help nearest to you.")
    )
    return f"<b>{what}</b>\n\n" + _(
        "Press «📍 Send my location» below, or choose a city. Your location is used only for this answer: "
        "we do not store it."
    )


def prompt_kb(cities: list[tuple[str, City]], lang: str) -> ReplyKeyboardMarkup:
    rows = [[KeyboardButton(text=location_button(), request_location=True)]]
    names = [KeyboardButton(text=c.name.get(lang)) for _, c in cities]
    rows += [names[i : i + 2] for i in range(0, len(names), 2)]
    rows.append([KeyboardButton(text=cancel_button())])
    return ReplyKeyboardMarkup(keyboard=rows, resize_keyboard=True, one_time_keyboard=True)


def distance_text(metres: float, lang: str) -> str:
    """«≈ 350 м», «≈ 1,2 км», «≈ 63 км» (the decimal mark of the language)."""
    if metres < 1000:
        return _("≈ {m} m").format(m=max(10, round(metres / 10) * 10))
    km = metres / 1000
    number = format_decimal(round(km, 1), format="0.0", locale=lang) if km < 10 else str(round(km))
    return _("≈ {km} km").format(km=number)


def where_text(place: Place, lang: str, metres: float | None) -> str:
    """«≈ 350 m from you», or for a city-level place «in the city of Volgograd» (plus how far the city is)."""
    city = place.city.name.get(lang)
    if not place.city_level:
        return (
            _("{distance} from you").format(distance=distance_text(metres, lang))
            if metres is not None
            else ""
        )
    if metres is None or metres <= IN_CITY_METRES:
        return _("in the city of {city}").format(city=hd.quote(city))
    return _("in the city of {city}, {distance} from you").format(
        city=hd.quote(city), distance=distance_text(metres, lang)
    )


def venue_title(org: Organisation, lang: str) -> str:
    return org.name.get(lang)[:256]


def venue_address(place: Place, lang: str) -> str:
    return (place.org.address or place.city.name.get(lang))[:256]


def place_card(place: Place, lang: str, metres: float | None, number: int | None = None) -> str:
    org = place.org
    head = f"{number}. " if number is not None else ""
    lines = [f"{head}<b>{hd.quote(org.name.get(lang))}</b>"]
    where = where_text(place, lang, metres)
    if where:
        lines.append("📍 " + where)
    if org.address:
        lines.append(hd.quote(org.address))
    for phone in org.phones:
        note = f" ({hd.quote(phone.note.get(lang))})" if phone.note else ""
        lines.append(f"☎ {hd.quote(phone.number)}{note}")
    if not org.phones:
        lines.append(_("No phone in our source yet."))
    if org.hours:
        lines.append("🕘 " + hd.quote(org.hours.get(lang)))
    if org.note:
        lines.append(f"<i>{hd.quote(org.note.get(lang))}</i>")
    if place.city_level:
        lines.append(_("<i>The pin shows the city, not the building: we have no exact point for it.</i>"))
    return "\n".join(lines)


def line_card(org: Organisation, lang: str) -> str:
    """A regional phone line in brief: name, phones, hours."""
    lines = [f"<b>{hd.quote(org.name.get(lang))}</b>"]
    for phone in org.phones:
        note = f" ({hd.quote(phone.note.get(lang))})" if phone.note else ""
        lines.append(f"☎ {hd.quote(phone.number)}{note}")
    if org.hours:
        lines.append("🕘 " + hd.quote(org.hours.get(lang)))
    return "\n".join(lines)


def lines_block(orgs: list[Organisation], lang: str) -> list[str]:
    if not orgs:
        return []
    head = _("By phone in your region:")
    return [f"<b>{head}</b>", *(line_card(o, lang) for o in orgs)]


def answer_text(cards: list[str], far: bool, lines: list[str] | None = None) -> str:
    head = (
        _("There are no places from our directory near you. These are the nearest we know:")
        if far
        else _("The nearest places:")
    )
    foot = _("Your location was used only for this answer and is not stored. /menu: the main menu.")
    return "\n\n".join([f"<b>{head}</b>", *cards, *(lines or []), f"<i>{foot}</i>"])


def city_answer_text(city: City, lang: str, cards: list[str], lines: list[str] | None = None) -> str:
    head = _("Places in {city}:").format(city=hd.quote(city.name.get(lang)))
    return "\n\n".join([f"<b>{head}</b>", *cards, *(lines or []), _("/menu: the main menu.")])


def nothing_text() -> str:
    return _(
        "We have no places of this kind in our directory yet. The hotlines in «Contacts» work everywhere."
    )


# --- staff: /place ------------------------------------------------------------------------------------------


def staff_usage() -> str:
    return _(
        "Send a place to the family: /place id, or /place words from its name or address "
        "(for example /place Пенза Крупской)."
    )


def staff_choices(found: list[Place], lang: str) -> str:
    lines = [_("Several places match; send /place with the id:")]
    lines += [
        f"• <code>{hd.quote(p.id)}</code> — {hd.quote(p.org.name.get(lang))}, {hd.quote(venue_address(p, lang))}"
        for p in found
    ]
    return "\n".join(lines)


def staff_none() -> str:
    return _("No place matches. Try other words, or the id from the directory.")


def staff_sent(place: Place, lang: str) -> str:
    return _("Sent to the family as a place on the map: {name}.").format(
        name=hd.quote(place.org.name.get(lang))
    )


def contacts_shown(orgs: list, *, regional: int = 5, federal: int = 3) -> list:
    """«Контакты»: the region's own places and lines first (up to `regional`), then federal lines."""
    own = [o for o in orgs if not o.is_federal][:regional]
    return own + [o for o in orgs if o.is_federal][:federal]
