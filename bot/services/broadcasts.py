"""Broadcasts: drafts, segments, scheduling, the durable per-recipient table and the report. No Telegram here.

The life of a broadcast (a row of ``broadcasts``)::

    draft ──(confirm «now»)──────────────▶ scheduled(send_at=now) ──(due)──▶ sending ──▶ done
      └────(confirm a date and time)────▶ scheduled ──┘                       │
    draft, scheduled, sending ──(cancel)──▶ cancelled ◀────────────────────────┘

When a broadcast becomes due, its recipients are materialised in one transaction (the segment is evaluated at
that moment, so a family who opted out after the scheduling is left out). The life of one recipient::

    pending ──(claimed: committed *before* the Telegram call)──▶ sending ──▶ sent | blocked | failed
       │                                                           └─(429 / 5xx / network)──▶ pending (later)
       └──(opted out, left, cancelled)──▶ skipped
    sending ──(the process died during the call; found at start)──▶ unknown   (never re-sent: no duplicates)

Segments: a dict of lists; within one dimension any value matches, dimensions combine with AND. Keys: ``regions``
(region codes), ``profile`` (see :data:`PROFILE_TAGS`), ``categories`` (triage or request categories),
``languages``, ``active_days`` (seen within that many days; 0 or absent: any time), ``event`` (an event session's id:
the families registered for it: a coordinator's message to them, paced like any broadcast).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import rows_affected, utcnow
from bot.db.models import (
    Broadcast,
    BroadcastAnswer,
    BroadcastRecipient,
    Case,
    EventRegistration,
    Family,
    TriageResult,
)
from bot.db.statuses import BroadcastStatus, RegistrationStatus
from bot.services.audit import audit

DRAFT, SCHEDULED, SENDING, DONE, CANCELLED = (s.value for s in BroadcastStatus)
OPEN = (DRAFT, SCHEDULED, SENDING)
# recipient statuses
PENDING, CLAIMED, SENT, BLOCKED, FAILED, SKIPPED, UNKNOWN = (
    "pending",
    "sending",
    "sent",
    "blocked",
    "failed",
    "skipped",
    "unknown",
)
RECIPIENT_STATUSES = (PENDING, CLAIMED, SENT, BLOCKED, FAILED, SKIPPED, UNKNOWN)
KINDS = ("text", "photo", "video", "document", "animation")
MAX_POLL_OPTIONS = 6
MAX_LINK_BUTTONS = 3
MAX_ATTEMPTS = 6
ACTIVITY_DAYS = (7, 30, 90)
LANGUAGES = ("ru", "en")
# Profile tags a coordinator can target: yes/no answers of the family profile and children's ages.
PROFILE_FLAGS = (
    "large_family",
    "pregnant",
    "child_disability",
    "single_parent",
    "guardian",
    "low_income",
    "military",
)
AGE_BANDS = {"age_0_2": (0, 2), "age_3_6": (3, 6), "age_7_17": (7, 17)}
PROFILE_TAGS = (*AGE_BANDS, *PROFILE_FLAGS)
SEGMENT_KEYS = ("regions", "profile", "categories", "languages", "active_days", "event")


class BroadcastError(ValueError):
    pass


# --- segments ------------------------------------------------------------------------------------------------


def clean_segment(raw: dict[str, Any] | None) -> dict[str, Any]:
    raw = raw or {}
    seg: dict[str, Any] = {}
    for key in ("regions", "categories"):
        values = [str(v) for v in raw.get(key) or []]
        if values:
            seg[key] = sorted(set(values))
    profile = [t for t in raw.get("profile") or [] if t in PROFILE_TAGS]
    if profile:
        seg["profile"] = sorted(set(profile))
    languages = [lang for lang in raw.get("languages") or [] if lang in LANGUAGES]
    if languages:
        seg["languages"] = sorted(set(languages))
    days = int(raw.get("active_days") or 0)
    if days > 0:
        seg["active_days"] = days
    event = int(raw.get("event") or 0)
    if event > 0:
        seg["event"] = event
    return seg


def family_tags(profile: dict[str, Any] | None, today: date | None = None) -> set[str]:
    """The profile tags of a family (large family also counts three or more children)."""
    profile = profile or {}
    year = (today or date.today()).year
    tags = {flag for flag in PROFILE_FLAGS if profile.get(flag) is True}
    if (profile.get("children_count") or 0) >= 3:
        tags.add("large_family")
    for born in profile.get("children_birth_years") or []:
        try:
            age = year - int(born)
        except (TypeError, ValueError):
            continue
        for tag, (low, high) in AGE_BANDS.items():
            if low <= age <= high:
                tags.add(tag)
    return tags


def _eligible(*, service: bool = False):
    """Families a broadcast may reach at all: consented, not known to have blocked the bot, and not opted out of
    announcements — unless it is a ``service`` message (to the registered of an event, about that event: they
    asked for it by registering, like the reminders)."""
    reachable = (Family.consent_at.is_not(None), Family.is_active.is_(True))
    return reachable if service else (*reachable, Family.broadcasts_off.is_(False))


async def audience(
    session: AsyncSession, segment: dict[str, Any], *, now: datetime | None = None
) -> list[tuple[int, bool]]:
    """(family id, discreet) of every family the segment reaches now, by id."""
    seg = clean_segment(segment)
    now = now or utcnow()
    query = select(Family.id, Family.profile, Family.discreet).where(
        *_eligible(service=bool(seg.get("event")))
    )
    if seg.get("event"):
        query = query.where(
            Family.id.in_(
                select(EventRegistration.family_id).where(
                    EventRegistration.event_id == seg["event"],
                    EventRegistration.status == RegistrationStatus.REGISTERED,
                )
            )
        )
    if seg.get("regions"):
        query = query.where(Family.region.in_(seg["regions"]))
    if seg.get("languages"):
        query = query.where(Family.language.in_(seg["languages"]))
    if seg.get("active_days"):
        query = query.where(Family.last_seen_at >= now - timedelta(days=seg["active_days"]))
    if seg.get("categories"):
        by_triage = select(TriageResult.family_id).where(
            TriageResult.category.in_(seg["categories"]), TriageResult.family_id.is_not(None)
        )
        by_case = select(Case.family_id).where(
            Case.category.in_(seg["categories"]), Case.family_id.is_not(None)
        )
        query = query.where(Family.id.in_(by_triage.union(by_case)))
    rows = (await session.execute(query.order_by(Family.id))).all()
    wanted = set(seg.get("profile") or ())
    today = now.date()
    return [
        (family_id, bool(discreet))
        for family_id, profile, discreet in rows
        if not wanted or wanted & family_tags(profile, today)
    ]


@dataclass
class Count:
    total: int
    discreet: int


async def count(session: AsyncSession, segment: dict[str, Any]) -> Count:
    rows = await audience(session, segment)
    return Count(len(rows), sum(1 for _, d in rows if d))


# --- drafts --------------------------------------------------------------------------------------------------


OPENS = ("checkin",)  # a button that opens a section of the bot: «Как дела у семьи?»


def check_content(content: dict[str, Any]) -> dict[str, Any]:
    if content.get("kind") not in KINDS:
        raise BroadcastError("unsupported kind of message")
    if content["kind"] == "text" and not (content.get("text") or "").strip():
        raise BroadcastError("empty text")
    if content["kind"] != "text" and not content.get("file_id"):
        raise BroadcastError("media without a file")
    buttons = content.get("buttons") or []
    for label, url in buttons:
        if not label.strip() or not url.startswith(("https://", "http://")):
            raise BroadcastError(f"bad link button {label!r}")
    return {
        "kind": content["kind"],
        "text": content.get("text") or "",
        "entities": content.get("entities") or [],
        "file_id": content.get("file_id"),
        "buttons": [[label.strip(), url] for label, url in buttons][:MAX_LINK_BUTTONS],
        **({"open": content["open"]} if content.get("open") in OPENS else {}),
    }


async def create_draft(
    session: AsyncSession, *, actor_tg_id: int, role: str, chat_id: int, content: dict[str, Any]
) -> Broadcast:
    broadcast = Broadcast(
        created_by=actor_tg_id,
        chat_id=chat_id,
        status=DRAFT,
        content=check_content(content),
        poll=[],
        segment={},
    )
    session.add(broadcast)
    await session.flush()
    await audit(
        session,
        actor_tg_id=actor_tg_id,
        role=role,
        action="broadcast.draft",
        obj=("broadcast", broadcast.id),
        details={"kind": broadcast.content["kind"]},
    )
    return broadcast


def parse_link_buttons(text: str) -> list[list[str]]:
    """Lines «Label | https://…» (or «Label - https://…»); raises on a line that is neither."""
    buttons = []
    for line in (x.strip() for x in text.splitlines() if x.strip()):
        for sep in ("|", " - ", " — "):
            label, found, url = line.rpartition(sep)
            if found and url.strip().startswith(("https://", "http://")) and label.strip():
                buttons.append([label.strip()[:40], url.strip()])
                break
        else:
            raise BroadcastError(line)
    if not buttons or len(buttons) > MAX_LINK_BUTTONS:
        raise BroadcastError("count")
    return buttons


def parse_poll(text: str) -> list[str]:
    options = [x.strip()[:40] for x in text.splitlines() if x.strip()]
    if not 2 <= len(options) <= MAX_POLL_OPTIONS or len(set(options)) != len(options):
        raise BroadcastError("options")
    return options


def local_zone_name(segment: dict[str, Any], region_zones: dict[str, str], default: str) -> str:
    """The time zone a schedule is read in: the region's when the segment names exactly one region."""
    regions = clean_segment(segment).get("regions") or []
    if len(regions) == 1 and regions[0] in region_zones:
        return region_zones[regions[0]]
    return default


async def schedule(
    session: AsyncSession,
    broadcast: Broadcast,
    *,
    at: datetime | None,
    zone: str,
    actor_tg_id: int,
    role: str,
) -> None:
    """Confirm a draft: send at ``at`` (UTC; None: now)."""
    if broadcast.status != DRAFT:
        raise BroadcastError(f"broadcast {broadcast.id} is {broadcast.status}")
    now = utcnow()
    broadcast.status = SCHEDULED
    broadcast.send_at = at if at is not None and at > now else now
    broadcast.timezone = zone
    await audit(
        session,
        actor_tg_id=actor_tg_id,
        role=role,
        action="broadcast.scheduled",
        obj=("broadcast", broadcast.id),
        details={
            "send_at": broadcast.send_at.isoformat(),
            "timezone": zone,
            "segment": broadcast.segment,
            "poll": bool(broadcast.poll),
        },
    )


async def cancel(session: AsyncSession, broadcast: Broadcast, *, actor_tg_id: int | None, role: str) -> int:
    """Stop a draft, a scheduled or a running broadcast. Returns how many recipients will not get it."""
    if broadcast.status not in OPEN:
        raise BroadcastError(f"broadcast {broadcast.id} is {broadcast.status}")
    broadcast.status = CANCELLED
    broadcast.finished_at = utcnow()
    result = await session.execute(
        update(BroadcastRecipient)
        .where(BroadcastRecipient.broadcast_id == broadcast.id, BroadcastRecipient.status == PENDING)
        .values(status=SKIPPED, error="cancelled")
    )
    left = rows_affected(result) or 0
    await audit(
        session,
        actor_tg_id=actor_tg_id,
        role=role,
        action="broadcast.cancelled",
        obj=("broadcast", broadcast.id),
        details={"not_sent": left},
    )
    return left


# --- the sender's side ---------------------------------------------------------------------------------------


async def recover(session: AsyncSession) -> int:
    """At start: recipients claimed by a process that died may or may not have got the message. They are not
    sent again (a duplicate is worse than a gap) and are reported as unconfirmed."""
    result = await session.execute(
        update(BroadcastRecipient)
        .where(BroadcastRecipient.status == CLAIMED)
        .values(status=UNKNOWN, error="the bot stopped during the call")
    )
    return rows_affected(result) or 0


async def start_due(session: AsyncSession, *, now: datetime | None = None) -> list[int]:
    """Scheduled broadcasts whose time has come: materialise their recipients and mark them sending."""
    now = now or utcnow()
    due = (
        await session.scalars(
            select(Broadcast)
            .where(Broadcast.status == SCHEDULED, Broadcast.send_at <= now)
            .order_by(Broadcast.send_at, Broadcast.id)
        )
    ).all()
    started = []
    for broadcast in due:
        rows = await audience(session, broadcast.segment, now=now)
        if rows:
            await session.execute(
                insert(BroadcastRecipient),
                [{"broadcast_id": broadcast.id, "family_id": fid, "status": PENDING} for fid, _ in rows],
            )
        broadcast.total = len(rows)
        broadcast.status = SENDING
        broadcast.started_at = now
        await audit(
            session,
            actor_tg_id=None,
            role="bot",
            action="broadcast.started",
            obj=("broadcast", broadcast.id),
            details={"recipients": len(rows)},
        )
        started.append(broadcast.id)
    return started


@dataclass
class Target:
    recipient_id: int
    family_id: int
    chat_id: int
    language: str
    discreet: bool


async def next_batch(
    session: AsyncSession, broadcast_id: int, limit: int, *, now: datetime | None = None
) -> list[int]:
    now = now or utcnow()
    return list(
        (
            await session.scalars(
                select(BroadcastRecipient.id)
                .where(
                    BroadcastRecipient.broadcast_id == broadcast_id,
                    BroadcastRecipient.status == PENDING,
                    (BroadcastRecipient.not_before.is_(None)) | (BroadcastRecipient.not_before <= now),
                )
                .order_by(BroadcastRecipient.id)
                .limit(limit)
            )
        ).all()
    )


async def claim(session: AsyncSession, recipient_id: int) -> Target | None:
    """Take one recipient for sending (the caller commits before calling Telegram). None: nothing to send."""
    row = (
        await session.execute(
            select(BroadcastRecipient, Family, Broadcast.segment)
            .join(Family, Family.id == BroadcastRecipient.family_id)
            .join(Broadcast, Broadcast.id == BroadcastRecipient.broadcast_id)
            .where(BroadcastRecipient.id == recipient_id)
        )
    ).first()
    if row is None:
        return None
    recipient, family, segment = row
    if recipient.status != PENDING:
        return None
    service = bool((segment or {}).get("event"))  # to the registered of an event: not an announcement
    if not family.consented or (family.broadcasts_off and not service) or not family.is_active:
        recipient.status, recipient.error = SKIPPED, "opted out or left"
        return None
    result = await session.execute(
        update(BroadcastRecipient)
        .where(BroadcastRecipient.id == recipient_id, BroadcastRecipient.status == PENDING)
        .values(status=CLAIMED, attempts=BroadcastRecipient.attempts + 1)
    )
    if not rows_affected(result):
        return None
    return Target(recipient.id, family.id, family.tg_user_id, family.language, family.discreet)


async def mark_sent(session: AsyncSession, recipient_id: int, message_id: int | None) -> None:
    await session.execute(
        update(BroadcastRecipient)
        .where(BroadcastRecipient.id == recipient_id)
        .values(status=SENT, message_id=message_id, sent_at=utcnow(), error=None)
    )


async def mark_blocked(session: AsyncSession, recipient_id: int, family_id: int, error: str) -> None:
    await session.execute(
        update(BroadcastRecipient)
        .where(BroadcastRecipient.id == recipient_id)
        .values(status=BLOCKED, error=error[:255])
    )
    await session.execute(update(Family).where(Family.id == family_id).values(is_active=False))


async def mark_failed(session: AsyncSession, recipient_id: int, error: str) -> None:
    await session.execute(
        update(BroadcastRecipient)
        .where(BroadcastRecipient.id == recipient_id)
        .values(status=FAILED, error=error[:255])
    )


async def retry_later(session: AsyncSession, recipient_id: int, *, delay: float, error: str) -> bool:
    """Put a recipient back after a transient failure; False when it has failed too often (then failed)."""
    recipient = await session.get(BroadcastRecipient, recipient_id)
    if recipient is None:
        return False
    if recipient.attempts >= MAX_ATTEMPTS:
        recipient.status, recipient.error = FAILED, error[:255]
        return False
    recipient.status = PENDING
    recipient.not_before = utcnow() + timedelta(seconds=delay)
    recipient.error = error[:255]
    return True


async def counts(session: AsyncSession, broadcast_id: int) -> dict[str, int]:
    rows = (
        await session.execute(
            select(BroadcastRecipient.status, func.count())
            .where(BroadcastRecipient.broadcast_id == broadcast_id)
            .group_by(BroadcastRecipient.status)
        )
    ).all()
    result = dict.fromkeys(RECIPIENT_STATUSES, 0)
    result.update({status: n for status, n in rows})
    return result


async def finish_if_done(session: AsyncSession, broadcast: Broadcast) -> bool:
    """A sending broadcast with nobody pending or in flight is done."""
    if broadcast.status != SENDING:
        return False
    c = await counts(session, broadcast.id)
    if c[PENDING] or c[CLAIMED]:
        return False
    broadcast.status = DONE
    broadcast.finished_at = utcnow()
    await audit(
        session,
        actor_tg_id=None,
        role="bot",
        action="broadcast.done",
        obj=("broadcast", broadcast.id),
        details={k: v for k, v in c.items() if v},
    )
    return True


# --- family side ---------------------------------------------------------------------------------------------


async def opt_out(session: AsyncSession, family: Family, *, broadcast_id: int | None) -> bool:
    """The one-tap opt-out. Returns False when the family had already opted out."""
    if family.broadcasts_off:
        return False
    family.broadcasts_off = True
    await audit(
        session,
        actor_tg_id=family.tg_user_id,
        role="family",
        action="broadcasts.off",
        obj=("family", family.id),
        details={"broadcast": broadcast_id},
    )
    return True


async def opt_in(session: AsyncSession, family: Family) -> None:
    family.broadcasts_off = False
    await audit(
        session,
        actor_tg_id=family.tg_user_id,
        role="family",
        action="broadcasts.on",
        obj=("family", family.id),
    )


async def was_sent_to(session: AsyncSession, broadcast_id: int, family_id: int) -> bool:
    return (
        await session.scalar(
            select(BroadcastRecipient.id).where(
                BroadcastRecipient.broadcast_id == broadcast_id,
                BroadcastRecipient.family_id == family_id,
                BroadcastRecipient.status.in_((SENT, UNKNOWN)),
            )
        )
    ) is not None


async def answer(session: AsyncSession, broadcast_id: int, family: Family, option: int) -> bool:
    """Record (or change) a family's answer to the broadcast's question. False: not a valid answer."""
    broadcast = await session.get(Broadcast, broadcast_id)
    if broadcast is None or not 0 <= option < len(broadcast.poll or []):
        return False
    if not await was_sent_to(session, broadcast_id, family.id):
        return False
    row = await session.scalar(
        select(BroadcastAnswer).where(
            BroadcastAnswer.broadcast_id == broadcast_id, BroadcastAnswer.family_id == family.id
        )
    )
    if row is None:
        session.add(BroadcastAnswer(broadcast_id=broadcast_id, family_id=family.id, option=option))
    else:
        row.option, row.answered_at = option, utcnow()
    await session.flush()
    return True


# --- reports -------------------------------------------------------------------------------------------------


@dataclass
class Report:
    broadcast: Broadcast
    counts: dict[str, int]
    answers: list[tuple[str, int]]
    opted_out_after: int

    @property
    def delivered(self) -> int:
        return self.counts[SENT]

    @property
    def left(self) -> int:
        return self.counts[PENDING] + self.counts[CLAIMED]

    @property
    def done(self) -> int:
        return sum(self.counts.values()) - self.left


async def report(session: AsyncSession, broadcast: Broadcast) -> Report:
    c = await counts(session, broadcast.id)
    votes = Counter(
        (
            await session.scalars(
                select(BroadcastAnswer.option).where(BroadcastAnswer.broadcast_id == broadcast.id)
            )
        ).all()
    )
    answers = [(option, votes.get(i, 0)) for i, option in enumerate(broadcast.poll or [])]
    opted_out = 0
    if broadcast.started_at is not None:
        opted_out = (
            await session.scalar(
                select(func.count())
                .select_from(BroadcastRecipient)
                .join(Family, Family.id == BroadcastRecipient.family_id)
                .where(
                    BroadcastRecipient.broadcast_id == broadcast.id,
                    BroadcastRecipient.status == SENT,
                    Family.broadcasts_off.is_(True),
                )
            )
        ) or 0
    return Report(broadcast, c, answers, opted_out)


async def recent(session: AsyncSession, limit: int = 8) -> list[Broadcast]:
    return list(
        (
            await session.scalars(
                select(Broadcast).where(Broadcast.status != DRAFT).order_by(Broadcast.id.desc()).limit(limit)
            )
        ).all()
    )


async def get(session: AsyncSession, broadcast_id: int) -> Broadcast | None:
    return await session.get(Broadcast, broadcast_id)


async def set_segment(session: AsyncSession, b: Broadcast, segment: dict[str, Any]) -> None:
    """A draft's audience, cleaned, written before it is counted."""
    b.segment = clean_segment(segment)
    await session.flush()
