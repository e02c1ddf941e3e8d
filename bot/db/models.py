"""Database models. Later features add tables with new Alembic revisions, never by editing old ones."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, UTCDateTime, utcnow


class Family(Base):
    """A family (one Telegram user in a private chat). `id` is the pseudonymous number staff see."""

    __tablename__ = "families"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tg_user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    language: Mapped[str] = mapped_column(String(8), server_default="ru")
    region: Mapped[str | None] = mapped_column(String(16))
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    consent_version: Mapped[str | None] = mapped_column(String(32))
    profile: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default=text("'{}'"))
    display_name: Mapped[str | None] = mapped_column(String(128))
    share_name: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    discreet: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    reminders_off: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    broadcasts_off: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def consented(self) -> bool:
        return self.consent_at is not None


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tg_user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    role: Mapped[str] = mapped_column(String(32))
    specialty: Mapped[str | None] = mapped_column(String(32))
    region: Mapped[str | None] = mapped_column(String(16))
    name: Mapped[str | None] = mapped_column(String(128))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_status_urgency", "status", "urgency"),
        Index("ix_cases_chat_thread", "chat_id", "thread_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family_id: Mapped[int | None] = mapped_column(ForeignKey("families.id", ondelete="SET NULL"), index=True)
    region: Mapped[str | None] = mapped_column(String(16))
    tier: Mapped[int] = mapped_column(Integer, server_default="2")
    specialty: Mapped[str | None] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(String(32), server_default="other")
    urgency: Mapped[str] = mapped_column(String(16), server_default="routine")
    route: Mapped[str | None] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(16), server_default="triage")
    status: Mapped[str] = mapped_column(String(16), server_default="new")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    thread_id: Mapped[int | None] = mapped_column(BigInteger)
    card_message_id: Mapped[int | None] = mapped_column(BigInteger)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default=text("'{}'"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rating: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    # Operator desk (revision c2d4e6f8a001)
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_family_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_staff_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminder_stage: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    answer_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    family_notice_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    checkin_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    checkin_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    unmet_needs: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=text("'[]'"))


class CaseMessageLink(Base):
    """A relayed message pair: used for reply threading, edit mirroring and idempotent relay."""

    __tablename__ = "case_message_links"
    __table_args__ = (
        UniqueConstraint("from_chat_id", "from_message_id", "to_chat_id", name="uq_message_link"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    from_chat_id: Mapped[int] = mapped_column(BigInteger)
    from_message_id: Mapped[int] = mapped_column(BigInteger)
    to_chat_id: Mapped[int] = mapped_column(BigInteger)
    to_message_id: Mapped[int] = mapped_column(BigInteger)
    direction: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TriageResult(Base):
    """The outcome of one triage walk: category, urgency, route and the choices made."""

    __tablename__ = "triage_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family_id: Mapped[int | None] = mapped_column(ForeignKey("families.id", ondelete="SET NULL"), index=True)
    region: Mapped[str | None] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(32))
    urgency: Mapped[str] = mapped_column(String(16))
    route: Mapped[str] = mapped_column(String(32))
    specialty: Mapped[str | None] = mapped_column(String(32))
    path: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CrisisEvent(Base):
    """A danger signal answered with emergency contacts. Before consent it keeps no family link."""

    __tablename__ = "crisis_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family_id: Mapped[int | None] = mapped_column(ForeignKey("families.id", ondelete="SET NULL"), index=True)
    region: Mapped[str | None] = mapped_column(String(16))
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(String(16))
    # clear: answered with emergency contacts; possible: a weaker signal, answered with a gentle safety check
    level: Mapped[str] = mapped_column(String(8), default="clear", server_default="clear")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AuditLog(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_tg_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    actor_role: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class FsmRecord(Base):
    """aiogram FSM state and data, so a family mid-flow survives a restart."""

    __tablename__ = "fsm_states"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    state: Mapped[str | None] = mapped_column(String(255))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class ProcessedUpdate(Base):
    """Update ids already handled: Telegram delivers at least once."""

    __tablename__ = "processed_updates"
    __table_args__ = (Index("ix_processed_updates_chat_key_update_id", "chat_key", "update_id"),)

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    # Hardening (revision f6a7b8c9d001): the claim's process and whether its work was committed. A claim left
    # unfinished by a process that died is taken over on redelivery, or replayed from ``payload`` at the next start.
    owner: Mapped[str | None] = mapped_column(String(32))
    done: Mapped[bool] = mapped_column(Boolean, default=False, server_default=true())
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the update itself, until done
    # Revision c9d0e1f2a301: the chat (or user) it came from, as a keyed hash (not the Telegram id); a later claim
    # of the same chat supersedes an unfinished screen (see bot/replay.py, replay_unfinished).
    chat_key: Mapped[int | None] = mapped_column(BigInteger)


class OutboxItem(Base):
    """A message waiting to go out through the relay. Durable: survives a restart or a kill.

    ``target`` is "family" (the family's private chat) or "staff" (the case's topic, resolved when sent,
    so a re-created topic is used). ``kind``: copy, text, media, venue, edit, topic, card. Items of one album
    share ``group_key``.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_due", "status", "not_before"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    target: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(8))
    from_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    from_message_id: Mapped[int | None] = mapped_column(BigInteger)
    group_key: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(8), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    not_before: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    error: Mapped[str | None] = mapped_column(String(255))


class FollowUp(Base):
    """Some days after a consented family saw its screener results, one question: did you apply?

    status: pending (waiting for due_at) → sent (asked) → answered; or cancelled (reminders switched off)
    or closed (could not be delivered: the bot was blocked). At most one pending row per family.
    """

    __tablename__ = "followups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"), index=True)
    measure_ids: Mapped[list[str]] = mapped_column(JSON, default=list)  # likely and possible results seen
    region: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)  # when results were seen
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answer: Mapped[str | None] = mapped_column(String(32))  # got_it | applied_waiting | refused | not_applied
    reason: Mapped[str | None] = mapped_column(String(32))  # didnt_know_how | documents | no_time | other
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


# --- The social family card (revision e5f6a7b8c901) ------------------------------------------------------------


class CardApplication(Base):
    """A family's application for the card (or for renewing it).

    status: submitted → approved | rejected; withdrawn (by the family). The document photo stays in Telegram:
    only its file id is kept, and it is cleared when the application is decided.
    """

    __tablename__ = "card_applications"
    __table_args__ = (Index("ix_card_applications_status", "status", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family_id: Mapped[int | None] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"), index=True)
    card_id: Mapped[int | None] = mapped_column(ForeignKey("family_cards.id", ondelete="SET NULL"))  # renewal
    region: Mapped[str] = mapped_column(String(16))
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    document_file_id: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="submitted", server_default="submitted")
    reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[int | None] = mapped_column(BigInteger)
    # Who took it from the queue (services.card.take): a coordinator's Telegram id and name as shown to others.
    taken_by: Mapped[int | None] = mapped_column(BigInteger)
    taken_by_name: Mapped[str | None] = mapped_column(String(128))
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class FamilyCard(Base):
    """An issued card. status: active → revoked (expired is `valid_until` in the past, see services.card)."""

    __tablename__ = "family_cards"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    family_id: Mapped[int | None] = mapped_column(ForeignKey("families.id", ondelete="SET NULL"), index=True)
    region: Mapped[str] = mapped_column(String(16))
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="active", server_default="active")
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoke_reason: Mapped[str | None] = mapped_column(String(64))
    notify_offers: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    qr_file_id: Mapped[str | None] = mapped_column(String(255))


class Partner(Base):
    """A partner organisation of the card programme, registered by a coordinator."""

    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[int | None] = mapped_column(BigInteger)


class PartnerMember(Base):
    """A partner's staff member (the partner role). Not desk staff: it never enters `staff`."""

    __tablename__ = "partner_members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), index=True)
    tg_user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    name: Mapped[str | None] = mapped_column(String(128))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PartnerInvite(Base):
    """A one-time invitation link for a partner's staff member; only a hash of its token is kept."""

    __tablename__ = "partner_invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    used_by: Mapped[int | None] = mapped_column(BigInteger)


class PartnerOffer(Base):
    """A partner's offer. status: proposed → live | rejected; live → expired (past valid_until) | withdrawn.

    ``regions`` empty = every region; ``categories`` empty = every family with a card.
    """

    __tablename__ = "partner_offers"
    __table_args__ = (Index("ix_partner_offers_status", "status", "valid_until"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    discount: Mapped[str] = mapped_column(String(100))
    conditions: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(String(300))
    online: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime())
    regions: Mapped[list[str]] = mapped_column(JSON, default=list)
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="proposed", server_default="proposed")
    reason: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[int | None] = mapped_column(BigInteger)
    notices_done: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class CardCheck(Base):
    """One verification of a card by a partner's staff member, and the redemption it led to (offer_id).

    result: valid | expired | revoked | unknown (no such card) | malformed (the check digit is wrong).
    """

    __tablename__ = "card_checks"
    __table_args__ = (Index("ix_card_checks_partner_at", "partner_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    member_tg_id: Mapped[int] = mapped_column(BigInteger, index=True)
    card_id: Mapped[int | None] = mapped_column(ForeignKey("family_cards.id", ondelete="SET NULL"))
    result: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(8))  # qr | typed
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("partner_offers.id", ondelete="SET NULL"))
    redeemed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class OfferNotice(Base):
    """A new-offer notice sent (or claimed for sending) to a card holder who opted in: never twice."""

    __tablename__ = "offer_notices"
    __table_args__ = (UniqueConstraint("offer_id", "card_id", name="uq_offer_notice"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("partner_offers.id", ondelete="CASCADE"))
    card_id: Mapped[int] = mapped_column(ForeignKey("family_cards.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Broadcast(Base):
    """A coordinator's announcement to a segment of families (issue «Coordinators»).

    ``content``: {kind: text|photo|video|document|animation, text, entities, file_id, buttons: [[label, url]]}.
    ``poll``: answer options (a question with buttons) or an empty list. ``segment``: see services/broadcasts.
    status: draft → scheduled → sending → done; or cancelled (a draft, a scheduled or a running one).
    """

    __tablename__ = "broadcasts"
    __table_args__ = (Index("ix_broadcasts_status_send_at", "status", "send_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_by: Mapped[int] = mapped_column(BigInteger)
    chat_id: Mapped[int] = mapped_column(
        BigInteger
    )  # where the coordinator works: progress and report go here
    status: Mapped[str] = mapped_column(String(16), default="draft", server_default="draft")
    content: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    poll: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    segment: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default=text("'{}'"))
    send_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    timezone: Mapped[str | None] = mapped_column(String(64))
    total: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    status_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class BroadcastRecipient(Base):
    """One family of one broadcast: the durable delivery record.

    status: pending → sending (claimed and committed before the Telegram call) → sent | blocked | failed;
    skipped (opted out or left before their turn, or the broadcast was cancelled); unknown (the process died
    during the call: never re-sent, so nobody gets a duplicate).
    """

    __tablename__ = "broadcast_recipients"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "family_id", name="uq_broadcast_recipient"),
        Index("ix_broadcast_recipients_status", "broadcast_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"))
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(8), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime())
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    error: Mapped[str | None] = mapped_column(String(255))


class BroadcastAnswer(Base):
    """A family's answer to a broadcast's question (one per family; a new tap changes it)."""

    __tablename__ = "broadcast_answers"
    __table_args__ = (UniqueConstraint("broadcast_id", "family_id", name="uq_broadcast_answer"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"), index=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"))
    option: Mapped[int] = mapped_column(Integer)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# --- Trust and hardening (revision f6a7b8c9d001) ----------------------------------------------------------------


class Mute(Base):
    """A user whose messages and buttons are paused by staff until ``until`` (danger signals still answered).

    Keyed by the Telegram user id so it works before consent too; removed on /forget and when it expires.
    """

    __tablename__ = "mutes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tg_user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    until: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    by_tg_id: Mapped[int | None] = mapped_column(BigInteger)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"))
    notified: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# --- Family wellbeing check-in (revision d1e2f3a4b501) -----------------------------------------------------------


class WellbeingCheckin(Base):
    """One run of «Как дела у семьи?»: the one-tap answers (question id → option id, or «skip»).

    status: open (in progress) → done; or crisis (an answer signalled danger: the family went the crisis way).
    ``hard``: the domains where things are hard, worked out when the run ends (kept for the report and the
    comparison with the next run). ``shared``: the family agreed that its request's card shows this run.
    """

    __tablename__ = "wellbeing_checkins"
    __table_args__ = (Index("ix_wellbeing_checkins_status_finished", "status", "finished_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"), index=True)
    region: Mapped[str | None] = mapped_column(String(16))
    version: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(8), default="open", server_default="open")
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    hard: Mapped[list[str]] = mapped_column(JSON, default=list)
    shared: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WellbeingReminder(Base):
    """A family's opt-in to a gentle reminder to repeat the check-in (every few months). One row per family."""

    __tablename__ = "wellbeing_reminders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# --- Content review (revision a1c2e3f4b501) ---------------------------------------------------------------------


class ContentRecheck(Base):
    """A coordinator re-checked a data item (a measure, an organisation, a reference table) against its source:
    it leaves the stale-content digest until ``next_review``. The data file itself is corrected by import."""

    __tablename__ = "content_rechecks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_key: Mapped[str] = mapped_column(String(200), index=True)  # e.g. «measure:matkapital»
    checked_on: Mapped[date] = mapped_column(Date)
    next_review: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text)
    by_tg_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ContentDigest(Base):
    """One stale-content digest per ISO week (`2027-W06`): the key makes two instances or a restart send it once."""

    __tablename__ = "content_digests"

    week: Mapped[str] = mapped_column(String(10), primary_key=True)
    items: Mapped[int] = mapped_column(Integer)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# --- Understanding what families write (revision e3f4a5b6c701) --------------------------------------------------


class UnansweredQuestion(Base):
    """A message the bot could not answer by itself: only its theme (the best guess's intent key) and the day.

    No text, no family, no chat (the region code, as on a case, lets coordinators filter): coordinators see counts by theme in /stats, the list content work starts from.
    """

    __tablename__ = "unanswered_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    theme: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(8))
    region: Mapped[str | None] = mapped_column(String(16))


# --- Volunteers and material help (revision f2b3c4d5e601) -------------------------------------------------------


class Volunteer(Base):
    """Someone who offered to help, known by the Telegram user id (no staff role, no family record needed).

    status: applied → approved | declined (by a coordinator, audited); approved ⇄ paused (by the volunteer).
    ``skills``: keys of services.volunteers.SKILLS. ``consent_*``: the volunteer's own consent notice.
    """

    __tablename__ = "volunteers"
    __table_args__ = (Index("ix_volunteers_status_region", "status", "region"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tg_user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    name: Mapped[str | None] = mapped_column(String(128))
    language: Mapped[str] = mapped_column(String(8), server_default="ru")
    region: Mapped[str] = mapped_column(String(16))
    city: Mapped[str] = mapped_column(String(100))
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    availability: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="applied", server_default="applied")
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    consent_version: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[int | None] = mapped_column(BigInteger)


class AidRequest(Base):
    """A family's request for things («окно помощи»). See AidStatus for the way it goes.

    ``items``: keys of services.aid.ITEMS; ``details``: the family's one line of sizes and ages. ``route``:
    «coordinators», or «crisis» when the family's open crisis request handles it (its topic is told too).
    ``place_id``: the collection point of the directory; ``pickup``: the address and hours the family is told.
    """

    __tablename__ = "aid_requests"
    __table_args__ = (Index("ix_aid_requests_status_region", "status", "region"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family_id: Mapped[int | None] = mapped_column(ForeignKey("families.id", ondelete="SET NULL"), index=True)
    region: Mapped[str | None] = mapped_column(String(16))
    city: Mapped[str] = mapped_column(String(100))
    items: Mapped[list[str]] = mapped_column(JSON, default=list)
    details: Mapped[str | None] = mapped_column(String(500))
    urgency: Mapped[str] = mapped_column(String(16), server_default="routine")
    route: Mapped[str] = mapped_column(String(16), server_default="coordinators")
    status: Mapped[str] = mapped_column(String(16), default="new", server_default="new")
    taken_by: Mapped[int | None] = mapped_column(BigInteger)
    taken_by_name: Mapped[str | None] = mapped_column(String(128))
    place_id: Mapped[str | None] = mapped_column(String(64))
    pickup: Mapped[str | None] = mapped_column(String(500))
    unmet_reason: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    handed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # the family's notices of status changes: each change counts up ``notice_seq`` and stamps ``status_at``; a
    # notice delivered sets ``told_seq`` to it. What a restart cut off is sent by the job bot/jobs/aid.py.
    notice_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    told_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    status_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Assignment(Base):
    """A task offered to a volunteer. ``kind`` names what ``target_id`` is: «aid» (an aid_requests row); other
    kinds (an event) can be added without a new table. status: see AssignmentStatus."""

    __tablename__ = "assignments"
    __table_args__ = (
        Index("ix_assignments_volunteer_status", "volunteer_id", "status"),
        Index("ix_assignments_target", "kind", "target_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="offered", server_default="offered")
    note: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


# --- Events, courses and clubs (revision a7c8d9e0f102): in bot/db/event_models.py, registered here with the rest ---
from bot.db.event_models import Event as Event  # noqa: E402
from bot.db.event_models import EventRegistration as EventRegistration  # noqa: E402
