"""Recurring jobs are scheduled once, however many workers start."""
from __future__ import annotations

import os
import time
from datetime import timedelta

import pytest
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


def test_the_embedded_worker_schedules_the_recurring_jobs_when_it_starts(make_app):
    if os.environ.get("REDIS_URL"):
        pytest.skip("the embedded worker exists only without Redis")
    app = make_app(EMBEDDED_WORKER=True)
    with app.app_context():
        app.extensions["redis"].flushdb()
    assert app.test_client().get("/healthz").status_code == 200      # the first request starts it
    registry = ScheduledJobRegistry(queue=app.extensions["queues"]["default"])
    deadline = time.time() + 10
    while time.time() < deadline and len(registry.get_job_ids()) < 6:
        time.sleep(0.05)
    app.extensions["embedded_worker"].stop()
    assert sorted(j.rsplit("-", 1)[0] for j in registry.get_job_ids()) == [
        "inbound-sweep", "outbox-relay", "privacy-purge", "reminders-sweep", "ussd-held", "ussd-sweep"]


def test_a_failing_run_still_schedules_the_next(app, monkeypatch):
    from workers import periodic

    def broken():
        raise RuntimeError("database down")
    monkeypatch.setitem(periodic.PERIODIC, "inbound-sweep", {"func": broken, "interval": periodic.SWEEP_EVERY})
    with pytest.raises(RuntimeError):
        periodic.run("inbound-sweep")
    registry = ScheduledJobRegistry(queue=app.extensions["queues"]["default"])
    assert any(j.startswith("inbound-sweep-") for j in registry.get_job_ids())
