"""A worker survives Redis going away: `flask worker` waits for Redis and goes on working
instead of exiting, and when Redis comes back empty it schedules its recurring jobs again."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rq.registry import ScheduledJobRegistry
from sqlalchemy import func, select

from gateway import jobs
from gateway.extensions import db
from gateway.models import JobOutbox
from gateway.queue import pause
from tests.redis_process import private_redis  # noqa: F401 - fixture

ROOT = Path(__file__).resolve().parent.parent


def _until(predicate, timeout: float, what: str, log: Path) -> None:
    """Wait (monotonic clock, bounded) until `predicate()` holds; fail with the worker's log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        pause(0.1)
    pytest.fail(f"{what} not within {timeout} s; worker log:\n{log.read_text()[-3000:]}")


def _held() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(JobOutbox))


@pytest.mark.slow
def test_the_worker_outlives_a_redis_restart_and_reschedules_its_recurring_jobs(
        app, make_app, private_redis, tmp_path):  # noqa: F811 - fixture
    db.session.commit()
    on_private = make_app(REDIS_URL=private_redis.url)
    env = {**os.environ, "GATEWAY_ENV": "development", "REDIS_URL": private_redis.url,
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": "worker-test",
           "DATA_KEY": app.config["DATA_KEY"], "PYTHONPATH": str(ROOT)}
    log = tmp_path / "worker.log"
    with log.open("ab") as out:
        worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker"], cwd=ROOT, env=env,
                                  stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        with on_private.app_context():
            registry = ScheduledJobRegistry(queue=on_private.extensions["queues"]["default"])
            _until(lambda: len(registry.get_job_ids()) >= 3, 60, "the recurring jobs scheduled", log)
            private_redis.stop()
            pause(3)                                  # the worker notices, and must not exit
            assert worker.poll() is None, log.read_text()[-3000:]
            private_redis.start()                          # back, without its data
            on_private.extensions["redis"].connection_pool.disconnect()
            _until(lambda: len(registry.get_job_ids()) >= 3, 30, "the recurring jobs scheduled again", log)
            # And it works: a held job queued now is run.
            db.session.add(JobOutbox(job=jobs.INBOUND_ONE.path, args=[987654]))
            db.session.commit()
            jobs.enqueue(jobs.RELAY_OUTBOX)
            _until(lambda: _held() == 0, 30, "a job run after Redis came back", log)
            assert worker.poll() is None
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, 15)                      # the worker and its scheduler process
            try:
                worker.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, 9)
                worker.wait(10)
