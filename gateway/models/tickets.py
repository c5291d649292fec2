"""Hotline tickets: flagged messages, urgent reports and call-back requests."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.extensions import db
from gateway.models.base import UTC, utcnow
from gateway.models.statuses import TicketStatus, values

TICKET_KINDS = ("flagged_message", "urgent_report", "callback", "feedback")
TICKET_STATUSES = values(TicketStatus)


class Ticket(db.Model):
    """Something a hotline operator must look at."""

    __tablename__ = "tickets"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    status: Mapped[str] = mapped_column(String(20), default=TicketStatus.OPEN.value, nullable=False, index=True)
    priority: Mapped[int] = mapped_column(Integer, default=2, nullable=False, index=True)  # 1 high … 3 low
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id", ondelete="SET NULL"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    language: Mapped[str | None] = mapped_column(String(3))
    category_code: Mapped[str | None] = mapped_column(ForeignKey("categories.code"))
    severity: Mapped[int | None] = mapped_column(Integer)
    verified: Mapped[bool | None] = mapped_column(Boolean)
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    labels: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    summary: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    claimed_at: Mapped[datetime | None] = mapped_column(UTC())
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTC(), default=utcnow, nullable=False, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTC(), default=utcnow, onupdate=utcnow, nullable=False)
    closed_at: Mapped[datetime | None] = mapped_column(UTC())

    notes: Mapped[list["TicketNote"]] = relationship(cascade="all, delete-orphan", order_by="TicketNote.id")
    contact = relationship("Contact")
    assignee = relationship("User")


class TicketNote(db.Model):
    """An operator's note on a ticket."""

    __tablename__ = "ticket_notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False, index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTC(), default=utcnow, nullable=False)


class TicketAssignment(db.Model):
    """Who held a ticket and when (claims and releases)."""

    __tablename__ = "ticket_assignments"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    assigned_at: Mapped[datetime] = mapped_column(UTC(), default=utcnow, nullable=False)
    released_at: Mapped[datetime | None] = mapped_column(UTC())
