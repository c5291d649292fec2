"""Retention: personal data and message text older than RETENTION_DAYS are purged.

What goes, once older than the period:
- the text (and the provider's raw fields, which can quote it) of every SMS, in and out;
- the free text of reports, and the link from a report to the person (the report row stays,
  so counts by region, category and week do not change);
- operators' notes and the summaries of tickets closed before the cutoff;
- the link from a purged report's tickets to the person (their contact and the message that
  carried the report): otherwise `tickets.contact_id` + `report_id` would join the report back;
- USSD session records (`ussd_sessions`: contact, session id, times) started before the cutoff;
- contacts not heard from, created or updated within the period: name, number (encrypted and
  hashed), reporter code, location, groups and subscriptions. The row stays (anonymous, marked
  invalid so nothing is ever sent to it) so old campaign and message counts still add up.
  Exception: a contact who sent STOP keeps its encrypted number and keyed hash — the opt-out
  list must survive, or a later import would start messaging them again. Their name, groups,
  location and subscriptions go like everyone else's.

Every purge is audited with its counts; a dry run counts and changes nothing.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import String, cast, delete, func, literal, or_, select, update

from gateway.extensions import db
from gateway.models import (Contact, ContactGroup, Message, Report, Subscription, Ticket, TicketNote,
                            UssdSession, utcnow)
from gateway.models.statuses import TicketStatus
from gateway.services import audit

PURGED_HASH_PREFIX = "purged-"
PURGED_NOTE = "[purged]"


@dataclass
class PurgeResult:
    """How many rows each step touched (or would touch, on a dry run)."""

    cutoff: str
    messages: int = 0
    reports: int = 0
    notes: int = 0
    tickets: int = 0
    ticket_links: int = 0
    ussd_sessions: int = 0
    contacts: int = 0
    stopped_contacts: int = 0
    dry_run: bool = False

    def as_dict(self) -> dict:
        return asdict(self)


def cutoff(now: datetime | None = None, days: int | None = None) -> datetime:
    """The moment before which personal data goes."""
    days = current_app.config["RETENTION_DAYS"] if days is None else days
    return (now or utcnow()) - timedelta(days=days)


def _count(stmt) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def _old_messages(before):
    return select(Message.id).where(Message.created_at < before, or_(
        Message.text.is_not(None), cast(Message.extra, String) != "{}"))


def _old_reports(before):
    return select(Report.id).where(Report.created_at < before, or_(
        Report.text.is_not(None), Report.contact_id.is_not(None)))


def _old_notes(before):
    return select(TicketNote.id).where(TicketNote.created_at < before, TicketNote.text != PURGED_NOTE)


def _old_tickets(before):
    return select(Ticket.id).where(Ticket.status == TicketStatus.CLOSED, Ticket.closed_at < before, Ticket.summary != "")


def _old_report_tickets(before):
    """Tickets of reports past the period that still lead to a person."""
    return select(Ticket.id).where(
        Ticket.report_id.in_(select(Report.id).where(Report.created_at < before)),
        or_(Ticket.contact_id.is_not(None), Ticket.message_id.is_not(None)))


def _old_ussd_sessions(before):
    return select(UssdSession.id).where(UssdSession.started_at < before)


def _inactive_contacts(before):
    """Contacts nobody heard from, created or updated since `before`, not purged yet."""
    return select(Contact.id).where(
        Contact.created_at < before, Contact.updated_at < before,
        or_(Contact.last_seen_at.is_(None), Contact.last_seen_at < before),
        Contact.phone_hash.not_like(f"{PURGED_HASH_PREFIX}%"),
        # Stopped contacts that were already stripped keep their hash: skip them once done.
        or_(Contact.stopped.is_(False), Contact.name_encrypted.is_not(None),
            Contact.adm1_pcode.is_not(None), Contact.adm2_pcode.is_not(None),
            Contact.id.in_(select(ContactGroup.contact_id)), Contact.id.in_(select(Subscription.contact_id))))


def purge(now: datetime | None = None, *, dry_run: bool = False, actor: str = "system",
          days: int | None = None) -> PurgeResult:
    """Purge what is older than the retention period; commit and audit unless `dry_run`."""
    before = cutoff(now, days)
    inactive = _inactive_contacts(before)
    stopped = inactive.where(Contact.stopped.is_(True))
    result = PurgeResult(cutoff=before.isoformat(), dry_run=dry_run,
                         messages=_count(_old_messages(before)), reports=_count(_old_reports(before)),
                         notes=_count(_old_notes(before)), tickets=_count(_old_tickets(before)),
                         ticket_links=_count(_old_report_tickets(before)),
                         ussd_sessions=_count(_old_ussd_sessions(before)),
                         contacts=_count(inactive.where(Contact.stopped.is_(False))),
                         stopped_contacts=_count(stopped))
    if dry_run:
        return result
    now_ = utcnow()
    db.session.execute(update(Message).where(Message.id.in_(_old_messages(before)))
                       .values(text=None, extra={}, updated_at=now_), execution_options={"synchronize_session": False})
    db.session.execute(update(Report).where(Report.id.in_(_old_reports(before)))
                       .values(text=None, contact_id=None, updated_at=now_), execution_options={"synchronize_session": False})
    db.session.execute(update(TicketNote).where(TicketNote.id.in_(_old_notes(before)))
                       .values(text=PURGED_NOTE), execution_options={"synchronize_session": False})
    db.session.execute(update(Ticket).where(Ticket.id.in_(_old_tickets(before)))
                       .values(summary=""), execution_options={"synchronize_session": False})
    db.session.execute(update(Ticket).where(Ticket.id.in_(_old_report_tickets(before)))
                       .values(contact_id=None, message_id=None), execution_options={"synchronize_session": False})
    db.session.execute(delete(UssdSession).where(UssdSession.id.in_(_old_ussd_sessions(before))),
                       execution_options={"synchronize_session": False})
    _purge_contacts(before)
    audit.record(actor, "privacy.purge", "retention", None, **{k: v for k, v in result.as_dict().items()
                                                                if k != "dry_run"})
    db.session.commit()
    db.session.expire_all()
    return result


def _purge_contacts(before) -> None:
    ids = [row for row in db.session.scalars(_inactive_contacts(before))]
    stopped = set(db.session.scalars(_inactive_contacts(before).where(Contact.stopped.is_(True))))
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        db.session.execute(delete(ContactGroup).where(ContactGroup.contact_id.in_(chunk)))
        db.session.execute(delete(Subscription).where(Subscription.contact_id.in_(chunk)))
        db.session.execute(update(Contact).where(Contact.id.in_(chunk))
                           .values(name_encrypted=None, adm1_pcode=None, adm2_pcode=None, adm3_pcode=None),
                           execution_options={"synchronize_session": False})
        forget = [i for i in chunk if i not in stopped]
        if forget:
            # Unique placeholders in place of the keyed hash and the HMAC-derived reporter code;
            # the number itself is replaced by empty bytes, and `invalid` keeps senders away.
            db.session.execute(update(Contact).where(Contact.id.in_(forget)).values(
                phone_hash=literal(PURGED_HASH_PREFIX) + cast(Contact.id, String),
                reporter_code=literal("P-") + cast(Contact.id, String),
                phone_encrypted=b"", invalid=True, channel=None,
            ), execution_options={"synchronize_session": False})
