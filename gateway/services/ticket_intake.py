"""Hotline tickets: opened by urgent reports, flagged messages and call-back requests."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select

from gateway.extensions import db
from gateway.models import Category, Message, Report, Ticket, TicketStatus, utcnow
from gateway.services import audit


def open_ticket(kind: str, *, contact_id: int | None = None, report: Report | None = None,
                message: Message | None = None, priority: int = 2, labels: list[str] | None = None,
                category_code: str | None = None, language: str | None = None, summary: str = "",
                actor: str = "system", at: datetime | None = None) -> Ticket:
    """Open a ticket, or update the contact's open ticket of the same kind (as CasePro does).

    A repeat message from someone who already has an open ticket joins it instead of
    opening another; its priority only ever rises (1 is highest). `at` dates a new ticket and its
    audit entry (an anonymous report's: to the hour, as the report).
    """
    ticket = None
    if contact_id is not None and report is None:
        ticket = db.session.scalar(select(Ticket).where(
            Ticket.contact_id == contact_id, Ticket.kind == kind, Ticket.status != TicketStatus.CLOSED
        ).order_by(Ticket.id.desc()))
    sensitive = False
    if category_code:
        category = db.session.get(Category, category_code)
        sensitive = bool(category and category.sensitive)
    if ticket is None:
        ticket = Ticket(kind=kind, contact_id=contact_id, report_id=report.id if report else None,
                        message_id=message.id if message else None, priority=priority,
                        labels=sorted(set(labels or [])), category_code=category_code,
                        language=language, summary=summary[:200], sensitive=sensitive)
        if at is not None:
            ticket.created_at = ticket.updated_at = at
        db.session.add(ticket)
        db.session.flush()
        audit.record(actor, "ticket.open", "ticket", ticket.id, at=at, kind=kind, priority=priority)
        return ticket
    ticket.priority = min(ticket.priority, priority)
    ticket.labels = sorted(set(ticket.labels or []) | set(labels or []))
    ticket.sensitive = ticket.sensitive or sensitive
    if message is not None:
        ticket.message_id = message.id
    if category_code and not ticket.category_code:
        ticket.category_code = category_code
    ticket.updated_at = utcnow()
    audit.record(actor, "ticket.update", "ticket", ticket.id, priority=ticket.priority)
    return ticket


class NoTicketFromMessage(ValueError):
    """A ticket cannot be opened from this message (sent by us, or its sender was erased)."""


def open_for_message(message: Message, actor: str, sensitive_labels: set[str] = frozenset()) -> tuple[Ticket, bool]:
    """The hotline ticket for an inbound message an operator picked out: the active ticket whose
    thread already holds it, else a new `feedback` ticket. Returns (ticket, created)."""
    if message.direction != "in" or message.contact_id is None:
        raise NoTicketFromMessage("only a message received from a person can open a ticket")
    existing = db.session.scalar(select(Ticket).where(
        Ticket.status != "closed", or_(Ticket.message_id == message.id,
                                       (Ticket.contact_id == message.contact_id) & (Ticket.created_at <= message.created_at)))
        .order_by(Ticket.id))
    if existing is not None:
        return existing, False
    reference = (message.extra or {}).get("reference") or f"M{message.id}"
    ticket = Ticket(kind="feedback", contact_id=message.contact_id, message_id=message.id, priority=2,
                    labels=[], language=message.language, summary=f"{reference} opened from the messages",
                    sensitive=bool(set(message.labels or []) & set(sensitive_labels)))
    db.session.add(ticket)
    db.session.flush()
    audit.record(actor, "ticket.open", "ticket", ticket.id, kind="feedback", priority=2, message_id=message.id)
    db.session.commit()
    return ticket, True
