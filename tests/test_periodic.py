"""Recurring jobs are scheduled once, however many workers start."""
from __future__ import annotations

from datetime import timedelta

from rq.registry import ScheduledJobRegistry

from gateway.extensions import db
from gateway.models import Message, utcnow
from tests.conftest import FROZEN
from workers.periodic import ensure_scheduled, sweep_job


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
    assert sweep_job() == 1
    registry = ScheduledJobRegistry(queue=app.extensions["queues"]["default"])
    assert any(j.startswith("inbound-sweep-") for j in registry.get_job_ids())
