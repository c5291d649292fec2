"""Retention: message text and personal data older than RETENTION_DAYS are purged, aggregates stay."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from gateway.extensions import db
from gateway.models import AuditEntry, Contact, ContactGroup, Message, Report, Ticket, TicketNote
from gateway.services import contacts, exports, privacy
from gateway.services.visibility import Viewer
from tests.factories import ContactFactory, ReportFactory

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)
OLD = NOW - timedelta(days=400)
RECENT = NOW - timedelta(days=10)


@pytest.fixture
def history(app, seeded):
    """Old and recent contacts, messages, reports, tickets and notes."""
    old = ContactFactory(phone_number="+22790999001", created_at=OLD, updated_at=OLD, last_seen_at=OLD,
                         name_encrypted=b"x", adm1_pcode="NE002")
    contacts.set_groups(old, ["youth"])
    stopped = ContactFactory(phone_number="+22790999002", created_at=OLD, updated_at=OLD, last_seen_at=OLD,
                             stopped=True, stopped_at=OLD, stopped_via="sms", name_encrypted=b"y")
    active = ContactFactory(phone_number="+22790999003", created_at=OLD, updated_at=OLD, last_seen_at=RECENT,
                            name_encrypted=b"z")
    db.session.add_all([
        Message(direction="in", channel="fake", contact_id=old.id, text="old secret", status="received",
                extra={"from": "+22790999001"}, created_at=OLD),
        Message(direction="in", channel="fake", contact_id=active.id, text="recent text", status="received",
                created_at=RECENT),
    ])
    ReportFactory(reference="R-OLD001", text="old report text", contact_id=old.id, created_at=OLD)
    ReportFactory(reference="R-NEW001", text="new report text", contact_id=active.id, created_at=RECENT)
    ticket = Ticket(kind="feedback", status="closed", summary="old summary", created_at=OLD, closed_at=OLD)
    db.session.add(ticket)
    db.session.flush()
    db.session.add_all([TicketNote(ticket_id=ticket.id, text="called him at home", created_at=OLD),
                        TicketNote(ticket_id=ticket.id, text="recent note", created_at=RECENT)])
    db.session.commit()
    return {"old": old.id, "stopped": stopped.id, "active": active.id, "ticket": ticket.id}


def test_purge_removes_old_personal_data_and_keeps_aggregates(app, history):
    summary_before = exports.summary(exports.ReportFilters(), Viewer("admin", cleared=True))
    result = privacy.purge(NOW)
    assert (result.messages, result.reports, result.notes, result.tickets, result.contacts,
            result.stopped_contacts) == (1, 1, 1, 1, 1, 1)
    texts = dict(db.session.execute(select(Message.text, Message.extra)).all())
    assert texts == {None: {}, "recent text": {}}
    reports = {r.reference: r for r in db.session.scalars(select(Report))}
    assert reports["R-OLD001"].text is None and reports["R-OLD001"].contact_id is None
    assert reports["R-NEW001"].text == "new report text" and reports["R-NEW001"].contact_id == history["active"]
    assert exports.summary(exports.ReportFilters(), Viewer("admin", cleared=True)) == summary_before      # aggregates unchanged
    notes = sorted(db.session.scalars(select(TicketNote.text)))
    assert notes == ["[purged]", "recent note"]
    assert db.session.get(Ticket, history["ticket"]).summary == ""

    old = db.session.get(Contact, history["old"])
    assert bytes(old.phone_encrypted) == b"" and old.name_encrypted is None and old.invalid
    assert old.phone_hash.startswith("purged-") and old.reporter_code == f"P-{old.id}"
    assert old.adm1_pcode is None
    assert db.session.scalar(select(func.count()).select_from(ContactGroup)) == 0
    # The person writing again is a new contact; nothing links back.
    assert contacts.find_by_phone("+22790999001") is None

    stopped = db.session.get(Contact, history["stopped"])
    assert stopped.name_encrypted is None and stopped.stopped
    assert contacts.find_by_phone("+22790999002").id == stopped.id      # the opt-out survives
    active = db.session.get(Contact, history["active"])
    assert active.name_encrypted == b"z" and active.phone == "+22790999003"

    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "privacy.purge")).one()
    assert entry.details["messages"] == 1 and entry.details["contacts"] == 1


def test_purge_is_idempotent(app, history):
    privacy.purge(NOW)
    again = privacy.purge(NOW)
    assert (again.messages, again.reports, again.notes, again.tickets, again.contacts,
            again.stopped_contacts) == (0, 0, 0, 0, 0, 0)


def test_dry_run_changes_nothing(app, history):
    result = privacy.purge(NOW, dry_run=True)
    assert result.messages == 1 and result.contacts == 1 and result.dry_run
    assert db.session.scalar(select(func.count()).select_from(Message).where(Message.text.is_not(None))) == 2
    assert contacts.find_by_phone("+22790999001") is not None
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "privacy.purge")) == 0


def test_retention_days_setting(app, history):
    app.config["RETENTION_DAYS"] = 5
    assert privacy.purge(NOW, dry_run=True).messages == 2
    app.config["RETENTION_DAYS"] = 1000
    assert privacy.purge(NOW, dry_run=True).messages == 0


def test_cli_purge(app, runner, history, clock):
    dry = runner.invoke(args=["privacy", "purge", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would purge" in dry.output and "1 message texts" in dry.output
    assert db.session.scalar(select(func.count()).select_from(Message).where(Message.text.is_not(None))) == 2
    done = runner.invoke(args=["privacy", "purge"])
    assert done.exit_code == 0 and "purged" in done.output
    db.session.expire_all()
    assert list(db.session.scalars(select(Message.text).where(Message.text.is_not(None)))) == ["recent text"]
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "privacy.purge")).one()
    assert entry.actor == "cli"


def test_daily_job_runs_on_the_worker_and_schedules_the_next(app, drain, history, clock):
    from rq.registry import ScheduledJobRegistry
    from gateway.queue import get_queue
    from workers import periodic
    job_id = periodic.schedule_next("privacy-purge")
    assert job_id == "privacy-purge-20261127"                  # next 02:00 Niamey
    assert periodic.schedule_next("privacy-purge") == job_id              # idempotent
    registry = ScheduledJobRegistry(queue=get_queue("default"))
    assert registry.get_job_ids() == [job_id]
    clock.shift(timedelta(days=1))
    assert drain() == 1
    assert list(db.session.scalars(select(Message.text).where(Message.text.is_not(None)))) == ["recent text"]
    assert registry.get_job_ids() == ["privacy-purge-20261128"]
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "privacy.purge")).one()
    assert entry.actor == "system:retention"


def test_next_run_is_two_in_the_morning_in_niamey():
    from workers.periodic import next_run
    at = next_run("privacy-purge", datetime(2026, 11, 26, 0, 30, tzinfo=timezone.utc))      # 01:30 in Niamey
    assert at.astimezone(timezone.utc) == datetime(2026, 11, 26, 1, 0, tzinfo=timezone.utc)
    at = next_run("privacy-purge", datetime(2026, 11, 26, 1, 0, tzinfo=timezone.utc))       # exactly 02:00
    assert at.astimezone(timezone.utc) == datetime(2026, 11, 27, 1, 0, tzinfo=timezone.utc)


# --- Finding 6: tickets of purged reports and old USSD sessions ---------------------------------

@pytest.fixture
def report_tickets(app, history):
    """A ticket for an old report and one for a recent report, both with the person and the SMS."""
    from gateway.models import UssdSession
    old_report = db.session.scalars(select(Report).where(Report.reference == "R-OLD001")).one()
    new_report = db.session.scalars(select(Report).where(Report.reference == "R-NEW001")).one()
    message = db.session.scalars(select(Message).where(Message.text == "old secret")).one()
    old = Ticket(kind="report", status="open", contact_id=history["old"], report_id=old_report.id,
                 message_id=message.id, created_at=OLD)
    new = Ticket(kind="report", status="open", contact_id=history["active"], report_id=new_report.id,
                 created_at=RECENT)
    db.session.add_all([old, new,
                        UssdSession(session_id="ATUid_old", channel="africastalking", contact_id=history["old"],
                                    status="completed", started_at=OLD, ended_at=OLD),
                        UssdSession(session_id="ATUid_new", channel="africastalking", contact_id=history["active"],
                                    status="completed", started_at=RECENT, ended_at=RECENT)])
    db.session.commit()
    return {"old": old.id, "new": new.id}


def test_purge_unlinks_the_tickets_of_purged_reports(app, report_tickets, history):
    result = privacy.purge(NOW)
    assert result.ticket_links == 1
    old = db.session.get(Ticket, report_tickets["old"])
    assert (old.contact_id, old.message_id) == (None, None) and old.report_id is not None
    new = db.session.get(Ticket, report_tickets["new"])
    assert new.contact_id == history["active"]
    assert privacy.purge(NOW).ticket_links == 0                              # idempotent


def test_purge_deletes_ussd_sessions_older_than_the_period(app, report_tickets, clock):
    from gateway.models import UssdSession
    clock.move_to(NOW)
    assert privacy.purge(dry_run=True).ussd_sessions == 1
    result = privacy.purge()
    assert result.ussd_sessions == 1
    assert list(db.session.scalars(select(UssdSession.session_id))) == ["ATUid_new"]
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "privacy.purge")).one()
    assert entry.details["ussd_sessions"] == 1 and entry.details["ticket_links"] == 1
