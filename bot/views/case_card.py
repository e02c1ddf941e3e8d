"""The case card staff see at the top of each topic, and the labels the desk shows. Staff texts use the
default locale (one shared group); what a family wrote is always escaped."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.markdown import html_decoration as hd
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Case, Family, Staff, WellbeingCheckin
from bot.db.statuses import CaseStatus
from bot.services import checkin, dates, desk
from bot.services.catalog import Catalog
from bot.services.profile import FIELDS
from bot.views.callbacks import CaseAct, CaseAction
from bot.views.profile import answer_label, field_title
from bot.views.ui import kb

log = logging.getLogger(__name__)


def category_label(code: str) -> str:
    return {
        "children_health_education": _("Children: health and education"),
        "disability": _("Disability"),
        "family_relationships": _("Family relationships"),
        "housing": _("Housing"),
        "legal": _("Legal question"),
        "material_help": _("Material help"),
        "other": _("Other"),
        "pregnancy_infants": _("Pregnancy and infants"),
        "psychological": _("Psychological support"),
        "social_benefits": _("Benefits and payments"),
        "violence_safety": _("Violence and safety"),
    }.get(code, code)


def urgency_label(code: str) -> str:
    return {
        "routine": _("routine"),
        "soon": _("soon"),
        "urgent": _("urgent"),
        "emergency": _("EMERGENCY"),
    }.get(code, code)


def staff_status_label(code: str) -> str:
    labels: dict[str, str] = {
        CaseStatus.NEW: _("new"),
        CaseStatus.QUEUED: _("in the queue"),
        CaseStatus.IN_PROGRESS: _("in progress"),
        CaseStatus.WAITING_FAMILY: _("waiting for the family"),
        CaseStatus.CLOSED: _("closed"),
        CaseStatus.UNREACHABLE: _("family unreachable"),
    }
    return labels.get(code, code)


def specialty_name(code: str | None) -> str:
    return {
        "lawyer": _("lawyer"),
        "psychologist": _("psychologist"),
        "social_consultant": _("social consultant"),
        None: _("any specialist"),
    }.get(code, code or "")


def staff_name(staff: Staff | None) -> str:
    if staff is None:
        return "—"
    return hd.quote(staff.name or f"id {staff.tg_user_id}")


def mention(staff: Staff) -> str:
    return f'<a href="tg://user?id={staff.tg_user_id}">{staff_name(staff)}</a>'


def family_label(family: Family | None) -> str:
    if family is None:
        return _("family data erased")
    label = _("Family № {number}").format(number=family.id)
    if family.share_name and family.display_name:
        label += f" ({hd.quote(family.display_name)})"
    return label


def title_for(case: Case, catalog: Catalog, locale: str) -> str:
    region = catalog.region(case.region)
    return desk.topic_title(case, category_label(case.category), region.code if region else "—")


def _danger_title(catalog: Catalog, code: object) -> str:
    spec = catalog.detector.lexicon.categories.get(str(code))
    return spec.title if spec is not None and spec.title else str(code)


def card_text(
    case: Case,
    family: Family | None,
    owner: Staff | None,
    previous: list[Case],
    catalog: Catalog,
    locale: str,
    wellbeing: WellbeingCheckin | None = None,
) -> str:
    region = catalog.region(case.region)
    tier = _("tier 3: crisis centre") if case.tier == 3 else _("tier 2: consultation")
    lines = [
        _("<b>Request № {number}</b> · {status}").format(
            number=case.id, status=staff_status_label(case.status)
        ),
        f"{desk.URGENCY_ICONS.get(case.urgency, '')} {urgency_label(case.urgency)} · "
        f"{category_label(case.category)} · {tier}",
        _("Who: {family}").format(family=family_label(family)),
        _("Region: {region}").format(region=hd.quote(region.name.get(locale)) if region else "—"),
        _("Specialist: {who}").format(who=specialty_name(case.specialty)),
        _("Owner: {who}").format(who=staff_name(owner)),
        _("Opened: {at} (UTC)").format(at=f"{dates.full(case.opened_at, locale)}, {case.opened_at:%H:%M}"),
    ]
    summary = case.summary or {}
    pairs = catalog.triage_summary(summary.get("triage") or [], locale)
    if pairs:
        lines.append("")
        lines.append(_("<b>What happened (triage)</b>"))
        lines += [f"• {hd.quote(q)} — {hd.quote(a)}" for q, a in pairs]
    outcome = catalog.triage_outcome(summary.get("outcome") or "")
    if outcome is not None:
        lines.append(_("Outcome: {title}").format(title=hd.quote(outcome.title.get(locale))))
    if summary.get("screener"):
        lines.append("")
        lines.append(_("<b>Screener answers</b>"))
        lines += [f"• {hd.quote(str(k))}: {hd.quote(str(v))}" for k, v in summary["screener"].items()]
        likely = summary.get("likely") or []
        if likely:
            lines.append(_("Likely measures: {ids}").format(ids=hd.quote(", ".join(likely))))
    if summary.get("crisis"):
        lines.append(_("⚠️ The family asked for the crisis centre after a danger signal."))
    danger = summary.get("danger")
    if isinstance(danger, dict):
        level = _("clear") if danger.get("level") == "clear" else _("possible")
        lines.append(
            _("⚠️ Danger signal ({level}): {categories}. Words: «{words}»").format(
                level=level,
                categories=hd.quote(
                    ", ".join(_danger_title(catalog, c) for c in danger.get("categories") or [])
                ),
                words=hd.quote("», «".join(str(w) for w in danger.get("evidence") or [])),
            )
        )
    if isinstance(summary.get("intent"), str):
        lines.append(
            _("What the bot understood: {intent}").format(
                intent=hd.quote(catalog.intent_title(summary["intent"], locale))
            )
        )
    profile = (family.profile if family else None) or {}
    known = [f for f in FIELDS if profile.get(f) is not None]
    if known:
        lines.append("")
        lines.append(_("<b>Family profile</b>"))
        lines += [f"• {field_title(f)}: {answer_label(f, profile.get(f))}" for f in known]
    if wellbeing is not None:  # the family agreed to show its latest «How is your family?»
        from bot.services.checkin import load
        from bot.views.checkin import card_lines

        lines += card_lines(wellbeing, load(catalog.data_dir), locale)
    if previous:
        lines.append("")
        lines.append(_("<b>Previous requests</b>"))
        lines += [
            f"• №{c.id} {category_label(c.category)} — {staff_status_label(c.status)}" for c in previous
        ]
    if case.unmet_needs:
        lines.append("")
        lines.append(_("<b>Unmet needs</b>"))
        lines += [f"• {hd.quote(n)}" for n in case.unmet_needs]
    text = "\n".join(lines)
    return text if len(text) <= 4000 else text[:3999] + "…"


def card_kb(case: Case) -> InlineKeyboardMarkup:
    if case.status == CaseStatus.CLOSED:
        return kb([(_("Reopen"), CaseAct(id=case.id, a=CaseAction.REOPEN))])
    first = []
    if case.owner_id is None:
        first.append((_("Take"), CaseAct(id=case.id, a=CaseAction.TAKE)))
    first.append((_("Transfer"), CaseAct(id=case.id, a=CaseAction.TRANSFER)))
    return kb(
        first,
        [
            (_("Note"), CaseAct(id=case.id, a=CaseAction.NOTE)),
            (_("Close"), CaseAct(id=case.id, a=CaseAction.CLOSE)),
        ],
    )


def transfer_kb(case: Case, catalog: Catalog, locale: str) -> InlineKeyboardMarkup:
    rows = [
        [(specialty_name(s), CaseAct(id=case.id, a=CaseAction.SPEC, v=s))]
        for s in ("lawyer", "psychologist", "social_consultant")
        if s != case.specialty
    ]
    if case.tier != 3:
        rows.append([(_("Crisis centre"), CaseAct(id=case.id, a=CaseAction.CRISIS))])
    regions = [
        (r.name.get(locale), CaseAct(id=case.id, a=CaseAction.REGION, v=r.code))
        for r in catalog.regions
        if r.code != case.region
    ]
    rows += [regions[i : i + 2] for i in range(0, len(regions), 2)]
    rows.append([(_("« Back"), CaseAct(id=case.id, a=CaseAction.BACK))])
    return kb(*rows)


async def sync_topic(bot: Bot, session: AsyncSession, case: Case, catalog: Catalog, locale: str) -> None:
    """Bring the topic in line with the case: the card's text and buttons, the title, open or closed."""
    if case.chat_id is None or case.thread_id is None:
        return
    family, owner, previous = await desk.card_parties(session, case)
    calls = []
    if case.card_message_id:
        shared = await checkin.for_card(session, case.family_id)
        text = card_text(case, family, owner, previous, catalog, locale, shared)
        calls.append(
            lambda: bot.edit_message_text(
                text, chat_id=case.chat_id, message_id=case.card_message_id, reply_markup=card_kb(case)
            )
        )
    title = title_for(case, catalog, locale)
    calls.append(lambda: bot.edit_forum_topic(case.chat_id, case.thread_id, name=title))
    if case.status == CaseStatus.CLOSED:
        calls.append(lambda: bot.close_forum_topic(case.chat_id, case.thread_id))
    else:
        calls.append(lambda: bot.reopen_forum_topic(case.chat_id, case.thread_id))
    for call in calls:
        try:
            await call()
        except TelegramBadRequest as exc:  # "not modified" and the like: the topic already shows it
            log.info("topic of case %s: %s", case.id, exc.message)
