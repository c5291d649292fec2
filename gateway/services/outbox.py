"""Jobs held in the database while Redis is unreachable, and their relay once it answers.

The database is the source of truth: a webhook commits its row first and only then signals the
workers through Redis. When that signal fails (Redis stopped, restarting, unreachable), `hold`
writes the job to `job_outbox` in the same database, so nothing a webhook answered 200 for is
left to a 2-minute sweep. Three things relay held jobs (`relay`), whichever comes first:

- the web process that held one: a relay thread (`wake`) tries once a second and stops when the
  outbox is empty, so the work is queued within about a second of Redis's return;
- every worker when it starts (`gateway.jobs.RELAY_OUTBOX` is a start-up job);
- the recurring `outbox-relay` row of `workers/periodic.py`, for a web process that died.

A held job is queued before its row is deleted, so a relay killed in between queues it twice:
every job held here is idempotent (an inbound message is handled once whatever the number of
signals, see `sms_conversation.handle`).
"""
from __future__ import annotations

import logging
import threading

import redis
from flask import Flask, current_app
from sqlalchemy import delete, func, insert, select

from gateway import jobs
from gateway.extensions import db
from gateway.models import JobOutbox, utcnow

log = logging.getLogger(__name__)

RELAY_BATCH = 500
RELAY_EVERY = 1.0        # seconds between two tries of the web process's relay thread
RELAY_TRIES = 900        # then it gives up (15 min); the periodic relay goes on from there


def hold(spec: jobs.JobSpec, *args) -> None:
    """Keep the job `spec(*args)` in the database (committed at once, in its own connection:
    the caller's transaction may already be committed or may yet roll back) and make sure this
    process relays it as soon as Redis answers."""
    with db.engine.connect() as conn:
        conn.execute(insert(JobOutbox.__table__).values(job=spec.path, args=list(args), created_at=utcnow()))
        conn.commit()
    log.warning("Redis unreachable: job %s held in the database", spec.path)
    wake(current_app._get_current_object())


def enqueue_or_hold(spec: jobs.JobSpec, *args) -> bool:
    """Queue `spec(*args)`; when Redis does not take it, `hold` it instead. True when queued."""
    try:
        jobs.enqueue(spec, *args)
        return True
    except redis.RedisError:
        hold(spec, *args)
        return False


def held() -> int:
    """How many jobs wait in the outbox."""
    return db.session.scalar(select(func.count()).select_from(JobOutbox)) or 0


def relay(limit: int = RELAY_BATCH) -> int:
    """Queue up to `limit` held jobs, oldest first, and delete them; returns how many were
    queued. Raises `redis.RedisError` while Redis is still unreachable (nothing is deleted)."""
    rows = db.session.execute(select(JobOutbox.id, JobOutbox.job, JobOutbox.args)
                              .order_by(JobOutbox.id).limit(limit)).all()
    db.session.rollback()        # no transaction held open while talking to Redis
    done = []
    try:
        for row_id, path, args in rows:
            try:
                spec = jobs.spec_for(path)
            except KeyError:       # a job renamed since it was held: queued as it was named
                spec = jobs.JobSpec(path, "default")
            jobs.enqueue(spec, *(args or []))
            done.append(row_id)
    finally:
        if done:
            db.session.execute(delete(JobOutbox).where(JobOutbox.id.in_(done)))
            db.session.commit()
    if done:
        log.info("%s held jobs relayed", len(done))
    return len(done)


def relay_all() -> int:
    """`relay` until the outbox is empty; returns how many were queued."""
    total = 0
    while True:
        count = relay()
        total += count
        if count < RELAY_BATCH:
            return total


_threads_lock = threading.Lock()


def wake(app: Flask) -> "RelayThread":
    """Start this process's relay thread for `app` unless it runs already."""
    with _threads_lock:
        thread = app.extensions.get("outbox_relay")
        if thread is None or not thread.is_alive():
            thread = app.extensions["outbox_relay"] = RelayThread(app)
            thread.start()
        return thread


class RelayThread(threading.Thread):
    """Relays held jobs once a second until the outbox is empty (at most RELAY_TRIES tries)."""

    def __init__(self, app: Flask, every: float = RELAY_EVERY, tries: int = RELAY_TRIES):
        super().__init__(name="murya-outbox-relay", daemon=True)
        self.app, self.every, self.tries = app, every, tries
        self._stopping = threading.Event()

    def run(self) -> None:
        for _ in range(self.tries):
            # Event.wait, not time.sleep: under CI's libfaketime (wall clock shifted, monotonic
            # left alone) time.sleep fails with EINVAL while a timed wait works; and a stop is
            # seen at once.
            if self._stopping.wait(self.every):
                return
            with self.app.app_context():
                try:
                    relay_all()
                    if not held():
                        return
                except redis.RedisError:
                    continue          # still unreachable: try again in a second
                except Exception:     # the database: the next try, or the periodic relay
                    log.exception("outbox relay failed")
                finally:
                    db.session.remove()
        log.warning("outbox relay thread gave up; the periodic relay takes over")

    def stop(self) -> None:
        """Ask the thread to stop before its next try."""
        self._stopping.set()
