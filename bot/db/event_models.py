"""Events, courses and clubs (revision a7c8d9e0f102): the sessions and the families' registrations.

Imported by bot/db/models.py, so every table is on Base.metadata whichever module is imported first.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, UTCDateTime, utcnow


class Event(Base):
    """One session of an event; a series (a weekly club, a course) is rows with one ``series_id`` (the first row's).
    Times in UTC, shown in the region's zone. ``taken``: seats held, changed only by conditional UPDATEs
    (services/events). ``audience``: profile tags (services/broadcasts.PROFILE_TAGS); empty: the whole region."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_region_starts", "region", "starts_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    series_id: Mapped[int | None] = mapped_column(Integer, index=True)
    session_no: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    sessions: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(2000), default="", server_default="")
    kind: Mapped[str] = mapped_column(String(16))
    region: Mapped[str] = mapped_column(String(16))
    city: Mapped[str] = mapped_column(String(100))
    place_id: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(300))
    online_url: Mapped[str | None] = mapped_column(String(500))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    duration_min: Mapped[int] = mapped_column(Integer, default=90, server_default="90")
    seats: Mapped[int] = mapped_column(Integer)
    taken: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    audience: Mapped[list[str]] = mapped_column(JSON, default=list)
    reg_opens_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reg_closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default="open", server_default="open")
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class EventRegistration(Base):
    """A family's place at one session (RegistrationStatus); ``queued_at`` orders the waiting list. The reminder and
    question marks are claimed (set, committed) before sending; ``attended`` by a coordinator, ``useful`` the family's."""

    __tablename__ = "event_registrations"
    __table_args__ = (
        UniqueConstraint("event_id", "family_id", name="uq_event_registration"),
        Index("ix_event_registrations_event_status", "event_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attended: Mapped[bool | None] = mapped_column(Boolean)
    useful: Mapped[bool | None] = mapped_column(Boolean)
    reminded_day_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminded_soon_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    feedback_asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    promoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # given a seat from the waiting list
    promoted_told_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime()
    )  # claimed before the family is told
