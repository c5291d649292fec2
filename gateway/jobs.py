"""Every RQ job the gateway queues, named by its dotted path, and the one way to queue it.

Dependencies run downhill (web layers → workers → services → models): a service that needs work
done later must not import the worker that does it. It queues the job by name instead —
`enqueue(SEND_MESSAGE, message_id)` — and RQ imports `workers.sending.send_message` only when a
worker runs it. Each job is declared once here with its queue and retry policy, so whoever queues
it (a service, a job, the watchdog) queues it the same way.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask
from rq import Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import event
from sqlalchemy.orm import Session

from gateway import queue
from gateway.extensions import db


@dataclass(frozen=True)
class JobSpec:
    """A job: the dotted path of its function, its queue and its retry policy."""

    path: str
    queue: str = "default"
    retry: Retry | None = None


# Replies retry quickly: a person is waiting for their acknowledgement.
SEND_MESSAGE = JobSpec("workers.sending.send_message", "high", Retry(max=5, interval=[10, 30, 60, 300, 900]))
INBOUND_PENDING = JobSpec("workers.inbound.process_pending", "high")
INBOUND_ONE = JobSpec("workers.inbound.process_inbound", "high", Retry(max=3, interval=[10, 60, 300]))
USSD_WRITES = JobSpec("workers.ussd.process_pending", "high", Retry(max=5, interval=[5, 30, 60, 300, 900]))
SEND_REMINDER = JobSpec("workers.reminders.send_reminder")
START_CAMPAIGN = JobSpec("workers.campaigns.start_campaign")
WATCH_CAMPAIGN = JobSpec("workers.campaigns.watch_campaign")
# Batch jobs carry their retry policy from the settings (CAMPAIGN_RETRY_INTERVALS).
SEND_BATCH = JobSpec("workers.campaigns.send_batch", "bulk")
BATCH_FAILED = "workers.campaigns.batch_failed"        # RQ on_failure callback of SEND_BATCH
# Run by every worker when it starts (`flask worker`, the embedded worker): schedule the
# recurring jobs of workers/periodic.py that are not scheduled yet.
RECONCILE_PERIODIC = JobSpec("workers.periodic.ensure_scheduled")
# Jobs the database held while Redis was unreachable (gateway/services/outbox.py), queued again;
# also run by every worker when it starts.
RELAY_OUTBOX = JobSpec("workers.outbox.relay", "high")


def spec_for(path: str) -> JobSpec:
    """The declared JobSpec whose function is `path` (KeyError when none is)."""
    specs = {value.path: value for value in globals().values() if isinstance(value, JobSpec)}
    return specs[path]


def init_app(app: Flask) -> None:
    """The embedded worker reconciles the periodic jobs and relays held jobs when it starts
    (gateway.queue)."""
    app.extensions["worker_startup_jobs"] = [RECONCILE_PERIODIC.path, RELAY_OUTBOX.path]


def enqueue(spec: JobSpec, *args, job_id: str | None = None, at: datetime | None = None,
            delay: timedelta | None = None, **kwargs) -> Job:
    """Queue `spec` with `args` now, at `at` (aware datetime) or after `delay`."""
    return queue.enqueue(spec.path, *args, queue=spec.queue, retry=spec.retry, job_id=job_id, at=at,
                         delay=delay, **kwargs)


def enqueue_after_commit(spec: JobSpec, *args) -> None:
    """Queue `spec` once the current database transaction commits (dropped on rollback).

    A job queued before its rows are committed could run first and find nothing to do.
    """
    db.session().info.setdefault("after_commit_jobs", []).append((spec, args))


@event.listens_for(Session, "after_commit")
def _run_jobs(session):
    for spec, args in session.info.pop("after_commit_jobs", []):
        enqueue(spec, *args)


@event.listens_for(Session, "after_soft_rollback")
def _drop_jobs(session, previous_transaction):
    if previous_transaction.parent is None:   # outermost rollback only, not a savepoint
        session.info.pop("after_commit_jobs", None)


def is_scheduled(job_id: str) -> bool:
    """True when a job with this id waits to run (not failed, cancelled, stopped or done)."""
    try:
        job = queue.fetch_job(job_id)
    except NoSuchJobError:
        return False
    return job.get_status(refresh=False) not in (JobStatus.FAILED, JobStatus.CANCELED, JobStatus.STOPPED,
                                                 JobStatus.FINISHED)
