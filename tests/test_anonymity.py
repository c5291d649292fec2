"""An anonymous report never joins back to the person who made it: not by session key, ticket,
audit entry or time, even when the session's state is gone before the end-of-session
notification arrives (the case that used to store the contact beside the session id)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from gateway.extensions import db
from gateway.models import AuditEntry, Contact, Message, Report, Ticket, UssdSession
from gateway.services import contacts as contact_service
from gateway.services.reports import report_reference, stored_source_key
from tests.test_ussd_journeys import SAYS, report_until_confirm
from tests.ussd_tester import ussd  # noqa: F401 - fixture

URL = "/ussd/africastalking"
# An odd minute and second: a time cut to the hour then differs from every exact one.
START = datetime(2026, 11, 26, 9, 23, 17, tzinfo=timezone.utc)


def _urgent_anonymous_report(phone):
    """An anonymous report that opens a ticket (urgency 'urgent')."""
    says = SAYS["fra"]
    phone.send("1").expect(says["category"])
    phone.send("2").expect(says["region"])
    phone.choose("Diffa").expect(says["department"])
    phone.choose("Maine Soroa").expect(says["when"])
    phone.choose(says["today"]).expect(says["urgency"])
    phone.send("1").expect(says["details"])          # high
    phone.send("Les hommes du chef de village").expect(says["anonymous"])
    phone.send("1").expect(says["confirm"])
    phone.send("1").expect("Ref:", end=True)


def _end_notification(client, phone, duration_ms=41000):
    form = {"sessionId": phone.session_id, "serviceCode": "*384*1010#", "networkCode": "99999",
            "phoneNumber": phone.phone, "status": "Success", "input": "1", "lastAppResponse": "END …",
            "errorMessage": "", "durationInMillis": str(duration_ms), "hopsCount": "9", "cost": "KES 0.5",
            "date": "2026-11-26 10:23:00"}
    assert client.post(URL + "/events", data=form).status_code == 200


@pytest.fixture
def traces(app, client, seeded, drain, ussd, clock):
    """Someone reports by name, then anonymously (state lost before the end notification), then
    another person reports by name; every session ends with its notification."""
    clock.move_to(START)
    known = report_until_confirm(ussd("fra"), "fra", details="Le puits est ferme")
    known.send("1").expect("Ref:", end=True)
    clock.shift(timedelta(minutes=3, seconds=11))
    _end_notification(client, known)
    drain()
    clock.shift(timedelta(minutes=4, seconds=7))
    anonymous = ussd(phone=known.phone)
    _urgent_anonymous_report(anonymous)
    drain()
    app.extensions["redis"].delete(*app.extensions["redis"].keys("ussd:session:*"))   # state gone
    clock.shift(timedelta(seconds=2))
    _end_notification(client, anonymous)
    other = report_until_confirm(ussd("fra"), "fra", details="Rien a signaler")
    other.send("1").expect("Ref:", end=True)
    _end_notification(client, other)
    drain()
    db.session.expire_all()
    report = db.session.scalars(select(Report).where(Report.anonymous.is_(True))).one()
    contact = contact_service.find_by_phone(known.phone)
    return {"report": report, "contact": contact, "anonymous_session": anonymous.session_id}


def _about(report, ticket) -> list[AuditEntry]:
    """The audit entries about the report and its ticket."""
    return db.session.scalars(select(AuditEntry).where(
        ((AuditEntry.object_type == "report") & (AuditEntry.object_id == str(report.id)))
        | ((AuditEntry.object_type == "ticket") & (AuditEntry.object_id == str(ticket.id))))).all()


def _stamps(*rows, fields=("created_at", "updated_at", "at", "started_at", "ended_at", "last_seen_at",
                           "claimed_at", "closed_at")) -> set[datetime]:
    return {getattr(row, f) for row in rows for f in fields if getattr(row, f, None) is not None}


def test_no_session_key_leads_from_the_person_to_the_report(app, traces):
    report = traces["report"]
    with_contact = db.session.scalars(select(UssdSession).where(UssdSession.contact_id.is_not(None))).all()
    assert with_contact                                          # the named sessions keep their person
    for row in with_contact:
        key = f"ussd:{row.channel}:{row.session_id}"
        assert row.session_id != traces["anonymous_session"]
        assert stored_source_key(key, anonymous=True) != report.source_key
        assert report_reference(key) != report.reference
    logged = db.session.scalars(select(UssdSession).where(UssdSession.session_id == traces["anonymous_session"])).one()
    assert logged.contact_id is None


def test_no_ticket_or_audit_entry_leads_to_the_person(app, traces):
    report, contact = traces["report"], traces["contact"]
    assert report.contact_id is None
    tickets = db.session.scalars(select(Ticket).where(Ticket.report_id == report.id)).all()
    assert len(tickets) == 1 and tickets[0].contact_id is None and tickets[0].message_id is None
    about = _about(report, tickets[0])
    assert {e.action for e in about} == {"report.create", "ticket.open"}
    for entry in about:
        assert not any("contact" in key or "phone" in key for key in entry.details), entry.details
    assert not db.session.scalars(select(AuditEntry).where(AuditEntry.object_type == "contact",
                                                           AuditEntry.object_id == str(contact.id))).all()
    assert not db.session.scalars(select(Message).where(Message.contact_id == contact.id,
                                                        Message.text.contains(report.reference))).all()


def test_no_time_about_the_report_lines_up_with_the_person(app, traces):
    report, contact = traces["report"], traces["contact"]
    ticket = db.session.scalars(select(Ticket).where(Ticket.report_id == report.id)).one()
    audit = _about(report, ticket)
    session = db.session.scalars(select(UssdSession).where(UssdSession.session_id == traces["anonymous_session"])).one()
    about_report = _stamps(report, ticket, session, *audit)
    assert about_report and all(t.minute == t.second == t.microsecond == 0 for t in about_report)
    person = _stamps(db.session.get(Contact, contact.id),
                     *db.session.scalars(select(UssdSession).where(UssdSession.contact_id == contact.id)),
                     *db.session.scalars(select(Message).where(Message.contact_id == contact.id)),
                     *db.session.scalars(select(Report).where(Report.contact_id == contact.id)))
    assert person and not (about_report & person)
