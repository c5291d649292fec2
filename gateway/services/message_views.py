"""Reads behind the console's messages page: every SMS in and out, filtered and paginated, and
the tickets they belong to. Nothing here changes a row; text search goes through text_search.

What a viewer may see is gateway/services/visibility.py's decision: a message the viewer may
not see is neither listed nor found by a search (so a search never confirms what it says).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from gateway.extensions import db
from gateway.models import Contact, Message, Ticket
from gateway.services import text_search, visibility
from gateway.services.paging import PER_PAGE, Page, paginate
from gateway.services.visibility import Viewer

DIRECTIONS = ("in", "out")


@dataclass
class MessageFilters:
    """What the messages list may be narrowed to (every filter narrows: AND)."""

    direction: str | None = None
    channel: str | None = None
    language: str | None = None
    region: str | None = None            # the contact's region (messages carry no place)
    flagged: bool | None = None
    since: datetime | None = None
    until: datetime | None = None        # exclusive
    search: str | None = None
    contact_id: int | None = None


def message_query(filters: MessageFilters, viewer: Viewer):
    """A SELECT of the messages matching `filters` that `viewer` may see (no ordering)."""
    stmt = visibility.messages(viewer, select(Message))
    if filters.direction in DIRECTIONS:
        stmt = stmt.where(Message.direction == filters.direction)
    if filters.channel:
        stmt = stmt.where(Message.channel == filters.channel)
    if filters.language:
        stmt = stmt.where(Message.language == filters.language)
    if filters.region:
        stmt = stmt.join(Contact, Contact.id == Message.contact_id).where(Contact.adm1_pcode == filters.region)
    if filters.flagged is not None:
        stmt = stmt.where(Message.flagged.is_(filters.flagged))
    if filters.since is not None:
        stmt = stmt.where(Message.created_at >= filters.since)
    if filters.until is not None:
        stmt = stmt.where(Message.created_at < filters.until)
    if filters.contact_id is not None:
        stmt = stmt.where(Message.contact_id == filters.contact_id)
    condition = text_search.message_matches(filters.search)
    if condition is not None:
        stmt = stmt.where(condition)
    return stmt


def messages_page(filters: MessageFilters, viewer: Viewer, number: int = 1, per_page: int = PER_PAGE) -> Page:
    """Page `number` of the matching messages `viewer` may see, newest first."""
    return paginate(message_query(filters, viewer), (Message.created_at.desc(), Message.id.desc()),
                    number, per_page)


def channels() -> list[str]:
    """The channels messages were carried on, for the filter."""
    return sorted(db.session.scalars(select(Message.channel).distinct()))


def tickets_of(messages: list[Message], viewer: Viewer) -> dict[int, Ticket]:
    """{message id: the ticket opened from it} for the messages that have one `viewer` may see."""
    ids = [m.id for m in messages]
    if not ids:
        return {}
    stmt = visibility.tickets(viewer, select(Ticket).where(Ticket.message_id.in_(ids)))
    return {t.message_id: t for t in db.session.scalars(stmt.order_by(Ticket.id))}


def get_message(message_id: int) -> Message | None:
    """One message by id."""
    return db.session.get(Message, message_id)
