"""The hotline inbox: listing tickets and every operator action on them, each one audited.

A claim is a *soft lock* (as in CasePro): everyone sees who holds a ticket; acting on a ticket
someone else holds is refused unless the caller forces it, and the override is audited. Notes
are always allowed, so colleagues can add what they know to a ticket someone else holds.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select

from gateway.extensions import db
from gateway.models import (ApiToken, CannedReply, Category, Contact, Message, Partner, Report, Ticket,
                            TicketAssignment, TicketNote, User, utcnow)
from gateway.models.statuses import ReportStatus, TicketStatus
from gateway.models.tickets import TICKET_KINDS, TICKET_STATUSES
from gateway.services import audit, visibility
from gateway.services.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from gateway.services.messaging import queue_sms
from gateway.services.notification_texts import ticket_closed_text
from gateway.services.visibility import Viewer

SEVERITIES = (1, 2, 3)          # 1 low, 2 medium, 3 high (as a report's urgency)
MAX_NOTE = 5000
MAX_REPLY = 640                 # at most 4 GSM-7 segments, 10 UCS-2 ones
PRIORITIES = (1, 2, 3)          # 1 high … 3 low


class InboxError(DomainError):
    """An action on a ticket that cannot be done."""


class InvalidAction(InboxError, Invalid):
    """Bad input for an action (unknown category, empty note, …)."""


class TicketNotFound(InboxError, NotFound):
    """No such ticket, or one the caller may not see."""


class NotAllowed(InboxError, Forbidden):
    """The caller's role may not do this."""


class TicketConflict(InboxError, Conflict):
    """The ticket's state forbids the action (closed, held by someone else, no contact)."""


@dataclass
class TicketFilters:
    """What an inbox list may be narrowed to."""

    status: str | None = None          # one of TICKET_STATUSES, or "active" (not closed)
    kind: str | None = None
    priority: int | None = None
    since: datetime | None = None
    assignee_id: int | None = None

    def validate(self) -> None:
        """Raise InvalidAction naming the first bad filter."""
        if self.status and self.status not in (*TICKET_STATUSES, "active"):
            raise InvalidAction(f"status must be one of {', '.join((*TICKET_STATUSES, 'active'))}")
        if self.kind and self.kind not in TICKET_KINDS:
            raise InvalidAction(f"kind must be one of {', '.join(TICKET_KINDS)}")
        if self.priority is not None and self.priority not in PRIORITIES:
            raise InvalidAction("priority must be 1, 2 or 3")


def ticket_query(filters: TicketFilters, viewer: Viewer):
    """A SELECT of the tickets matching `filters` that `viewer` may see (no ordering)."""
    filters.validate()
    stmt = visibility.tickets(viewer, select(Ticket))
    if filters.status == "active":
        stmt = stmt.where(Ticket.status != TicketStatus.CLOSED)
    elif filters.status:
        stmt = stmt.where(Ticket.status == filters.status)
    if filters.kind:
        stmt = stmt.where(Ticket.kind == filters.kind)
    if filters.priority is not None:
        stmt = stmt.where(Ticket.priority == filters.priority)
    if filters.since is not None:
        stmt = stmt.where(Ticket.created_at >= filters.since)
    if filters.assignee_id is not None:
        stmt = stmt.where(Ticket.assignee_id == filters.assignee_id)
    return stmt


def inbox(filters: TicketFilters, viewer: Viewer, limit: int = 200) -> list[Ticket]:
    """Tickets for the operator inbox: most urgent first, then oldest first (first come, first served)."""
    stmt = ticket_query(filters, viewer).order_by(Ticket.priority, Ticket.created_at, Ticket.id)
    return list(db.session.scalars(stmt.limit(limit)))


def get_ticket(ticket_id: int, viewer: Viewer) -> Ticket:
    """The ticket, or TicketNotFound — also for a sensitive ticket `viewer` is not cleared for,
    so its existence is not revealed."""
    ticket = db.session.get(Ticket, ticket_id)
    if not visibility.can_see_ticket(viewer, ticket):
        raise TicketNotFound(f"no ticket {ticket_id}")
    return ticket


def user_for_token(token: ApiToken) -> User:
    """The user an API token acts as: its own user, else an inactive service user named after it.

    Claims and notes point at users; a token created without one (`tokens create`) still needs a
    name others can see in the inbox. The service user cannot sign in (inactive, no password).
    """
    if token.user_id:
        return db.session.get(User, token.user_id)
    email = f"token-{token.id}@api.murya.invalid"
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, name=f"API token {token.name}", role=token.role,
                    sensitive_access=token.sensitive_access, password_hash="!", active=False)
        db.session.add(user)
        db.session.flush()
    return user


def holder_name(ticket: Ticket) -> str | None:
    """Who holds the ticket, for display."""
    if ticket.assignee is None:
        return None
    return ticket.assignee.name or ticket.assignee.email


def _refuse_if_held_by_other(ticket: Ticket, user: User, force: bool) -> None:
    if ticket.assignee_id and ticket.assignee_id != user.id and not force:
        raise TicketConflict(f"ticket {ticket.id} is held by {holder_name(ticket)}; force to take over",
                             code="ticket_held", holder=holder_name(ticket))


def _refuse_if_closed(ticket: Ticket) -> None:
    if ticket.status == TicketStatus.CLOSED:
        raise TicketConflict(f"ticket {ticket.id} is closed", code="ticket_closed")


def _end_assignment(ticket: Ticket) -> None:
    current = db.session.scalar(select(TicketAssignment).where(
        TicketAssignment.ticket_id == ticket.id, TicketAssignment.released_at.is_(None)))
    if current is not None:
        current.released_at = utcnow()


def claim(ticket: Ticket, user: User, actor: str, force: bool = False) -> Ticket:
    """Take the ticket. Claiming one you hold is a no-op; one someone else holds needs `force`."""
    _refuse_if_closed(ticket)
    if ticket.assignee_id == user.id:
        return ticket
    _refuse_if_held_by_other(ticket, user, force)
    previous = ticket.assignee_id
    _end_assignment(ticket)
    ticket.assignee_id, ticket.claimed_at = user.id, utcnow()
    ticket.assignee = user
    if ticket.status == TicketStatus.OPEN:
        ticket.status = TicketStatus.CLAIMED
    db.session.add(TicketAssignment(ticket_id=ticket.id, user_id=user.id, assigned_by_id=user.id))
    audit.record(actor, "ticket.claim", "ticket", ticket.id, user_id=user.id,
                 **({"forced": True, "previous_user_id": previous} if previous else {}))
    db.session.commit()
    return ticket


def release(ticket: Ticket, user: User, actor: str, force: bool = False) -> Ticket:
    """Give the ticket back to the queue."""
    if ticket.assignee_id is None:
        raise TicketConflict(f"ticket {ticket.id} is not claimed", code="not_claimed")
    _refuse_if_held_by_other(ticket, user, force)
    previous = ticket.assignee_id
    _end_assignment(ticket)
    ticket.assignee_id, ticket.claimed_at = None, None
    ticket.assignee = None
    if ticket.status == TicketStatus.CLAIMED:
        ticket.status = TicketStatus.OPEN
    audit.record(actor, "ticket.release", "ticket", ticket.id, previous_user_id=previous,
                 **({"forced": True} if previous != user.id else {}))
    db.session.commit()
    return ticket


def _parse_verified(value) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on", "verified"):
        return True
    if text in ("0", "false", "no", "off", "unverified"):
        return False
    raise InvalidAction("verified must be true or false")


def _parse_severity(value) -> int | None:
    if value is None or value == "":
        return None
    try:
        severity = int(value)
    except (TypeError, ValueError):
        raise InvalidAction("severity must be 1 (low), 2 (medium) or 3 (high)") from None
    if isinstance(value, bool) or severity not in SEVERITIES:
        raise InvalidAction("severity must be 1 (low), 2 (medium) or 3 (high)")
    return severity


def triage(ticket: Ticket, user: User, actor: str, *, category: str | None = None, severity=None,
           verified=None, force: bool = False) -> Ticket:
    """Set category, severity (1-3) and verified; the linked report gets the same assessment."""
    _refuse_if_closed(ticket)
    _refuse_if_held_by_other(ticket, user, force)
    severity, verified = _parse_severity(severity), _parse_verified(verified)
    row = None
    if category:
        row = db.session.get(Category, category)
        if row is None or not row.active:
            raise InvalidAction(f"unknown category {category!r}")
    if row is None and severity is None and verified is None:
        raise InvalidAction("give at least one of category, severity, verified")
    changes = {}
    if row is not None:
        ticket.category_code = row.code
        # A sensitive category moves the ticket to designated roles only; it never moves back.
        ticket.sensitive = ticket.sensitive or row.sensitive
        changes["category"] = row.code
    if severity is not None:
        ticket.severity = changes["severity"] = severity
    if verified is not None:
        ticket.verified = changes["verified"] = verified
    report = db.session.get(Report, ticket.report_id) if ticket.report_id else None
    if report is not None:
        if row is not None:
            report.category_code, report.sensitive = row.code, report.sensitive or row.sensitive
        if severity is not None:
            report.severity = severity
        if verified is not None:
            report.verified = verified
            report.status = ReportStatus.VERIFIED if verified else ReportStatus.UNVERIFIED
        elif report.status == ReportStatus.NEW:
            report.status = ReportStatus.IN_REVIEW
    audit.record(actor, "ticket.triage", "ticket", ticket.id, **changes)
    db.session.commit()
    return ticket


def add_note(ticket: Ticket, user: User, actor: str, text: str) -> TicketNote:
    """Add an operator's note (allowed on any ticket the caller can see, even one held by another)."""
    text = (text or "").strip()
    if not text:
        raise InvalidAction("the note is empty")
    if len(text) > MAX_NOTE:
        raise InvalidAction(f"a note has at most {MAX_NOTE} characters")
    note = TicketNote(ticket_id=ticket.id, author_id=user.id, text=text)
    db.session.add(note)
    db.session.flush()
    ticket.updated_at = utcnow()
    audit.record(actor, "ticket.note", "ticket", ticket.id, note_id=note.id)
    db.session.commit()
    return note


def reply_language(ticket: Ticket) -> str:
    """The language to answer in: the ticket's (what the person wrote in), else the contact's."""
    contact = ticket.contact
    return ticket.language or (contact.language if contact else None) or "fra"


def canned_text(canned: CannedReply, language: str) -> str:
    """A canned reply's text in `language`, falling back to French."""
    text = (canned.texts or {}).get(language) or (canned.texts or {}).get("fra")
    if not text:
        raise InvalidAction(f"canned reply {canned.name!r} has no text in {language} nor in French")
    return text


def reply(ticket: Ticket, user: User, actor: str, *, text: str | None = None,
          canned_reply_id: int | None = None, force: bool = False) -> Message:
    """Send an SMS to the person behind the ticket, in their language (queued, never inline)."""
    _refuse_if_closed(ticket)
    _refuse_if_held_by_other(ticket, user, force)
    contact = _reachable_contact(ticket)
    language = reply_language(ticket)
    text = (text or "").strip()
    if not text and canned_reply_id is not None:
        canned = db.session.get(CannedReply, canned_reply_id)
        if canned is None:
            raise InvalidAction(f"no canned reply {canned_reply_id}")
        text = canned_text(canned, language)
    if not text:
        raise InvalidAction("give the reply text or a canned reply")
    if len(text) > MAX_REPLY:
        raise InvalidAction(f"a reply has at most {MAX_REPLY} characters")
    original = db.session.get(Message, ticket.message_id) if ticket.message_id else None
    message = queue_sms(contact, text, kind="reply", language=language, in_reply_to=original, commit=False)
    if original is not None:
        original.handled = True
    ticket.updated_at = utcnow()
    # The audit trail names the message, never its text (personal data, purged with retention).
    audit.record(actor, "ticket.reply", "ticket", ticket.id, message_id=message.id, language=language,
                 canned_reply_id=canned_reply_id)
    db.session.commit()
    return message


def _reachable_contact(ticket: Ticket) -> Contact:
    contact = ticket.contact
    if contact is None:
        raise TicketConflict("this ticket has no contact to answer (anonymous report)", code="no_contact")
    return contact


def refer(ticket: Ticket, user: User, actor: str, partner_id, force: bool = False) -> Ticket:
    """Refer the ticket to a partner organisation."""
    _refuse_if_closed(ticket)
    _refuse_if_held_by_other(ticket, user, force)
    try:
        partner = db.session.get(Partner, int(partner_id))
    except (TypeError, ValueError):
        partner = None
    if partner is None or not partner.active:
        raise InvalidAction(f"unknown partner {partner_id!r}")
    ticket.partner_id, ticket.status = partner.id, TicketStatus.REFERRED
    report = db.session.get(Report, ticket.report_id) if ticket.report_id else None
    if report is not None:
        report.status = ReportStatus.REFERRED
    audit.record(actor, "ticket.refer", "ticket", ticket.id, partner_id=partner.id)
    db.session.commit()
    return ticket


def ticket_reference(ticket: Ticket, report: Report | None = None, message: Message | None = None) -> str:
    """The reference the person knows: their report's, else the one their message was
    acknowledged with (`M-…`), else the ticket's number (`report`, `message`: already loaded)."""
    if report is None and ticket.report_id:
        report = db.session.get(Report, ticket.report_id)
    if report is not None:
        return report.reference
    if message is None and ticket.message_id:
        message = db.session.get(Message, ticket.message_id)
    reference = (message.extra or {}).get("reference") if message is not None else None
    return reference or f"T-{ticket.id}"


def close(ticket: Ticket, user: User, actor: str, notify: bool = True, force: bool = False) -> Message | None:
    """Close the ticket and tell the person it was handled (closing the feedback loop).

    Returns the notification message, or None when there is nobody to tell (anonymous report)
    or `notify` is off.
    """
    _refuse_if_closed(ticket)
    _refuse_if_held_by_other(ticket, user, force)
    _end_assignment(ticket)
    report = db.session.get(Report, ticket.report_id) if ticket.report_id else None
    if report is not None:
        report.status = ReportStatus.CLOSED
    message = None
    if notify and ticket.contact is not None:
        language = reply_language(ticket)
        message = queue_sms(ticket.contact, ticket_closed_text(language, ticket_reference(ticket)),
                            kind="ticket_closed", language=language, commit=False)
    # Closed after the notification is recorded: it belongs to the ticket's time (a sensitive
    # ticket's messages are those exchanged while it was open, gateway/services/visibility.py).
    ticket.status, ticket.closed_at = TicketStatus.CLOSED, utcnow()
    audit.record(actor, "ticket.close", "ticket", ticket.id, notified=message is not None,
                 message_id=message.id if message else None)
    db.session.commit()
    return message


def reveal_number(ticket: Ticket, user: User, actor: str) -> str:
    """The person's phone number, for an administrator; always audited."""
    if not Viewer.of(user).sees_numbers:
        raise NotAllowed("only administrators can see phone numbers")
    contact = _reachable_contact(ticket)
    audit.record(actor, "contact.reveal_number", "contact", contact.id, ticket_id=ticket.id)
    db.session.commit()
    return contact.phone


def thread(ticket: Ticket, viewer: Viewer) -> list[Message]:
    """The messages around a ticket that `viewer` may see: the one that opened it and everything
    exchanged with the person since it opened — without the sensitive ones (another ticket's
    gender-based-violence message) for the uncleared."""
    conditions = []
    if ticket.message_id:
        conditions.append(Message.id == ticket.message_id)
    if ticket.contact_id:
        conditions.append((Message.contact_id == ticket.contact_id) & (Message.created_at >= ticket.created_at))
    if not conditions:
        return []
    stmt = visibility.messages(viewer, select(Message).where(or_(*conditions)))
    return list(db.session.scalars(stmt.order_by(Message.created_at, Message.id)))


def partners() -> list[Partner]:
    """Active partners, by name."""
    return list(db.session.scalars(select(Partner).where(Partner.active.is_(True)).order_by(Partner.name)))


def canned_replies() -> list[CannedReply]:
    """Every canned reply, by name."""
    return list(db.session.scalars(select(CannedReply).order_by(CannedReply.name)))


LABEL = re.compile(r"^[\w][\w \-]{0,39}$")


def add_label(ticket: Ticket, user: User, actor: str, label: str) -> bool:
    """Add a label to the ticket (like a note, allowed whoever holds it). False if it had it."""
    label = " ".join((label or "").split()).lower()
    if not LABEL.match(label):
        raise InvalidAction("a label has 1 to 40 letters, digits, spaces or -")
    if label in (ticket.labels or []):
        return False
    ticket.labels = sorted({*(ticket.labels or []), label})
    ticket.updated_at = utcnow()
    audit.record(actor, "ticket.label", "ticket", ticket.id, label=label)
    db.session.commit()
    return True
