"""Partners of the card programme: organisations, their staff, invitations, offers, statistics. No Telegram.

An offer is proposed → live (a coordinator approved it) | rejected; a live offer becomes expired after its
`valid_until` (the catalogue never shows it from that moment; the scan job also writes the status) or
withdrawn by the partner.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import rows_affected, utcnow
from bot.db.models import (
    CardCheck,
    FamilyCard,
    OfferNotice,
    Partner,
    PartnerInvite,
    PartnerMember,
    PartnerOffer,
)
from bot.db.statuses import OfferStatus
from bot.services.audit import audit
from bot.services.card import CardError

OFFER_STATUSES = tuple(s.value for s in OfferStatus)
INVITE_PREFIX = "partner_"
INVITE_DAYS = 7
NAME_MAX = 200
TEXT_MAX = 1000
SHORT_MAX = 100


# --- partners and their staff ----------------------------------------------------------------------------------


async def create_partner(session: AsyncSession, name: str, *, actor_tg_id: int) -> Partner:
    name = " ".join(name.split())[:NAME_MAX]
    if not name:
        raise CardError("a name is required")
    partner = Partner(name=name, created_by=actor_tg_id)
    session.add(partner)
    await session.flush()
    await audit(
        session,
        actor_tg_id=actor_tg_id,
        role="coordinator",
        action="partner.created",
        obj=("partner", partner.id),
        details={"name": name},
    )
    return partner


async def partners(session: AsyncSession) -> list[Partner]:
    return list(await session.scalars(select(Partner).order_by(Partner.active.desc(), Partner.name)))


async def set_partner_active(
    session: AsyncSession, partner: Partner, active: bool, *, actor_tg_id: int
) -> None:
    partner.active = active
    if not active:  # its offers leave the catalogue with it
        await session.execute(
            update(PartnerOffer)
            .where(PartnerOffer.partner_id == partner.id, PartnerOffer.status.in_(("proposed", "live")))
            .values(status="withdrawn")
        )
    await audit(
        session,
        actor_tg_id=actor_tg_id,
        role="coordinator",
        action="partner.enabled" if active else "partner.disabled",
        obj=("partner", partner.id),
    )


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def new_invite(session: AsyncSession, partner: Partner, *, actor_tg_id: int) -> str:
    """A one-time token for the link t.me/<bot>?start=partner_<token>; only its hash is stored."""
    token = secrets.token_urlsafe(18)
    session.add(
        PartnerInvite(
            partner_id=partner.id,
            token_hash=_hash(token),
            expires_at=utcnow() + timedelta(days=INVITE_DAYS),
        )
    )
    await audit(
        session,
        actor_tg_id=actor_tg_id,
        role="coordinator",
        action="partner.invite_created",
        obj=("partner", partner.id),
    )
    return token


async def accept_invite(
    session: AsyncSession, token: str, tg_user_id: int, name: str | None
) -> tuple[Partner, PartnerMember]:
    invite = await session.scalar(select(PartnerInvite).where(PartnerInvite.token_hash == _hash(token)))
    now = utcnow()
    if invite is None or invite.used_at is not None or invite.expires_at < now:
        raise CardError("invalid invite")
    partner = await session.get(Partner, invite.partner_id)
    if partner is None or not partner.active:
        raise CardError("invalid invite")
    member = await session.scalar(select(PartnerMember).where(PartnerMember.tg_user_id == tg_user_id))
    if member is not None and member.active and member.partner_id != partner.id:
        raise CardError("member of another partner")
    # One conditional UPDATE redeems the invitation: of several people opening the same link at once, only the one
    # whose statement finds it still unused gets a row back (PostgreSQL re-checks the condition after the row lock;
    # SQLite runs one writer at a time). A read-then-write let every one of them in.
    taken = await session.execute(
        update(PartnerInvite)
        .where(
            PartnerInvite.id == invite.id,
            PartnerInvite.used_at.is_(None),
            PartnerInvite.expires_at >= now,
        )
        .values(used_at=now, used_by=tg_user_id)
        .execution_options(synchronize_session=False)
    )
    if rows_affected(taken) != 1:
        raise CardError("invalid invite")
    if member is None:
        member = PartnerMember(partner_id=partner.id, tg_user_id=tg_user_id)
        session.add(member)
    member.partner_id, member.active, member.name = partner.id, True, (name or "")[:128] or None
    await session.flush()
    await audit(
        session,
        actor_tg_id=tg_user_id,
        role="partner",
        action="partner.member_added",
        obj=("partner", partner.id),
        details={"member": member.id},
    )
    return partner, member


async def membership(session: AsyncSession, tg_user_id: int) -> tuple[Partner, PartnerMember] | None:
    """The partner a Telegram user works for (active member of an active partner), or None."""
    row = (
        await session.execute(
            select(Partner, PartnerMember)
            .join(PartnerMember, PartnerMember.partner_id == Partner.id)
            .where(
                PartnerMember.tg_user_id == tg_user_id,
                PartnerMember.active.is_(True),
                Partner.active.is_(True),
            )
        )
    ).first()
    return (row[0], row[1]) if row else None


async def members(session: AsyncSession, partner_id: int) -> list[PartnerMember]:
    return list(
        await session.scalars(
            select(PartnerMember)
            .where(PartnerMember.partner_id == partner_id, PartnerMember.active.is_(True))
            .order_by(PartnerMember.id)
        )
    )


async def remove_member(session: AsyncSession, member: PartnerMember, *, actor_tg_id: int) -> None:
    member.active = False
    await audit(
        session,
        actor_tg_id=actor_tg_id,
        role="coordinator",
        action="partner.member_removed",
        obj=("partner", member.partner_id),
        details={"member": member.id},
    )


# --- offers ----------------------------------------------------------------------------------------------------


@dataclass
class OfferDraft:
    kind: str
    text: str
    discount: str
    conditions: str | None
    address: str | None
    online: bool
    valid_until: datetime
    regions: list[str]
    categories: list[str]


async def propose(
    session: AsyncSession, partner: Partner, draft: OfferDraft, *, member_tg_id: int
) -> PartnerOffer:
    if draft.valid_until <= utcnow():
        raise CardError("validity in the past")
    offer = PartnerOffer(
        partner_id=partner.id,
        kind=draft.kind,
        text=draft.text.strip()[:TEXT_MAX],
        discount=draft.discount.strip()[:SHORT_MAX],
        conditions=(draft.conditions or "").strip()[:TEXT_MAX] or None,
        address=(draft.address or "").strip()[:300] or None,
        online=draft.online,
        valid_until=draft.valid_until,
        regions=sorted(set(draft.regions)),
        categories=list(dict.fromkeys(draft.categories)),
        status="proposed",
        created_by=member_tg_id,
    )
    session.add(offer)
    await session.flush()
    await audit(
        session,
        actor_tg_id=member_tg_id,
        role="partner",
        action="offer.proposed",
        obj=("offer", offer.id),
        details={"partner": partner.id},
    )
    return offer


def offer_status(offer: PartnerOffer, now: datetime | None = None) -> str:
    if offer.status == OfferStatus.LIVE and offer.valid_until < (now or utcnow()):
        return "expired"
    return offer.status


async def moderation_queue(session: AsyncSession) -> list[PartnerOffer]:
    return list(
        await session.scalars(
            select(PartnerOffer)
            .where(PartnerOffer.status == "proposed")
            .order_by(PartnerOffer.created_at, PartnerOffer.id)
        )
    )


async def decide_offer(
    session: AsyncSession,
    offer: PartnerOffer,
    *,
    approve: bool,
    actor_tg_id: int,
    reason: str | None = None,
) -> None:
    if offer.status != OfferStatus.PROPOSED:
        raise CardError("already decided")
    if approve and offer.valid_until < utcnow():
        raise CardError("validity in the past")
    if not approve and not (reason or "").strip():
        raise CardError("a reason is required")
    offer.status = "live" if approve else "rejected"
    offer.reason = None if approve else reason.strip()[:500]
    offer.decided_at, offer.decided_by = utcnow(), actor_tg_id
    await audit(
        session,
        actor_tg_id=actor_tg_id,
        role="coordinator",
        action="offer.approved" if approve else "offer.rejected",
        obj=("offer", offer.id),
        details={"partner": offer.partner_id, **({"reason": offer.reason} if not approve else {})},
    )


async def withdraw_offer(session: AsyncSession, offer: PartnerOffer, *, member_tg_id: int) -> None:
    if offer.status not in (OfferStatus.PROPOSED, OfferStatus.LIVE):
        raise CardError("not active")
    offer.status = "withdrawn"
    await audit(
        session,
        actor_tg_id=member_tg_id,
        role="partner",
        action="offer.withdrawn",
        obj=("offer", offer.id),
        details={"partner": offer.partner_id},
    )


async def partner_offers(session: AsyncSession, partner_id: int) -> list[PartnerOffer]:
    return list(
        await session.scalars(
            select(PartnerOffer).where(PartnerOffer.partner_id == partner_id).order_by(PartnerOffer.id.desc())
        )
    )


def matches(offer: PartnerOffer, region: str | None, categories: list[str]) -> bool:
    """An offer is for the family when its region is covered and (if targeted) one category matches."""
    if offer.regions and region not in offer.regions:
        return False
    return not offer.categories or bool(set(offer.categories) & set(categories))


async def live_offers(
    session: AsyncSession, now: datetime | None = None
) -> list[tuple[PartnerOffer, Partner]]:
    now = now or utcnow()
    rows = await session.execute(
        select(PartnerOffer, Partner)
        .join(Partner, Partner.id == PartnerOffer.partner_id)
        .where(
            PartnerOffer.status == "live",
            PartnerOffer.valid_until >= now,
            PartnerOffer.valid_from <= now,
            Partner.active.is_(True),
        )
        .order_by(PartnerOffer.valid_until, PartnerOffer.id)
    )
    return [(o, p) for o, p in rows.all()]


async def catalogue(
    session: AsyncSession, region: str | None, categories: list[str], now: datetime | None = None
) -> list[tuple[PartnerOffer, Partner]]:
    return [(o, p) for o, p in await live_offers(session, now) if matches(o, region, categories)]


async def offers_for_check(
    session: AsyncSession, partner_id: int, card: FamilyCard, now: datetime | None = None
) -> list[PartnerOffer]:
    """The partner's live offers that the checked card's family is entitled to."""
    return [
        o
        for o, _p in await live_offers(session, now)
        if o.partner_id == partner_id and matches(o, card.region, card.categories)
    ]


async def expire_offers(session: AsyncSession, now: datetime | None = None) -> int:
    """Write the «expired» status of live offers whose validity has passed (the catalogue already hides them)."""
    now = now or utcnow()
    result = await session.execute(
        update(PartnerOffer)
        .where(PartnerOffer.status == "live", PartnerOffer.valid_until < now)
        .values(status="expired")
    )
    return rows_affected(result) or 0


# --- new-offer notices (opt-in) --------------------------------------------------------------------------------


@dataclass
class Notice:
    tg_user_id: int
    language: str
    offer_id: int


async def claim_notices(session: AsyncSession, limit: int = 200) -> list[Notice]:
    """Claim (record) the notices to send for live offers not yet announced: never twice to one card."""
    from bot.db.models import Family

    out: list[Notice] = []
    now = utcnow()
    for offer, _partner in await live_offers(session, now):
        if offer.notices_done:
            continue
        cards = (
            await session.execute(
                select(FamilyCard, Family)
                .join(Family, Family.id == FamilyCard.family_id)
                .outerjoin(
                    OfferNotice, (OfferNotice.card_id == FamilyCard.id) & (OfferNotice.offer_id == offer.id)
                )
                .where(
                    FamilyCard.notify_offers.is_(True),
                    FamilyCard.status == "active",
                    FamilyCard.valid_until >= now,
                    Family.is_active.is_(True),
                    OfferNotice.id.is_(None),
                )
            )
        ).all()
        wanted = [(c, f) for c, f in cards if matches(offer, c.region, c.categories)]
        take = wanted[: limit - len(out)]
        for c, f in take:
            session.add(OfferNotice(offer_id=offer.id, card_id=c.id))
            out.append(Notice(f.tg_user_id, f.language, offer.id))
        if len(take) == len(wanted):
            offer.notices_done = True  # cards that opt in later only see it in the catalogue
        if len(out) >= limit:
            break
    await session.flush()
    return out


# --- statistics ------------------------------------------------------------------------------------------------


@dataclass
class MonthStats:
    month: str  # YYYY-MM in the service's time zone
    checks: int
    valid: int
    redemptions: dict[int, int]  # offer id → count


async def partner_stats(
    session: AsyncSession, partner_id: int, tz: ZoneInfo, months: int = 6
) -> list[MonthStats]:
    """Checks and redemptions per offer and month, newest month first (months with no checks are left out)."""
    since = utcnow() - timedelta(days=31 * months)
    rows = (
        await session.execute(
            select(CardCheck.at, CardCheck.result, CardCheck.offer_id).where(
                CardCheck.partner_id == partner_id, CardCheck.at >= since
            )
        )
    ).all()
    by_month: dict[str, MonthStats] = {}
    for at, result, offer_id in rows:
        key = at.astimezone(tz).strftime("%Y-%m")
        m = by_month.setdefault(key, MonthStats(key, 0, 0, {}))
        m.checks += 1
        m.valid += result == "valid"
        if offer_id is not None:
            m.redemptions[offer_id] = m.redemptions.get(offer_id, 0) + 1
    return [by_month[k] for k in sorted(by_month, reverse=True)]


@dataclass
class ProgrammeStats:
    cards_by_region: dict[str, int]  # valid at the end of the period (today by default)
    applications_waiting: int
    offers_live: int
    offers_waiting: int
    checks_by_partner: dict[str, tuple[int, int]]  # partner name → (checks, redemptions) in the period
    # region → {"issued", "applications", "approved", "rejected", "checks", "redeemed"} in the period
    by_region: dict[str, dict[str, int]] = field(default_factory=dict)
    # (partner name, checks, valid cards, redemptions) in the period, by partner
    partner_rows: list[tuple[str, int, int, int]] = field(default_factory=list)

    @property
    def totals(self) -> dict[str, int]:
        keys = ("issued", "applications", "approved", "rejected", "checks", "redeemed")
        out = {k: sum(r.get(k, 0) for r in self.by_region.values()) for k in keys}
        out["valid"] = sum(self.cards_by_region.values())
        out["partner_checks"] = sum(r[1] for r in self.partner_rows)
        out["partner_redeemed"] = sum(r[3] for r in self.partner_rows)
        return out


REGION_FIGURES = ("valid", "issued", "applications", "approved", "rejected", "checks", "redeemed")


async def programme_stats(
    session: AsyncSession,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    region: str | None = None,
) -> ProgrammeStats:
    """Card and redemption figures by region and partner (for coordinators and reports; no family data).

    The period is the last 30 days by default. Valid cards are counted at the period's end (or now, if sooner);
    a check counts for the region of the card it found (checks of unknown numbers count for the partner only).
    """
    from bot.db.models import CardApplication

    now = utcnow()
    until = min(until or now, now)
    since = since or now - timedelta(days=30)
    at = until
    cq = select(FamilyCard).where(FamilyCard.issued_at < until)
    if region:
        cq = cq.where(FamilyCard.region == region)
    cards = (await session.scalars(cq)).all()
    by_region: dict[str, int] = {}
    figures: dict[str, dict[str, int]] = {}

    def bump(code: str, key: str, n: int = 1) -> None:
        figures.setdefault(code, dict.fromkeys(REGION_FIGURES, 0))[key] += n

    for c in cards:
        revoked = c.status == "revoked" and (c.revoked_at is None or c.revoked_at <= at)
        if not revoked and c.valid_until >= at:  # a card revoked later was still valid then
            by_region[c.region] = by_region.get(c.region, 0) + 1
            bump(c.region, "valid")
        if c.issued_at >= since:
            bump(c.region, "issued")
    aq = select(
        CardApplication.region, CardApplication.status, CardApplication.created_at, CardApplication.decided_at
    ).where(
        (CardApplication.created_at >= since) & (CardApplication.created_at < until)
        | (CardApplication.decided_at >= since) & (CardApplication.decided_at < until)
    )
    if region:
        aq = aq.where(CardApplication.region == region)
    for code, status, created, decided in (await session.execute(aq)).all():
        if since <= created < until:
            bump(code, "applications")
        if decided is not None and since <= decided < until and status in ("approved", "rejected"):
            bump(code, status)
    rq = (
        select(FamilyCard.region, func.count(CardCheck.id), func.count(CardCheck.offer_id))
        .join(FamilyCard, FamilyCard.id == CardCheck.card_id)
        .where(CardCheck.at >= since, CardCheck.at < until)
        .group_by(FamilyCard.region)
    )
    if region:
        rq = rq.where(FamilyCard.region == region)
    for code, checks, redeemed in (await session.execute(rq)).all():
        bump(code, "checks", checks)
        bump(code, "redeemed", redeemed)
    waiting = await session.scalar(
        select(func.count(CardApplication.id)).where(CardApplication.status == "submitted")
    )
    live = len(await live_offers(session, now))
    proposed = await session.scalar(
        select(func.count(PartnerOffer.id)).where(PartnerOffer.status == "proposed")
    )
    pq = (
        select(
            Partner.name,
            func.count(CardCheck.id),
            func.count(CardCheck.id).filter(CardCheck.result == "valid"),
            func.count(CardCheck.offer_id),
        )
        .join(CardCheck, CardCheck.partner_id == Partner.id)
        .where(CardCheck.at >= since, CardCheck.at < until)
        .group_by(Partner.id, Partner.name)
        .order_by(Partner.name, Partner.id)
    )
    if region:
        pq = pq.join(FamilyCard, FamilyCard.id == CardCheck.card_id).where(FamilyCard.region == region)
    partner_rows = [
        (name, checks, valid, redeemed) for name, checks, valid, redeemed in (await session.execute(pq)).all()
    ]
    return ProgrammeStats(
        dict(sorted(by_region.items())),
        waiting or 0,
        live,
        proposed or 0,
        {name: (checks, redeemed) for name, checks, _valid, redeemed in partner_rows},
        dict(sorted(figures.items())),
        partner_rows,
    )


async def partner(session: AsyncSession, partner_id: int) -> Partner | None:
    return await session.get(Partner, partner_id)


async def member(session: AsyncSession, member_id: int) -> PartnerMember | None:
    return await session.get(PartnerMember, member_id)


async def offer(session: AsyncSession, offer_id: int) -> PartnerOffer | None:
    return await session.get(PartnerOffer, offer_id)
