"""Reports for the authorities: figures for a period and a region, aggregated, without personal data.

No Telegram here. :func:`build` gathers the figures; :mod:`bot.services.report_files` turns them into a chart
(PNG), an XLSX workbook (a sheet per table) and a CSV file. Labels are English msgids marked with ``N_`` and
translated by the caller (``t``), so the bot and the CLI write the same files.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Broadcast, BroadcastAnswer, BroadcastRecipient, Case, CrisisEvent, Family, FollowUp
from bot.services import aid, card_partners, events, unanswered
from bot.services import followup as fu


def N_(message: str) -> str:
    return message


@dataclass
class Period:
    start: date
    end: date  # inclusive
    tz: ZoneInfo

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time.min, self.tz)

    @property
    def until(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time.min, self.tz)

    def label(self) -> str:
        return f"{self.start:%d.%m.%Y}–{self.end:%d.%m.%Y}"


def last_days(days: int, tz: ZoneInfo, today: date | None = None) -> Period:
    today = today or datetime.now(tz).date()
    return Period(today - timedelta(days=days - 1), today, tz)


@dataclass
class Table:
    key: str
    title: str  # an N_ msgid
    headers: list[str]  # N_ msgids
    rows: list[list[Any]]


@dataclass
class Figures:
    period: Period
    region: str | None
    summary: dict[str, Any]
    tables: list[Table] = field(default_factory=list)
    weekly: dict[str, dict[str, int]] = field(default_factory=dict)  # week start → category → requests
    first_response_minutes: list[float] = field(default_factory=list)
    close_hours: list[float] = field(default_factory=list)
    ratings: dict[int, int] = field(default_factory=dict)

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return round(values[0], 1)
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return round(ordered[low] + (ordered[high] - ordered[low]) * (k - low), 1)


def _counter_rows(counter: Counter, keys: list[str] | None = None) -> list[list[Any]]:
    keys = keys if keys is not None else sorted(counter, key=lambda k: (-counter[k], str(k)))
    return [[k, counter.get(k, 0)] for k in keys]


SUMMARY_LABELS = {
    "requests": N_("Requests"),
    "open": N_("Open"),
    "closed": N_("Closed"),
    "unreachable": N_("Family unreachable"),
    "first_response_median_min": N_("Time to first response, median (min)"),
    "first_response_p90_min": N_("Time to first response, 90th percentile (min)"),
    "close_median_h": N_("Time to close, median (h)"),
    "close_p90_h": N_("Time to close, 90th percentile (h)"),
    "rated": N_("Requests rated"),
    "rating_avg": N_("Average rating (1–5)"),
    "crisis_events": N_("Danger signals answered with emergency contacts"),
    "crisis_requests": N_("Crisis requests (tier 3)"),
    "measures_screened": N_("Families who saw support-measure results"),
    "followups_asked": N_("Follow-ups asked"),
    "followups_answered": N_("Follow-ups answered"),
    "unmet_needs": N_("Unmet needs tagged"),
    "unanswered": N_("Questions the bot could not answer"),
    "broadcasts": N_("Broadcasts sent"),
    "families_reached": N_("Families reached by broadcasts"),
    "cards_valid": N_("Family cards valid at the end of the period"),
    "cards_issued": N_("Family cards issued"),
    "card_applications": N_("Card applications received"),
    "card_approved": N_("Card applications approved"),
    "card_rejected": N_("Card applications not approved"),
    "card_checks": N_("Card checks by partners"),
    "card_redeemed": N_("Discounts given by partners"),
    "aid_requests": N_("Material help: requests"),
    "aid_closed": N_("Material help: received (confirmed by the family)"),
    "aid_unmet": N_("Material help: could not be met"),
    "aid_open": N_("Material help: open"),
    "aid_fulfil_median_h": N_("Material help: time to hand over, median (h)"),
    "events_held": N_("Events: sessions held"),
    "event_registrations": N_("Events: families registered"),
    "event_attended": N_("Events: families who came"),
    "event_useful": N_("Events: «it was useful» answers"),
}


async def build(session: AsyncSession, period: Period, region: str | None) -> Figures:
    since, until = period.since, period.until
    q = select(Case).where(Case.opened_at >= since, Case.opened_at < until)
    if region:
        q = q.where(Case.region == region)
    cases = list((await session.scalars(q)).all())

    by_category = Counter(c.category for c in cases)
    by_tier = Counter(str(c.tier) for c in cases)
    by_urgency = Counter(c.urgency for c in cases)
    by_status = Counter(c.status for c in cases)
    first = [
        (c.first_response_at - c.opened_at).total_seconds() / 60
        for c in cases
        if c.first_response_at is not None
    ]
    close = [(c.closed_at - c.opened_at).total_seconds() / 3600 for c in cases if c.closed_at is not None]
    ratings = Counter(c.rating for c in cases if c.rating)
    unmet = Counter(n.strip().lower()[:60] for c in cases for n in (c.unmet_needs or []) if n and n.strip())

    weekly: dict[str, dict[str, int]] = {}
    for c in cases:
        local = c.opened_at.astimezone(period.tz).date()
        week = (local - timedelta(days=local.weekday())).isoformat()
        weekly.setdefault(week, {}).setdefault(c.category, 0)
        weekly[week][c.category] += 1

    cq = select(CrisisEvent.source, func.count()).where(
        CrisisEvent.created_at >= since, CrisisEvent.created_at < until
    )
    if region:
        cq = cq.where(CrisisEvent.region == region)
    crisis_by_source = Counter(dict((await session.execute(cq.group_by(CrisisEvent.source))).all()))

    # Support measures: families who saw results (a follow-up is scheduled at that moment) and their answers.
    sq = select(func.count(func.distinct(FollowUp.family_id))).where(
        FollowUp.created_at >= since, FollowUp.created_at < until
    )
    fq = select(FollowUp).where(
        FollowUp.sent_at.is_not(None), FollowUp.sent_at >= since, FollowUp.sent_at < until
    )
    if region:
        sq, fq = sq.where(FollowUp.region == region), fq.where(FollowUp.region == region)
    screened = (await session.scalar(sq)) or 0
    followups = list((await session.scalars(fq)).all())
    answers = Counter(f.answer for f in followups if f.answer)
    reasons = Counter(f.reason for f in followups if f.reason)

    rq = (
        select(func.count(func.distinct(BroadcastRecipient.family_id)))
        .join(Family, Family.id == BroadcastRecipient.family_id)
        .where(
            BroadcastRecipient.status == "sent",
            BroadcastRecipient.sent_at >= since,
            BroadcastRecipient.sent_at < until,
        )
    )
    bq = (
        select(Broadcast.id, func.count(BroadcastRecipient.id))
        .join(BroadcastRecipient, BroadcastRecipient.broadcast_id == Broadcast.id)
        .join(Family, Family.id == BroadcastRecipient.family_id)
        .where(
            BroadcastRecipient.status == "sent",
            BroadcastRecipient.sent_at >= since,
            BroadcastRecipient.sent_at < until,
        )
    )
    aq = (
        select(BroadcastAnswer.broadcast_id, func.count())
        .join(Family, Family.id == BroadcastAnswer.family_id)
        .where(BroadcastAnswer.answered_at >= since, BroadcastAnswer.answered_at < until)
    )
    if region:
        rq, bq, aq = (
            rq.where(Family.region == region),
            bq.where(Family.region == region),
            aq.where(Family.region == region),
        )
    reached = (await session.scalar(rq)) or 0
    per_broadcast = dict((await session.execute(bq.group_by(Broadcast.id))).all())
    answers_per_broadcast = dict((await session.execute(aq.group_by(BroadcastAnswer.broadcast_id))).all())

    not_answered = await unanswered.by_theme(session, period.start, period.end, region)
    cards = await card_partners.programme_stats(session, since=since, until=until, region=region)
    card_totals = cards.totals
    things = await aid.figures(session, since, until, region)
    gatherings = await events.figures(session, since, until, region)

    open_count = sum(n for s, n in by_status.items() if s not in ("closed", "unreachable"))
    summary = {
        "requests": len(cases),
        "open": open_count,
        "closed": by_status.get("closed", 0),
        "unreachable": by_status.get("unreachable", 0),
        "first_response_median_min": round(statistics.median(first), 1) if first else None,
        "first_response_p90_min": _pct(first, 0.9),
        "close_median_h": round(statistics.median(close), 1) if close else None,
        "close_p90_h": _pct(close, 0.9),
        "rated": sum(ratings.values()),
        "rating_avg": round(sum(k * v for k, v in ratings.items()) / sum(ratings.values()), 2)
        if ratings
        else None,
        "crisis_events": sum(crisis_by_source.values()),
        "crisis_requests": by_tier.get("3", 0),
        "measures_screened": screened,
        "followups_asked": len(followups),
        "followups_answered": sum(answers.values()),
        "unmet_needs": sum(unmet.values()),
        "unanswered": sum(n for _theme, n in not_answered),
        "broadcasts": len(per_broadcast),
        "families_reached": reached,
        "cards_valid": card_totals["valid"],
        "cards_issued": card_totals["issued"],
        "card_applications": card_totals["applications"],
        "card_approved": card_totals["approved"],
        "card_rejected": card_totals["rejected"],
        "card_checks": card_totals["partner_checks"],
        "card_redeemed": card_totals["partner_redeemed"],
        "aid_requests": things.requests,
        "aid_closed": things.closed,
        "aid_unmet": things.unmet,
        "aid_open": things.open,
        "aid_fulfil_median_h": things.fulfil_median_h,
        "events_held": gatherings.held,
        "event_registrations": gatherings.registrations,
        "event_attended": gatherings.attended,
        "event_useful": gatherings.useful_yes,
    }
    tables = [
        Table("summary", N_("Summary"), [N_("Figure"), N_("Value")], [[k, v] for k, v in summary.items()]),
        Table(
            "categories",
            N_("Requests by category"),
            [N_("Category"), N_("Requests")],
            _counter_rows(by_category),
        ),
        Table(
            "tiers",
            N_("Requests by tier"),
            [N_("Tier"), N_("Requests")],
            _counter_rows(by_tier, ["1", "2", "3"]),
        ),
        Table(
            "urgency",
            N_("Requests by urgency"),
            [N_("Urgency"), N_("Requests")],
            _counter_rows(by_urgency, ["routine", "soon", "urgent", "emergency"]),
        ),
        Table("statuses", N_("Requests by status"), [N_("Status"), N_("Requests")], _counter_rows(by_status)),
        Table(
            "ratings",
            N_("Ratings"),
            [N_("Rating"), N_("Requests")],
            [[r, ratings.get(r, 0)] for r in range(1, 6)],
        ),
        Table(
            "crisis",
            N_("Danger signals by source"),
            [N_("Source"), N_("Events")],
            _counter_rows(crisis_by_source),
        ),
        Table(
            "followup_answers",
            N_("Support measures: follow-up answers"),
            [N_("Answer"), N_("Families")],
            _counter_rows(answers, list(fu.ANSWERS)),
        ),
        Table(
            "followup_reasons",
            N_("Did not apply: reasons"),
            [N_("Reason"), N_("Families")],
            _counter_rows(reasons, list(fu.REASONS)),
        ),
        Table(
            "unmet_needs",
            N_("Unmet needs tagged by operators"),
            [N_("Need"), N_("Requests")],
            _counter_rows(unmet),
        ),
        Table(
            "unanswered",
            N_("Questions the bot could not answer, by theme"),
            [N_("Theme"), N_("Questions")],
            [[theme, n] for theme, n in not_answered],
        ),
        Table(
            "broadcasts",
            N_("Broadcasts"),
            [N_("Broadcast"), N_("Families reached"), N_("Answers")],
            [[bid, n, answers_per_broadcast.get(bid, 0)] for bid, n in sorted(per_broadcast.items())],
        ),
        Table(
            "card_regions",
            N_("Family card by region"),
            [
                N_("Region"),
                N_("Valid cards"),
                N_("Cards issued"),
                N_("Applications"),
                N_("Approved"),
                N_("Not approved"),
                N_("Checks"),
                N_("Discounts given"),
            ],
            [[code, *(f[k] for k in card_partners.REGION_FIGURES)] for code, f in cards.by_region.items()],
        ),
        Table(
            "card_partners",
            N_("Family card checks by partner"),
            [N_("Partner"), N_("Checks"), N_("Valid cards"), N_("Discounts given")],
            [list(row) for row in cards.partner_rows],
        ),
        Table(
            "aid_items",
            N_("Material help by kind of thing"),
            [N_("Kind"), N_("Requests"), N_("Could not be met")],
            [
                [k, things.by_item[k], things.unmet_by_item.get(k, 0)]
                for k in aid.ITEMS
                if things.by_item.get(k)
            ],
        ),
        Table(
            "aid_regions",
            N_("Material help by region"),
            [N_("Region"), N_("Requests")],
            _counter_rows(things.by_region),
        ),
        Table(
            "aid_unmet",
            N_("Material help: why it could not be met"),
            [N_("Reason"), N_("Requests")],
            _counter_rows(things.unmet_by_reason, list(aid.UNMET_REASONS)),
        ),
        Table(
            "event_kinds",
            N_("Events by kind"),
            [N_("Kind"), N_("Sessions held"), N_("Families who came")],
            [
                [k, gatherings.by_kind[k], gatherings.attended_by_kind.get(k, 0)]
                for k in events.KINDS
                if gatherings.by_kind.get(k)
            ],
        ),
        Table(
            "weekly",
            N_("Requests per week by category"),
            [N_("Week"), N_("Category"), N_("Requests")],
            [[w, cat, n] for w in sorted(weekly) for cat, n in sorted(weekly[w].items())],
        ),
    ]
    return Figures(
        period=period,
        region=region,
        summary=summary,
        tables=tables,
        weekly=weekly,
        first_response_minutes=first,
        close_hours=close,
        ratings={r: ratings.get(r, 0) for r in range(1, 6)},
    )
