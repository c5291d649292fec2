"""Every status the gateway stores, as str-valued enums: a member *is* its stored string, so
rows, API answers and tests keep the same values (`MessageStatus.SENT == "sent"`)."""
from __future__ import annotations

from enum import StrEnum


class MessageStatus(StrEnum):
    """An SMS: `received` inbound; outbound from `queued` to a final status."""

    RECEIVED = "received"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    SKIPPED = "skipped"


class DeliveryStatus(StrEnum):
    """One campaign recipient; `pending → claimed → sent` is what makes sending exactly-once."""

    PENDING = "pending"
    CLAIMED = "claimed"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    SKIPPED = "skipped"


class CampaignStatus(StrEnum):
    """A campaign; the moves allowed between them are gateway/services/campaigns/states.py's."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    PAUSED = "paused"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class TicketStatus(StrEnum):
    """A hotline ticket."""

    OPEN = "open"
    CLAIMED = "claimed"
    REFERRED = "referred"
    CLOSED = "closed"


class ReportStatus(StrEnum):
    """A report of a tension or incident."""

    NEW = "new"
    IN_REVIEW = "in_review"
    VERIFIED = "verified"
    UNVERIFIED = "unverified"
    REFERRED = "referred"
    CLOSED = "closed"


class RegistrationStatus(StrEnum):
    """A place on an activity."""

    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


class ActivityStatus(StrEnum):
    """An activity."""

    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class UssdSessionStatus(StrEnum):
    """A USSD session's log row: `active`, then the provider's end status (lowercased; an
    unknown one is stored verbatim)."""

    ACTIVE = "active"
    INCOMPLETE = "incomplete"
    SUCCESS = "success"
    FAILED = "failed"


def values(status: type[StrEnum]) -> tuple[str, ...]:
    """The stored strings of an enum, in declaration order."""
    return tuple(member.value for member in status)
