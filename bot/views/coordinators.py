"""Texts and keyboards of the coordinators' screens and of announcements as families see them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.markdown import html_decoration as hd

from bot.db.models import Broadcast
from bot.services import broadcasts as bc
from bot.services import dates
from bot.services.catalog import Catalog
from bot.views import aid as aid_views
from bot.views import events as event_views
from bot.views.callbacks import BcAct, BcAction, BcFamily, Nav
from bot.views.case_card import category_label, urgency_label
from bot.views.family import status_label as case_status
from bot.views.ui import Row, chunk, kb

# --- what families see ---------------------------------------------------------------------------------------


def teaser() -> dict[str, Any]:
    """What a family in discreet mode gets first: nothing on the lock screen tells what it is about."""
    return {"kind": "text", "text": _("Hello! We have news for you."), "entities": []}


def family_markup(
    broadcast_id: int, content: dict[str, Any], poll: list[str], *, discreet: bool, preview: bool = False
) -> InlineKeyboardMarkup:
    rows: list[Row] = []
    if discreet:
        rows.append([(_("Show"), BcFamily(b=broadcast_id, a="show"))])
    else:
        rows += [[(label, url)] for label, url in content.get("buttons") or []]
        if content.get("open") == "checkin":  # the invitation to «How is your family?»
            rows.append([(_("How is your family?"), Nav(to="checkin"))])
        rows += chunk([(option, BcFamily(b=broadcast_id, a="ans", o=i)) for i, option in enumerate(poll)], 2)
    off: Row = [(_("Stop announcements"), BcFamily(b=broadcast_id, a="off"))]
    if discreet:
        off.append((_("Hide"), Nav(to="hide")))
    rows.append(off)
    return kb(*rows)


# --- labels --------------------------------------------------------------------------------------------------


def profile_label(tag: str) -> str:
    return {
        "age_0_2": _("child under 3"),
        "age_3_6": _("child 3–6"),
        "age_7_17": _("child 7–17"),
        "large_family": _("large family"),
        "pregnant": _("pregnancy"),
        "child_disability": _("child with a disability"),
        "single_parent": _("single parent"),
        "guardian": _("guardian or foster family"),
        "low_income": _("low income"),
        "military": _("military family"),
    }.get(tag, tag)


def category_name(code: str) -> str:
    return category_label(code)


CATEGORIES = (
    "violence_safety",
    "psychological",
    "family_relationships",
    "legal",
    "social_benefits",
    "material_help",
    "housing",
    "pregnancy_infants",
    "children_health_education",
    "disability",
    "other",
)


def region_name(catalog: Catalog, code: str, locale: str) -> str:
    region = catalog.region(code)
    return region.name.get(locale) if region else code


def segment_lines(segment: dict[str, Any], catalog: Catalog, locale: str) -> list[str]:
    seg = bc.clean_segment(segment)
    every = _("all")
    regions = ", ".join(region_name(catalog, r, locale) for r in seg.get("regions", [])) or every
    profile = ", ".join(profile_label(p) for p in seg.get("profile", [])) or every
    categories = ", ".join(category_name(c) for c in seg.get("categories", [])) or every
    languages = ", ".join(seg.get("languages", [])) or _("any")
    days = seg.get("active_days")
    activity = (
        _("wrote to the bot within {days} day", "wrote to the bot within {days} days", days).format(days=days)
        if days
        else _("any time")
    )
    if seg.get("event"):
        return [_("Families registered for event № {id}").format(id=seg["event"])]
    return [
        _("Region: {value}").format(value=hd.quote(regions)),
        _("Family: {value}").format(value=hd.quote(profile)),
        _("Topics of requests: {value}").format(value=hd.quote(categories)),
        _("Language: {value}").format(value=languages),
        _("Activity: {value}").format(value=activity),
    ]


def reach_line(count: bc.Count) -> str:
    line = _("Will reach: <b>{count}</b> family", "Will reach: <b>{count}</b> families", count.total).format(
        count=count.total
    )
    if count.discreet:
        line += " " + _("(of them in discreet mode: {n})").format(n=count.discreet)
    return line


def draft_text(b: Broadcast, count: bc.Count, catalog: Catalog, locale: str) -> str:
    content = b.content or {}
    kind = {
        "text": _("text"),
        "photo": _("photo"),
        "video": _("video"),
        "document": _("document"),
        "animation": _("animation"),
    }[content.get("kind", "text")]
    lines = [
        _("<b>Announcement № {id}</b>: draft, {kind}").format(id=b.id, kind=kind),
        _("Link buttons: {n}").format(n=len(content.get("buttons") or [])),
        _("«How is your family?» button: {state}").format(
            state=_("yes") if content.get("open") == "checkin" else _("no")
        ),
        _("Question with answers: {options}").format(
            options=hd.quote(" / ".join(b.poll)) if b.poll else _("no")
        ),
        "",
        _("<b>Who gets it</b> (only families who agreed and did not opt out):"),
        *segment_lines(b.segment, catalog, locale),
        "",
        reach_line(count),
    ]
    return "\n".join(lines)


def draft_kb(b: Broadcast) -> InlineKeyboardMarkup:
    return kb(
        [(_("Audience"), BcAct(id=b.id, a=BcAction.AUD))],
        [
            (_("Link buttons"), BcAct(id=b.id, a=BcAction.BTN)),
            (_("Question"), BcAct(id=b.id, a=BcAction.POLL)),
        ],
        [(_("«How is your family?» button"), BcAct(id=b.id, a=BcAction.CHK))],
        [(_("Preview"), BcAct(id=b.id, a=BcAction.PREV))],
        [(_("Send now"), BcAct(id=b.id, a=BcAction.NOW)), (_("Schedule"), BcAct(id=b.id, a=BcAction.WHEN))],
        [(_("Delete draft"), BcAct(id=b.id, a=BcAction.DEL))],
    )


DIMENSIONS = {"r": "regions", "p": "profile", "c": "categories", "l": "languages", "a": "active_days"}


def dimension_title(dim: str) -> str:
    return {
        "r": _("Region"),
        "p": _("Family"),
        "c": _("Topics"),
        "l": _("Language"),
        "a": _("Activity"),
    }[dim]


def audience_kb(b: Broadcast) -> InlineKeyboardMarkup:
    dims = [(dimension_title(d), BcAct(id=b.id, a=BcAction.DIM, v=d)) for d in DIMENSIONS]
    return kb(*chunk(dims, 3), [(_("« Back to the draft"), BcAct(id=b.id, a=BcAction.MENU))])


def dimension_options(dim: str, catalog: Catalog, locale: str) -> list[tuple[str, str]]:
    if dim == "r":
        return [(r.code, r.name.get(locale)) for r in catalog.regions]
    if dim == "p":
        return [(t, profile_label(t)) for t in bc.PROFILE_TAGS]
    if dim == "c":
        return [(c, category_name(c)) for c in CATEGORIES]
    if dim == "l":
        return [("ru", "Русский"), ("en", "English")]
    return [
        (str(d), _("within {days} day", "within {days} days", d).format(days=d)) for d in bc.ACTIVITY_DAYS
    ]


def dimension_kb(b: Broadcast, dim: str, catalog: Catalog, locale: str) -> InlineKeyboardMarkup:
    seg = bc.clean_segment(b.segment)
    key = DIMENSIONS[dim]
    chosen = {str(seg["active_days"])} if key == "active_days" and seg.get(key) else set(seg.get(key) or [])
    buttons = [
        (("✓ " if value in chosen else "") + label, BcAct(id=b.id, a=BcAction.TOG, v=f"{dim}={value}"))
        for value, label in dimension_options(dim, catalog, locale)
    ]
    return kb(
        *chunk(buttons, 2),
        [(_("Everyone"), BcAct(id=b.id, a=BcAction.CLR, v=dim)), (_("Done"), BcAct(id=b.id, a=BcAction.AUD))],
    )


def when_text(b: Broadcast, zone: str) -> str:
    return _(
        "When should announcement № {id} go out? Send the date and time, for example «{example}». "
        "The time is local for the region: {zone}."
    ).format(id=b.id, example=datetime.now(ZoneInfo(zone)).strftime("%d.%m %H:%M"), zone=zone)


def local_time(at: datetime, zone: str) -> str:
    """«7 декабря 2026 г., 09:30» in the zone (dates in words, as the tone guide asks)."""
    local = at.astimezone(ZoneInfo(zone))
    return f"{dates.full(local, get_i18n().current_locale)}, {local:%H:%M}"


# --- progress and report -------------------------------------------------------------------------------------


def status_label(status: str) -> str:
    return {
        bc.DRAFT: _("draft"),
        bc.SCHEDULED: _("scheduled"),
        bc.SENDING: _("sending"),
        bc.DONE: _("sent"),
        bc.CANCELLED: _("stopped"),
    }.get(status, status)


def status_text(report: bc.Report, *, rate: float | None = None) -> str:
    b, c = report.broadcast, report.counts
    lines = [
        _("<b>Announcement № {id}</b>: {status}").format(id=b.id, status=status_label(b.status)),
        _("Sent: {sent} of {total} · left: {left}").format(sent=c[bc.SENT], total=b.total, left=report.left),
        _("Blocked the bot: {blocked} · not delivered: {failed} · skipped: {skipped}").format(
            blocked=c[bc.BLOCKED], failed=c[bc.FAILED], skipped=c[bc.SKIPPED]
        ),
    ]
    if rate is not None and rate > 0:
        line = _("Rate: {rate} messages a second").format(rate=f"{rate:.1f}")
        if b.status == bc.SENDING and report.left:
            line += " · " + _("about {seconds} s left").format(seconds=round(report.left / rate))
        lines.append(line)
    return "\n".join(lines)


def status_kb(b: Broadcast) -> InlineKeyboardMarkup | None:
    if b.status in (bc.SCHEDULED, bc.SENDING):
        return kb([(_("Stop"), BcAct(id=b.id, a=BcAction.CANCEL))])
    return None


def report_text(report: bc.Report) -> str:
    b, c = report.broadcast, report.counts
    lines = [
        _("<b>Announcement № {id}: report</b>").format(id=b.id),
        _("Status: {status}").format(status=status_label(b.status)),
        _("Reached: {sent} of {total} family", "Reached: {sent} of {total} families", b.total).format(
            sent=c[bc.SENT], total=b.total
        ),
        _("Blocked the bot: {n}").format(n=c[bc.BLOCKED]),
        _("Not delivered: {n}").format(n=c[bc.FAILED]),
        _("Skipped (opted out, left or stopped): {n}").format(n=c[bc.SKIPPED]),
    ]
    if c[bc.UNKNOWN]:
        lines.append(
            _("Unconfirmed (the bot restarted during sending, not sent again): {n}").format(n=c[bc.UNKNOWN])
        )
    lines.append(_("Opted out after it: {n}").format(n=report.opted_out_after))
    if report.answers:
        lines += ["", _("<b>Answers</b>")]
        lines += [f"{hd.quote(option)}: {n}" for option, n in report.answers]
    return "\n".join(lines)


def value_label(table: str, value: Any) -> Any:
    """Readable labels for the codes in report tables."""

    if table == "categories":
        return category_name(str(value))
    if table == "urgency":
        return urgency_label(str(value))
    if table == "statuses":
        return case_status(str(value))
    if table == "tiers":
        return _("tier {n}").format(n=value)
    if table == "followup_answers":
        return {
            "got_it": _("got it"),
            "applied_waiting": _("applied, waiting"),
            "refused": _("refused"),
            "not_applied": _("did not apply"),
        }.get(value, value)
    if table == "followup_reasons":
        return {
            "didnt_know_how": _("did not know how"),
            "documents": _("documents"),
            "no_time": _("no time"),
            "other": _("other reason"),
        }.get(value, value)
    if table == "crisis":
        return {"free_text": _("free text"), "triage": _("triage answer")}.get(value, value)
    if table == "aid_items":
        return aid_views.item_label(str(value))
    if table == "aid_unmet":
        return aid_views.unmet_label(str(value))
    if table == "event_kinds":
        return event_views.kind_label(str(value))
    return value


def report_value_label(catalog: Catalog, locale: str) -> Callable[[str, Any], Any]:
    """`value_label`, plus region names for the card tables (the catalogue knows them)."""

    def label(table: str, value: Any) -> Any:
        if table in ("card_regions", "aid_regions"):
            return region_name(catalog, str(value), locale)
        if table == "unanswered":
            return _("no guess") if value == "none" else catalog.intent_title(str(value), locale)
        return value_label(table, value)

    return label
