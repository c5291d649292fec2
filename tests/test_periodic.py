"""Recurring jobs are scheduled once, however many workers start."""
from __future__ import annotations

from datetime import timedelta

from rq.registry import ScheduledJobRegistry

from gateway.extensions import db
from gateway.models import Message, utcnow
from tests.conftest import FROZEN
from workers.periodic import ensure_scheduled, run


def test_every_worker_start_schedules_each_run_once(app):
    first = ensure_scheduled(FROZEN)
    second = ensure_scheduled(FROZEN)
    assert first == second
    registry = ScheduledJobRegistry(queue=app.extensions["queues"]["default"])
    assert sorted(registry.get_job_ids()) == sorted(first)


def test_the_sweep_signals_stranded_messages_and_schedules_the_next(app, drain):
    old = utcnow() - timedelta(minutes=10)
    message = Message(direction="in", channel="fake", provider_id="lost-1", text="hello", status="received",
                      kind="inbound", created_at=old, updated_at=old, extra={})
    db.session.add(message)
    db.session.commit()
    assert run("inbound-sweep") == 1
    registry = ScheduledJobRegistry(queue=app.extensions["queues"]["default"])
    assert any(j.startswith("inbound-sweep-") for j in registry.get_job_ids())


def test_the_daily_purge_also_drops_expired_ussd_drafts(app):
    from gateway.models import UssdDraft
    from tests.factories import ContactFactory
    from workers.retention import purge_job
    old, fresh = ContactFactory(), ContactFactory()
    db.session.add_all([
        UssdDraft(contact_id=old.id, journey="report", screen="report.region", data={},
                  expires_at=utcnow() - timedelta(hours=1)),
        UssdDraft(contact_id=fresh.id, journey="report", screen="report.region", data={},
                  expires_at=utcnow() + timedelta(hours=1))])
    db.session.commit()
    result = purge_job()
    assert result["ussd_drafts"] == 1
    assert [d.contact_id for d in db.session.query(UssdDraft)] == [fresh.id]
