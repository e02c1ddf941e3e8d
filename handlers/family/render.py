"""Texts composed from data: contacts, urgent help, crisis replies, statuses. User text is always escaped."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _
from aiogram.utils.markdown import html_decoration as hd

from bot.middlewares.context import UserContext
from bot.services.catalog import Catalog
from bot.services.content import Organisation


def status_label(status: str) -> str:
    return {
        "new": _("received"),
        "queued": _("waiting for a specialist"),
        "in_progress": _("a specialist is working on it"),
        "waiting_family": _("waiting for your answer"),
        "closed": _("closed"),
        "unreachable": _("no connection"),
    }.get(status, status)


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
