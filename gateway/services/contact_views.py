"""Reads behind the console's contacts pages: a searchable, paginated list, the groups with their
sizes, one person's history (messages, reports, registrations, topics, tickets). Nothing here
changes a row, and nothing here decrypts a number: a number is found by its keyed hash.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from gateway import crypto
from gateway.extensions import db
from gateway.models import Contact, ContactGroup, Message, Registration, Report, Subscription, Ticket, Topic
from gateway.phone import normalize
from gateway.services import visibility
from gateway.services.paging import PER_PAGE, Page, paginate
from gateway.services.visibility import Viewer

HISTORY = 50          # the latest messages and reports shown on a profile


@dataclass
class ContactFilters:
    """What the contacts list may be narrowed to (every filter narrows: AND)."""

    code: str | None = None          # a reporter code, or its beginning
    number: str | None = None        # a phone number in any accepted form (callers check the role)
    group: str | None = None
    stopped: bool | None = None
    region: str | None = None
    language: str | None = None


def contact_query(filters: ContactFilters):
    """A SELECT of the matching contacts. Raises InvalidNumber for a number that is not one."""
    stmt = select(Contact)
    if filters.number:
        stmt = stmt.where(Contact.phone_hash == crypto.lookup_hash(normalize(filters.number)))
    if filters.code:
        code = filters.code.strip().upper()
        code = code if code.startswith("C-") else f"C-{code}"
        stmt = stmt.where(Contact.reporter_code.startswith(code, autoescape=True))
    if filters.group:
        stmt = stmt.where(Contact.id.in_(select(ContactGroup.contact_id).where(ContactGroup.name == filters.group)))
    if filters.stopped is not None:
        stmt = stmt.where(Contact.stopped.is_(filters.stopped))
    if filters.region:
        stmt = stmt.where(Contact.adm1_pcode == filters.region)
    if filters.language:
        stmt = stmt.where(Contact.language == filters.language)
    return stmt


def contacts_page(filters: ContactFilters, number: int = 1, per_page: int = PER_PAGE) -> Page:
    """Page `number` of the matching contacts, the most recently heard from first."""
    last = func.coalesce(Contact.last_seen_at, Contact.created_at)
    return paginate(contact_query(filters), (last.desc(), Contact.id.desc()), number, per_page)


def groups() -> list[tuple[str, int]]:
    """[(group name, members)] by name."""
    return list(db.session.execute(select(ContactGroup.name, func.count()).group_by(ContactGroup.name)
                                   .order_by(ContactGroup.name)).all())


def stopped_count() -> int:
    """How many contacts have stopped every message."""
    return db.session.scalar(select(func.count()).select_from(Contact).where(Contact.stopped.is_(True))) or 0


def get_contact(contact_id: int) -> Contact | None:
    """One contact by id."""
    return db.session.get(Contact, contact_id)


def name_of(contact: Contact) -> str:
    """The contact's name as imported or edited ('' when unknown), for the edit form of roles that
    see names (visibility.contact_name decides)."""
    return crypto.decrypt(contact.name_encrypted) if contact.name_encrypted else ""


@dataclass
class History:
    """What the gateway holds about one person."""

    messages: list[Message]
    messages_total: int
    reports: list[Report]
    registrations: list[Registration]
    topics: list[Topic]
    tickets: list[Ticket]


def history(contact: Contact, viewer: Viewer) -> History:
    """The person's latest messages and reports, registrations, topics and tickets that `viewer`
    may see. Anonymous reports are not there: nothing links them to the person."""
    own = visibility.messages(viewer, select(Message).where(Message.contact_id == contact.id))
    messages = list(db.session.scalars(own.order_by(Message.created_at.desc(), Message.id.desc()).limit(HISTORY)))
    total = db.session.scalar(select(func.count()).select_from(own.subquery())) or 0
    reports = visibility.reports(viewer, select(Report).where(Report.contact_id == contact.id,
                                                              Report.anonymous.is_(False)))
    tickets = visibility.tickets(viewer, select(Ticket).where(Ticket.contact_id == contact.id))
    registrations = select(Registration).where(Registration.contact_id == contact.id).order_by(Registration.created_at.desc())
    topics = (select(Topic).join(Subscription, Subscription.topic_id == Topic.id)
              .where(Subscription.contact_id == contact.id).order_by(Topic.position))
    return History(
        messages=messages, messages_total=total,
        reports=list(db.session.scalars(reports.order_by(Report.created_at.desc()).limit(HISTORY))),
        registrations=list(db.session.scalars(registrations)), topics=list(db.session.scalars(topics)),
        tickets=list(db.session.scalars(tickets.order_by(Ticket.created_at.desc()))))

