"""Need to know: the one place that decides what a staff user or an API token may see of a
message, a report, a ticket and a contact.

Three things decide: the **role** (viewer < operator < staff < admin; only operators and up read
free text, only staff and up see names, only administrators see numbers, always audited), the
**clearance** for sensitive categories (gender-based violence, abuse by aid staff: a sensitive
report, ticket or message does not exist for the uncleared — not in lists, not in threads, not
by id, not in counts of what it is), and **anonymity** (an anonymous report names nobody).

How a page or an API route uses it — `g.viewer` is set by the console's `login_required` and
the API's `require_role`:

    stmt = visibility.messages(g.viewer, select(Message))        # a list: narrow the SELECT
    if not visibility.can_see_ticket(g.viewer, ticket): abort(404) # one object by id
    text = visibility.message_text(g.viewer, message)            # a field: None when hidden
    labels = visibility.labels(g.viewer, message.labels)         # sensitive labels removed

Services that list take the viewer too (`inbox.thread(ticket, viewer)`,
`exports.report_rows(filters, viewer)`, `ReportFilters.apply(stmt, viewer)`), so a new page
cannot forget the rule by forgetting a flag. Templates get the same accessors as helpers
(gateway/console/helpers.py). tests/test_need_to_know.py tries every route with every role.

A message is sensitive when a rule of a sensitive category labelled it, when it opened or
joined a sensitive ticket, when it carries a sensitive report, or when it was exchanged with the
person while one of their sensitive tickets was open (a reply, their answer to it — campaign
messages excepted, they say nothing of the person). Decided in SQL, so a list is filtered by
the database and paginates correctly.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from sqlalchemy import String, and_, cast, exists, false, or_, select
from sqlalchemy.orm import aliased

from gateway.crypto import decrypt
from gateway.extensions import db
from gateway.models import ApiToken, Category, Contact, FlagRule, Message, Report, Ticket, TicketNote

# What each role may do, cumulative from viewer up.
ROLE_RANK = {"viewer": 0, "operator": 1, "staff": 2, "admin": 3}
# Roles allowed to read message, report and note text (operators answer people; viewers see aggregates).
TEXT_ROLES = frozenset({"operator", "staff", "admin"})


@dataclass(frozen=True)
class Viewer:
    """Who is looking: a role, a clearance for sensitive categories, and the user if any."""

    role: str
    cleared: bool = False
    user_id: int | None = None

    @classmethod
    def of(cls, holder) -> "Viewer":
        """The viewer a User or an ApiToken acts as (administrators are always cleared)."""
        user_id = holder.user_id if isinstance(holder, ApiToken) else holder.id
        return cls(role=holder.role, cleared=bool(holder.sensitive_access) or holder.role == "admin",
                   user_id=user_id)

    def at_least(self, role: str) -> bool:
        """True when this viewer's role is `role` or higher."""
        return ROLE_RANK.get(self.role, -1) >= ROLE_RANK[role]

    @property
    def reads_text(self) -> bool:
        """May read what people wrote (messages, report text) and operators' notes."""
        return self.role in TEXT_ROLES

    @property
    def sees_names(self) -> bool:
        """May see the names staff imported or typed."""
        return self.at_least("staff")

    @property
    def sees_numbers(self) -> bool:
        """May have a phone number revealed (each reveal is audited by the caller)."""
        return self.role == "admin"


def sensitive_categories() -> set[str]:
    """Codes of the sensitive categories."""
    return set(db.session.scalars(select(Category.code).where(Category.sensitive.is_(True))))


def sensitive_labels() -> set[str]:
    """Labels that say a message is about a sensitive category: those given by rules of
    sensitive categories, and the categories' own codes."""
    by_rules = db.session.scalars(select(FlagRule.label).join(
        Category, Category.code == FlagRule.category_code).where(Category.sensitive.is_(True)))
    return set(by_rules) | sensitive_categories()


# --- reports ---------------------------------------------------------------------------------

def _sensitive(model):
    """SQL: a report's or a ticket's row (`model`: the class or an alias) is sensitive."""
    categories = select(Category.code).where(Category.sensitive.is_(True))
    # NULL-safe: a ticket without a category is not sensitive by category (NOT NULL is NULL in SQL).
    return or_(model.sensitive.is_(True),
               and_(model.category_code.is_not(None), model.category_code.in_(categories)))


def _may_see(viewer: Viewer, row: Report | Ticket | None) -> bool:
    if row is None:
        return False
    return viewer.cleared or not (row.sensitive or row.category_code in sensitive_categories())


def reports(viewer: Viewer, stmt):
    """Narrow a SELECT over Report to what `viewer` may see."""
    return stmt if viewer.cleared else stmt.where(~_sensitive(Report))


def can_see_report(viewer: Viewer, report: Report | None) -> bool:
    """True when `viewer` may see this report at all."""
    return _may_see(viewer, report)


def report_text(viewer: Viewer, report: Report) -> str | None:
    """What the person wrote in the report, or None when `viewer` may not read it."""
    return report.text if viewer.reads_text and can_see_report(viewer, report) else None


def reporter_code(viewer: Viewer, report: Report) -> str | None:
    """The pseudonymous code of the person behind a report: never for an anonymous report,
    only for roles that read what people write."""
    if report.anonymous or report.contact_id is None or not viewer.reads_text:
        return None
    return db.session.scalar(select(Contact.reporter_code).where(Contact.id == report.contact_id))


# --- tickets ---------------------------------------------------------------------------------

def tickets(viewer: Viewer, stmt):
    """Narrow a SELECT over Ticket to what `viewer` may see."""
    return stmt if viewer.cleared else stmt.where(~_sensitive(Ticket))


def can_see_ticket(viewer: Viewer, ticket: Ticket | None) -> bool:
    """True when `viewer` may see this ticket at all."""
    return _may_see(viewer, ticket)


def ticket_summary(viewer: Viewer, ticket: Ticket) -> str | None:
    """The ticket's one-line summary (it quotes the person), for roles that read text."""
    return ticket.summary if viewer.reads_text and can_see_ticket(viewer, ticket) else None


def note_text(viewer: Viewer, note: TicketNote) -> str | None:
    """An operator's note, for roles that read text."""
    return note.text if viewer.reads_text else None


# --- messages --------------------------------------------------------------------------------

def _labelled(labels: Iterable[str]):
    # Labels are a JSON list: its text form holds each label in double quotes on every database.
    text = cast(Message.labels, String)
    return or_(false(), *(text.like(f'%"{label}"%') for label in sorted(labels)))


def message_sensitive():
    """A SQL condition over Message: true for a sensitive message (see the module's docstring)."""
    ticket = aliased(Ticket)
    in_sensitive_ticket = exists().where(ticket.message_id == Message.id, _sensitive(ticket))
    window = aliased(Ticket)
    during_sensitive_ticket = and_(Message.kind != "campaign", exists().where(
        window.contact_id == Message.contact_id, _sensitive(window),
        Message.created_at >= window.created_at,
        or_(window.closed_at.is_(None), Message.created_at <= window.closed_at)))
    report = aliased(Report)
    carries_sensitive_report = exists().where(
        report.reference == Message.extra["reference"].as_string(), _sensitive(report))
    return or_(_labelled(sensitive_labels()), in_sensitive_ticket, during_sensitive_ticket,
               carries_sensitive_report)


def messages(viewer: Viewer, stmt):
    """Narrow a SELECT over Message to what `viewer` may see."""
    return stmt if viewer.cleared else stmt.where(~message_sensitive())


def can_see_message(viewer: Viewer, message: Message | None) -> bool:
    """True when `viewer` may see this message at all."""
    if message is None:
        return False
    if viewer.cleared:
        return True
    return db.session.scalar(messages(viewer, select(Message.id).where(Message.id == message.id))) is not None


def message_text(viewer: Viewer, message: Message) -> str | None:
    """The message's text, or None when `viewer` may not read it. Call it on messages a
    `messages(viewer, …)` query returned (it does not re-check clearance row by row)."""
    return message.text if viewer.reads_text else None


def labels(viewer: Viewer, values: Iterable[str] | None) -> list[str]:
    """The labels `viewer` may see: sensitive ones only for the cleared."""
    values = list(values or [])
    if viewer.cleared or not values:
        return values
    hidden = sensitive_labels()
    return [label for label in values if label not in hidden]


# --- contacts --------------------------------------------------------------------------------

def contact_name(viewer: Viewer, contact: Contact | None) -> str | None:
    """The name staff know the person by, for roles that see names."""
    if contact is None or not contact.name_encrypted or not viewer.sees_names:
        return None
    return decrypt(contact.name_encrypted)
