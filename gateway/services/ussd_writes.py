"""Applying one write a USSD hop handed over (`ctx.defer` in menus/): a report, a subscription,
a call-back, a registration's SMS and reminder, contact settings, a dropped draft.

A hop answers from Redis; `workers/ussd.py` takes these items from the Redis list, oldest first,
and calls `apply` for each inside its transaction. Every item is safe to apply twice: a report is
unique per session (`source_key`) and its acknowledgement is queued only by the transaction that
created it; subscriptions are unique; a call-back joins the open ticket; a registration's
reminder keeps one job id (only acknowledgement SMS could go twice).
"""
from __future__ import annotations

import logging

from sqlalchemy import delete, update
from sqlalchemy.orm import lazyload

from gateway.extensions import db
from gateway.models import Contact, Registration, RegistrationStatus, Topic, UssdDraft, utcnow
from gateway.services import subscriptions
from gateway.services.activities import schedule_reminder
from gateway.services.messaging import queue_sms
from gateway.services.notification_texts import callback_ack_text, registration_text, report_ack_text
from gateway.services.places import InvalidPcode
from gateway.services.reports import InvalidReport, ReportDraft, create_report
from gateway.services.ticket_intake import open_ticket

log = logging.getLogger(__name__)


class Permanent(Exception):
    """An item that can never be applied (kept in the dead-letter list, not retried)."""


def apply(item: dict) -> None:
    """Apply one handed-over write (the caller commits)."""
    handler = HANDLERS.get(item.get("kind"))
    if handler is None:
        raise Permanent(f"unknown kind {item.get('kind')!r}")
    handler(item)


def _contact(contact_id) -> Contact | None:
    return db.session.get(Contact, contact_id, options=[lazyload(Contact.groups)]) if contact_id else None


def _report(item: dict) -> None:
    contact = _contact(item.get("contact_id"))
    draft = ReportDraft(**item["draft"])
    try:
        report, created = create_report(draft, contact, source_key=item["source_key"],
                                         reference=item.get("reference"), accept_inactive=True)
    except (InvalidReport, InvalidPcode, TypeError) as exc:
        raise Permanent(str(exc)) from exc
    if report.reference != item.get("reference") and created:
        log.warning("USSD report reference clashed; the SMS acknowledgement carries the stored one")
    # Anonymous reports are acknowledged on screen only (see menus/journeys/report.yaml).
    if created and contact is not None and not report.anonymous:
        queue_sms(contact, report_ack_text(draft.language, report.reference),
                  kind="ack", language=draft.language, commit=False)


def _topic(item: dict) -> None:
    contact, topic = _contact(item["contact_id"]), db.session.get(Topic, item["topic_id"])
    if contact is None or topic is None:
        raise Permanent("contact or topic gone")
    if item["join"]:
        subscriptions.join(contact, topic, channel="ussd")
    else:
        subscriptions.leave(contact, topic)


def _callback(item: dict) -> None:
    contact = _contact(item["contact_id"])
    if contact is None:
        raise Permanent("contact gone")
    # Applied twice (a worker killed between the commit and removing the item), the open ticket
    # is joined, not opened again; only the acknowledgement SMS would go twice.
    open_ticket("callback", contact_id=contact.id, priority=2, language=item.get("language"),
                labels=["callback", "ussd"], summary="Call-back requested over USSD")
    queue_sms(contact, callback_ack_text(item.get("language")), kind="ack",
              language=item.get("language"), commit=False)


def _registered(item: dict) -> None:
    """The confirmation SMS of a registration the hop made, and its reminder the day before."""
    registration = db.session.get(Registration, item["registration_id"])
    if registration is None or registration.status == RegistrationStatus.CANCELLED:
        return                        # cancelled from the console meanwhile: nothing to confirm
    contact = _contact(registration.contact_id)
    if contact is None:
        raise Permanent("contact gone")
    # The SMS says what the screen said (status and place then), as the hop decided it.
    queue_sms(contact, registration_text(item.get("language"), registration.activity, item["status"],
                                         item.get("position") or 0),
              kind="ack", language=item.get("language"), commit=False)
    if registration.status == RegistrationStatus.CONFIRMED and registration.reminder_job_id is None:
        schedule_reminder(registration)


def _contact_values(item: dict) -> None:
    allowed = {"language", "language_confirmed", "adm1_pcode"}
    values = {k: v for k, v in (item.get("values") or {}).items() if k in allowed}
    if values:
        db.session.execute(update(Contact).where(Contact.id == item["contact_id"])
                           .values(updated_at=utcnow(), **values))


def _drop_draft(item: dict) -> None:
    """The database copy of a draft (the Redis copy went with the hop's own write)."""
    db.session.execute(delete(UssdDraft).where(UssdDraft.contact_id == item["contact_id"]))


HANDLERS = {"report": _report, "topic": _topic, "callback": _callback, "registered": _registered,
            "contact": _contact_values, "drop_draft": _drop_draft}
