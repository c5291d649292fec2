"""Reads behind the console's inbox and ticket pages: a searchable, paginated inbox with an
excerpt, place and age per ticket; a ticket's timeline (every action, with its author, from the
audit log and the ticket's own rows); the next ticket to work on. Nothing here changes a row.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, func, or_, select

from gateway.extensions import db
from gateway.models import (AuditEntry, CannedReply, Category, Contact, Message, Partner, Report, Ticket,
                            TicketNote, User, utcnow)
from gateway.services import text_search
from gateway.services.inbox import TicketFilters, ticket_query, ticket_reference
from gateway.services.paging import PER_PAGE, Page, paginate
from gateway.services.report_views import actor_names
from gateway.services.visibility import Viewer

EXCERPT = 140
_TICKET_NUMBER = re.compile(r"^t-?(\d{1,9})$", re.IGNORECASE)


@dataclass
class InboxFilters(TicketFilters):
    """The inbox's filters: the API's, plus a search and the region of the report or person."""

    search: str | None = None
    region: str | None = None


def inbox_query(filters: InboxFilters, viewer: Viewer):
    """A SELECT of the tickets matching `filters` that the caller may see (no ordering)."""
    stmt = ticket_query(filters, viewer)
    needs_places = filters.region or (filters.search or "").strip()
    if needs_places:
        stmt = (stmt.outerjoin(Report, Report.id == Ticket.report_id)
                .outerjoin(Contact, Contact.id == Ticket.contact_id))
    if filters.region:
        stmt = stmt.where(or_(Report.adm1_pcode == filters.region,
                              and_(Report.id.is_(None), Contact.adm1_pcode == filters.region)))
    search = (filters.search or "").strip()
    if search:
        stmt = stmt.outerjoin(Message, Message.id == Ticket.message_id).where(_search_condition(search))
    return stmt


def _search_condition(search: str):
    """A ticket number, a report reference, a reporter code, a message reference, or words of
    the text (the message's, the report's)."""
    conditions = [func.upper(Report.reference) == search.upper(), func.upper(Contact.reporter_code) == search.upper(),
                  func.lower(Ticket.summary).like(f"%{search.lower().replace('%', '').replace('_', '')}%")]
    number = _TICKET_NUMBER.match(search)
    if number:
        conditions.append(Ticket.id == int(number.group(1)))
    for condition in (text_search.message_matches(search), text_search.report_matches(search)):
        if condition is not None:
            conditions.append(condition)
    return or_(*conditions)


def inbox_page(filters: InboxFilters, viewer: Viewer, number: int = 1, per_page: int = PER_PAGE) -> Page:
    """Page `number` of the inbox: most urgent first, then oldest first (first come, first served)."""
    return paginate(inbox_query(filters, viewer), (Ticket.priority, Ticket.created_at, Ticket.id),
                    number, per_page)


@dataclass
class InboxRow:
    """What the inbox shows of one ticket besides the ticket itself."""

    ticket: Ticket
    excerpt: str | None          # what the person wrote (the caller decides whether to show it)
    labels: list[str]            # the message's labels (for the caller's need-to-know check)
    region: str | None
    department: str | None
    reference: str
    age_seconds: float


def _excerpt(text: str | None) -> str | None:
    if not text:
        return None
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT else text[:EXCERPT - 1].rstrip() + "…"


def inbox_rows(tickets: list[Ticket]) -> list[InboxRow]:
    """The excerpt, place, reference and age of each ticket, in three queries for the page."""
    messages = _by_id(Message, {t.message_id for t in tickets if t.message_id})
    reports = _by_id(Report, {t.report_id for t in tickets if t.report_id})
    now = utcnow()
    rows = []
    for ticket in tickets:
        message, report = messages.get(ticket.message_id), reports.get(ticket.report_id)
        if report is not None:
            region, department, text = report.adm1_pcode, report.adm2_pcode, report.text
        else:
            contact = ticket.contact
            region, department = (contact.adm1_pcode, contact.adm2_pcode) if contact else (None, None)
            text = None
        if message is not None and message.text:
            text = message.text
        rows.append(InboxRow(ticket, _excerpt(text), list(message.labels or []) if message else [], region,
                             department, ticket_reference(ticket, report, message),
                             (now - ticket.created_at).total_seconds()))
    return rows


def _by_id(model, ids: set[int]) -> dict:
    if not ids:
        return {}
    return {row.id: row for row in db.session.scalars(select(model).where(model.id.in_(ids)))}


def next_ticket(user: User, viewer: Viewer, after: Ticket | None = None) -> Ticket | None:
    """The next ticket to work on: the first active one in inbox order that nobody else holds."""
    stmt = ticket_query(TicketFilters(status="active"), viewer).where(
        or_(Ticket.assignee_id.is_(None), Ticket.assignee_id == user.id))
    if after is not None:
        stmt = stmt.where(Ticket.id != after.id)
    return db.session.scalar(stmt.order_by(Ticket.priority, Ticket.created_at, Ticket.id).limit(1))


# ---------------------------------------------------------------- the ticket's timeline

@dataclass
class Step:
    """One thing that happened to a ticket: when, what, who, and what it concerned."""

    at: datetime
    action: str                  # the audited action: ticket.claim, ticket.reply, …
    actor: str
    actor_name: str              # '' for the system (the pipeline opened it)
    details: dict = field(default_factory=dict)
    note: TicketNote | None = None
    message: Message | None = None
    partner: Partner | None = None
    canned: CannedReply | None = None
    category: Category | None = None
    user_name: str | None = None  # whom a step concerned (a claim taken over from someone)


def timeline(ticket: Ticket) -> list[Step]:
    """Every audited action on the ticket (and the numbers revealed for it), oldest first."""
    entries = list(db.session.scalars(select(AuditEntry).where(
        AuditEntry.object_type == "ticket", AuditEntry.object_id == str(ticket.id)).order_by(AuditEntry.at, AuditEntry.id)))
    if ticket.contact_id:
        reveals = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "contact.reveal_number", AuditEntry.object_type == "contact",
            AuditEntry.object_id == str(ticket.contact_id)))
        entries += [e for e in reveals if (e.details or {}).get("ticket_id") == ticket.id]
        entries.sort(key=lambda e: (e.at, e.id))
    details = [e.details or {} for e in entries]
    notes = _by_id(TicketNote, {d["note_id"] for d in details if isinstance(d.get("note_id"), int)})
    messages = _by_id(Message, {d["message_id"] for d in details if isinstance(d.get("message_id"), int)})
    partners = _by_id(Partner, {d["partner_id"] for d in details if isinstance(d.get("partner_id"), int)})
    canned = _by_id(CannedReply, {d["canned_reply_id"] for d in details if isinstance(d.get("canned_reply_id"), int)})
    people = {f"user:{d['previous_user_id']}" for d in details if isinstance(d.get("previous_user_id"), int)}
    names = actor_names({e.actor for e in entries} | people)
    steps = []
    for entry, detail in zip(entries, details):
        previous = detail.get("previous_user_id")
        steps.append(Step(
            at=entry.at, action=entry.action, actor=entry.actor, actor_name=names.get(entry.actor, ""),
            details=detail, note=notes.get(detail.get("note_id")), message=messages.get(detail.get("message_id")),
            partner=partners.get(detail.get("partner_id")), canned=canned.get(detail.get("canned_reply_id")),
            category=db.session.get(Category, detail["category"]) if detail.get("category") else None,
            user_name=names.get(f"user:{previous}") if previous else None))
    return steps


def note_authors(ticket: Ticket) -> dict[int, str]:
    """{note id: its author's name} for the ticket's notes."""
    ids = {n.author_id for n in ticket.notes if n.author_id}
    users = _by_id(User, ids)
    return {n.id: (users[n.author_id].name or users[n.author_id].email) if n.author_id in users else ""
            for n in ticket.notes}


def partner_of(ticket: Ticket) -> Partner | None:
    """The partner the ticket was referred to, if any."""
    return db.session.get(Partner, ticket.partner_id) if ticket.partner_id else None
