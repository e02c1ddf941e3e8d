"""The social family card: applications, issued cards, verification by partners. No Telegram here.

Statuses are data: an application is submitted → approved | rejected (or withdrawn by the family); a card is
active → revoked, and «expired» is an active card whose `valid_until` has passed (see `card_status`).

Card numbers are 16 digits: 15 from a cryptographic random source and a Luhn check digit, so a typo is caught
at once and a number cannot be guessed (10^15 possibilities; checks are rate-limited per partner user).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import rows_affected, utcnow
from bot.db.models import CardApplication, CardCheck, Family, FamilyCard, OfferNotice
from bot.db.statuses import ApplicationStatus, CardStatus
from bot.services.audit import audit
from bot.services.card_rules import CardRules

NUMBER_DIGITS = 16
DEEP_LINK_PREFIX = "card_"
APPLICATION_STATUSES = tuple(s.value for s in ApplicationStatus)
CARD_STATUSES = tuple(s.value for s in CardStatus)
CHECK_RESULTS = ("valid", "expired", "revoked", "unknown", "malformed")
REASON_MAX = 500


class CardError(Exception):
    """An action that does not fit the current state (already decided, not eligible…)."""


# --- numbers ---------------------------------------------------------------------------------------------------


def luhn_digit(digits: str) -> str:
    """The Luhn check digit for `digits`."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def luhn_ok(number: str) -> bool:
    return number.isdigit() and len(number) >= 2 and luhn_digit(number[:-1]) == number[-1]


def new_number() -> str:
    body = "".join(secrets.choice("0123456789") for _ in range(NUMBER_DIGITS - 1))
    return body + luhn_digit(body)


def format_number(number: str) -> str:
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))


_LINK = re.compile(r"card_([0-9]+)")


def parse_number(text: str) -> str | None:
    """Digits of a card number typed or pasted (spaces, dashes, a whole deep link); None if it is not one."""
    text = (text or "").strip()
    m = _LINK.search(text)
    digits = m.group(1) if m else re.sub(r"[\s\-–—.]", "", text)
    return digits if digits.isdigit() and len(digits) == NUMBER_DIGITS else None


def looks_like_number(text: str) -> bool:
    return parse_number(text) is not None


def deep_link(bot_username: str, number: str) -> str:
    return f"https://t.me/{bot_username}?start={DEEP_LINK_PREFIX}{number}"


# --- dates -----------------------------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    for d in range(day.day, 27, -1):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    return date(year, month, min(day.day, 28))


def end_of_day(day: date, tz: ZoneInfo) -> datetime:
    """The last second of `day` in the service's time zone, in UTC."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=tz).astimezone(UTC)


def local_date(moment: datetime, tz: ZoneInfo) -> date:
    return moment.astimezone(tz).date()


# --- cards -----------------------------------------------------------------------------------------------------


def card_status(card: FamilyCard, now: datetime | None = None) -> str:
    if card.status == CardStatus.REVOKED:
        return "revoked"
    if card.valid_until < (now or utcnow()):
        return "expired"
    return "active"


def can_renew(card: FamilyCard, rules: CardRules, now: datetime | None = None) -> bool:
    """Renewal is open from `renew_before_days` before the end, and any time after it (not when revoked)."""
    if card.status == CardStatus.REVOKED:
        return False
    now = now or utcnow()
    return card.valid_until - timedelta(days=rules.region(card.region).renew_before_days) <= now


async def family_card(session: AsyncSession, family_id: int) -> FamilyCard | None:
    """The family's newest card (any status)."""
    return await session.scalar(
        select(FamilyCard)
        .where(FamilyCard.family_id == family_id)
        .order_by(FamilyCard.issued_at.desc(), FamilyCard.id.desc())
        .limit(1)
    )


async def pending_application(session: AsyncSession, family_id: int) -> CardApplication | None:
    return await session.scalar(
        select(CardApplication).where(
            CardApplication.family_id == family_id, CardApplication.status == "submitted"
        )
    )


async def last_application(session: AsyncSession, family_id: int) -> CardApplication | None:
    return await session.scalar(
        select(CardApplication)
        .where(CardApplication.family_id == family_id)
        .order_by(CardApplication.id.desc())
        .limit(1)
    )


async def submit(
    session: AsyncSession,
    family: Family,
    rules: CardRules,
    *,
    document_file_id: str | None = None,
) -> CardApplication:
    """A new application (or renewal, when the family has a card that is not revoked)."""
    if family.region is None:
        raise CardError("no region")
    region_rules = rules.region(family.region)
    if not region_rules.open:
        raise CardError("region closed")
    categories = rules.categories_of(family.profile or {})
    if not categories:
        raise CardError("not eligible")
    if region_rules.document_required and not document_file_id:
        raise CardError("document required")
    if await pending_application(session, family.id) is not None:
        raise CardError("already submitted")
    card = await family_card(session, family.id)
    renewal = card if card is not None and card.status != CardStatus.REVOKED else None
    if renewal is not None and not can_renew(renewal, rules):
        raise CardError("not yet renewable")
    app = CardApplication(
        family_id=family.id,
        card_id=renewal.id if renewal else None,
        region=family.region,
        categories=categories,
        document_file_id=document_file_id,
        status="submitted",
    )
    session.add(app)
    await session.flush()
    await audit(
        session,
        actor_tg_id=family.tg_user_id,
        role="family",
        action="card.application_submitted",
        obj=("card_application", app.id),
        details={"region": app.region, "renewal": renewal is not None, "document": bool(document_file_id)},
    )
    return app


async def withdraw(session: AsyncSession, app: CardApplication, family: Family) -> None:
    if app.status != ApplicationStatus.SUBMITTED or app.family_id != family.id:
        raise CardError("not pending")
    app.status, app.document_file_id, app.decided_at = "withdrawn", None, utcnow()
    await audit(
        session,
        actor_tg_id=family.tg_user_id,
        role="family",
        action="card.application_withdrawn",
        obj=("card_application", app.id),
    )


async def queue(session: AsyncSession) -> list[CardApplication]:
    """Applications waiting for a decision, oldest first."""
    rows = await session.scalars(
        select(CardApplication)
        .where(CardApplication.status == "submitted")
        .order_by(CardApplication.created_at, CardApplication.id)
    )
    return list(rows)


@dataclass
class TakeResult:
    ok: bool
    app: CardApplication | None
    taken_by_name: str | None  # who holds it (the caller when ok)


async def take(
    session: AsyncSession,
    app_id: int,
    *,
    actor_tg_id: int,
    actor_name: str,
    actor_role: str = "coordinator",
) -> TakeResult:
    """Atomic, like the desk's take: of two coordinators pressing at once exactly one takes the application.

    Taking does not lock the decision (anyone with the role may still decide); it shows the others who works on it.
    """
    name = (" ".join(actor_name.split()) or str(actor_tg_id))[:128]
    result = await session.execute(
        update(CardApplication)
        .where(
            CardApplication.id == app_id,
            CardApplication.status == "submitted",
            CardApplication.taken_by.is_(None),
        )
        .values(taken_by=actor_tg_id, taken_by_name=name, taken_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    app = await session.get(CardApplication, app_id, populate_existing=True)
    if rows_affected(result) != 1 or app is None:
        return TakeResult(False, app, app.taken_by_name if app is not None else None)
    await audit(
        session,
        actor_tg_id=actor_tg_id,
        role=actor_role,
        action="card.application_taken",
        obj=("card_application", app.id),
    )
    return TakeResult(True, app, name)


async def approve(
    session: AsyncSession,
    app: CardApplication,
    rules: CardRules,
    tz: ZoneInfo,
    *,
    actor_tg_id: int,
    actor_role: str = "coordinator",
    now: datetime | None = None,
) -> FamilyCard:
    """Issue the card (or extend the one being renewed). The document's file id is forgotten."""
    if app.status != ApplicationStatus.SUBMITTED or app.family_id is None:
        raise CardError("already decided")
    now = now or utcnow()
    months = rules.region(app.region).validity_months
    card = await session.get(FamilyCard, app.card_id) if app.card_id else None
    if card is not None and card.status != CardStatus.REVOKED and card.family_id == app.family_id:
        start = max(local_date(now, tz), local_date(card.valid_until, tz))
        card.valid_until = end_of_day(add_months(start, months), tz)
        card.categories, card.region = list(app.categories), app.region
        action = "card.renewed"
    else:
        card = FamilyCard(
            number=await _unused_number(session),
            family_id=app.family_id,
            region=app.region,
            categories=list(app.categories),
            status="active",
            issued_at=now,
            valid_until=end_of_day(add_months(local_date(now, tz), months), tz),
        )
        session.add(card)
        action = "card.issued"
    app.status, app.decided_at, app.decided_by, app.document_file_id = "approved", now, actor_tg_id, None
    await session.flush()
    app.card_id = card.id
    await audit(
        session,
        actor_tg_id=actor_tg_id,
        role=actor_role,
        action="card.application_approved",
        obj=("card_application", app.id),
        details={"card": card.id},
    )
    await audit(
        session,
        actor_tg_id=actor_tg_id,
        role=actor_role,
        action=action,
        obj=("card", card.id),
        details={"valid_until": card.valid_until.isoformat(), "categories": card.categories},
    )
    return card


async def _unused_number(session: AsyncSession) -> str:
    while True:
        number = new_number()
        if await session.scalar(select(FamilyCard.id).where(FamilyCard.number == number)) is None:
            return number


async def reject(
    session: AsyncSession,
    app: CardApplication,
    reason: str,
    *,
    actor_tg_id: int,
    actor_role: str = "coordinator",
) -> None:
    if app.status != ApplicationStatus.SUBMITTED:
        raise CardError("already decided")
    reason = reason.strip()[:REASON_MAX]
    if not reason:
        raise CardError("a reason is required")
    app.status, app.reason, app.decided_at, app.decided_by = "rejected", reason, utcnow(), actor_tg_id
    app.document_file_id = None
    await audit(
        session,
        actor_tg_id=actor_tg_id,
        role=actor_role,
        action="card.application_rejected",
        obj=("card_application", app.id),
        details={"reason": reason},
    )


async def set_notify(session: AsyncSession, card: FamilyCard, on: bool) -> None:
    card.notify_offers = on
    await session.flush()


# --- verification ----------------------------------------------------------------------------------------------


@dataclass
class CheckOutcome:
    result: str  # one of CHECK_RESULTS
    check_id: int
    card: FamilyCard | None

    @property
    def categories(self) -> list[str]:
        """The only thing a partner learns about the family: its categories, and only for a valid card."""
        return list(self.card.categories) if self.card is not None and self.result == "valid" else []


async def checks_in_last(session: AsyncSession, member_tg_id: int, seconds: float, now: datetime) -> int:
    since = now - timedelta(seconds=seconds)
    return await session.scalar(
        select(func.count(CardCheck.id)).where(CardCheck.member_tg_id == member_tg_id, CardCheck.at >= since)
    )


async def check(
    session: AsyncSession,
    *,
    partner_id: int,
    member_tg_id: int,
    raw: str,
    source: str,
    now: datetime | None = None,
) -> CheckOutcome:
    """Verify a card for a partner's staff member; every check is stored and audited."""
    now = now or utcnow()
    number = parse_number(raw)
    card = None
    if number is None or not luhn_ok(number):
        result = "malformed"
    else:
        card = await session.scalar(select(FamilyCard).where(FamilyCard.number == number))
        if card is None:
            result = "unknown"
        else:
            status = card_status(card, now)
            result = "valid" if status == "active" else status
    row = CardCheck(
        partner_id=partner_id,
        member_tg_id=member_tg_id,
        card_id=card.id if card else None,
        result=result,
        source=source,
        at=now,
    )
    session.add(row)
    await session.flush()
    await audit(
        session,
        actor_tg_id=member_tg_id,
        role="partner",
        action="card.checked",
        obj=("card", card.id if card else None),
        details={"partner": partner_id, "result": result, "source": source, "check": row.id},
    )
    return CheckOutcome(result, row.id, card)


async def redeem(
    session: AsyncSession, check_id: int, offer_id: int, *, partner_id: int, member_tg_id: int
) -> CardCheck:
    """Record that the offer was given after a valid check. Once per check."""
    row = await session.get(CardCheck, check_id)
    if row is None or row.partner_id != partner_id or row.result != "valid":
        raise CardError("no such check")
    if row.offer_id is not None:
        raise CardError("already recorded")
    row.offer_id, row.redeemed_at = offer_id, utcnow()
    await audit(
        session,
        actor_tg_id=member_tg_id,
        role="partner",
        action="card.redeemed",
        obj=("card", row.card_id),
        details={"partner": partner_id, "offer": offer_id, "check": row.id},
    )
    return row


# --- privacy ---------------------------------------------------------------------------------------------------


async def export(session: AsyncSession, family_id: int) -> dict[str, Any]:
    cards = (await session.scalars(select(FamilyCard).where(FamilyCard.family_id == family_id))).all()
    apps = (
        await session.scalars(select(CardApplication).where(CardApplication.family_id == family_id))
    ).all()
    return {
        "cards": [
            {
                "number": c.number,
                "region": c.region,
                "categories": c.categories,
                "status": card_status(c),
                "issued_at": c.issued_at.isoformat(),
                "valid_until": c.valid_until.isoformat(),
                "new_offer_notices": c.notify_offers,
            }
            for c in cards
        ],
        "applications": [
            {
                "number": a.id,
                "region": a.region,
                "categories": a.categories,
                "status": a.status,
                "reason": a.reason,
                "document_photo_kept": bool(a.document_file_id),
                "created_at": a.created_at.isoformat(),
                "decided_at": a.decided_at.isoformat() if a.decided_at else None,
            }
            for a in apps
        ],
    }


async def erase(session: AsyncSession, family_id: int) -> int:
    """/forget: revoke the family's cards (a partner then sees «revoked»), unlink them, drop applications."""
    now = utcnow()
    cards = (await session.scalars(select(FamilyCard).where(FamilyCard.family_id == family_id))).all()
    for c in cards:
        if c.status != "revoked":
            c.status, c.revoked_at, c.revoke_reason = "revoked", now, "erased"
            await audit(
                session,
                actor_tg_id=None,
                role="family",
                action="card.revoked",
                obj=("card", c.id),
                details={"reason": "erased"},
            )
        c.family_id, c.categories, c.notify_offers, c.qr_file_id = None, [], False, None
        c.number = f"erased-{c.id}"  # the number goes too: a partner checking it now hears «no such card»
    if cards:
        await session.execute(delete(OfferNotice).where(OfferNotice.card_id.in_([c.id for c in cards])))
    await session.execute(
        update(CardApplication)
        .where(CardApplication.family_id == family_id, CardApplication.card_id.is_not(None))
        .values(card_id=None)
    )
    await session.execute(delete(CardApplication).where(CardApplication.family_id == family_id))
    return len(cards)


def qr_png(data: str) -> bytes:
    """A PNG with the QR code of `data` (the card's deep link), large enough to scan from a phone screen."""
    import io

    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=10, border=4)
    code.add_data(data)
    code.make(fit=True)
    buf = io.BytesIO()
    code.make_image(fill_color="black", back_color="white").save(buf, format="PNG")
    return buf.getvalue()


async def application(session: AsyncSession, app_id: int) -> CardApplication | None:
    return await session.get(CardApplication, app_id)
