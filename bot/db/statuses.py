"""The statuses the tables keep, as string enums: a member equals the string stored in the database, so rows read
back compare with them directly, and a misspelt status is a name error instead of a silent mismatch."""

from __future__ import annotations

from enum import StrEnum


class CaseStatus(StrEnum):
    """A family's request (cases.status): new → queued → in_progress ⇄ waiting_family → closed; unreachable."""

    NEW = "new"
    QUEUED = "queued"
    IN_PROGRESS = "in_progress"
    WAITING_FAMILY = "waiting_family"
    CLOSED = "closed"
    UNREACHABLE = "unreachable"


class ApplicationStatus(StrEnum):
    """A family card application (card_applications.status)."""

    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class CardStatus(StrEnum):
    """An issued family card (family_cards.status); «expired» is computed from valid_until."""

    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


class OfferStatus(StrEnum):
    """A partner's offer (partner_offers.status)."""

    PROPOSED = "proposed"
    LIVE = "live"
    REJECTED = "rejected"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


class BroadcastStatus(StrEnum):
    """An announcement (broadcasts.status)."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    DONE = "done"
    CANCELLED = "cancelled"


class VolunteerStatus(StrEnum):
    """A volunteer (volunteers.status): applied → approved | declined; approved ⇄ paused (by the volunteer)."""

    APPLIED = "applied"
    APPROVED = "approved"
    DECLINED = "declined"
    PAUSED = "paused"


class AidStatus(StrEnum):
    """A material-help request (aid_requests.status).

    new → taken (a coordinator works on it) → collecting («собираем») → ready («можно забрать») → handed
    («передано») → closed (the family confirmed); unmet (could not be met) and cancelled (by the family) end it too.
    """

    NEW = "new"
    TAKEN = "taken"
    COLLECTING = "collecting"
    READY = "ready"
    HANDED = "handed"
    CLOSED = "closed"
    UNMET = "unmet"
    CANCELLED = "cancelled"


class AssignmentStatus(StrEnum):
    """A volunteer's task (assignments.status): offered → accepted | declined; accepted → done; cancelled."""

    OFFERED = "offered"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    DONE = "done"
    CANCELLED = "cancelled"


class EventStatus(StrEnum):
    """An event, one session of a series (events.status): open → cancelled (by a coordinator)."""

    OPEN = "open"
    CANCELLED = "cancelled"


class RegistrationStatus(StrEnum):
    """A family's place at an event (event_registrations.status).

    registered (holds a seat) | waiting (the waiting list, promoted in order) → cancelled (by the family, or the
    event was cancelled); a cancelled registration may register again (a new place at the end of the queue).
    """

    REGISTERED = "registered"
    WAITING = "waiting"
    CANCELLED = "cancelled"
