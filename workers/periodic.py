"""Recurring jobs, on RQ's scheduler: each run schedules the next under a job id naming its
time slot, so any number of workers calling `ensure_scheduled()` at start schedule each run once.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from rq.exceptions import NoSuchJobError
from rq.job import Job

SWEEP_EVERY = timedelta(minutes=2)
SWEEP_PREFIX = "inbound-sweep-"


def is_scheduled(job_id: str) -> bool:
    """True when a job with this id waits to run (not failed, cancelled, stopped or done)."""
    from gateway import queue
    try:
        job = Job.fetch(job_id, connection=queue.connection())
    except NoSuchJobError:
        return False
    return job.get_status(refresh=False) not in ("failed", "canceled", "stopped", "finished")


def ensure_scheduled(now: datetime | None = None) -> list[str]:
    """Schedule every recurring job that is not scheduled yet; return their job ids."""
    from workers.retention import ensure_scheduled as ensure_retention
    return [ensure_retention(now), ensure_sweep(now)]


def ensure_sweep(now: datetime | None = None) -> str:
    """Schedule the next sweep of unhandled inbound SMS (a safety net for killed workers)."""
    from gateway import queue
    from gateway.models import utcnow
    now = now or utcnow()
    step = int(SWEEP_EVERY.total_seconds())
    at = datetime.fromtimestamp((int(now.timestamp()) // step + 1) * step, tz=now.tzinfo)
    job_id = f"{SWEEP_PREFIX}{int(at.timestamp())}"
    if not is_scheduled(job_id):
        queue.enqueue(sweep_job, at=at, job_id=job_id)
    return job_id


def sweep_job() -> int:
    """Signal unhandled inbound messages again, queue a job for USSD writes left over, schedule
    reminders that were missed, then schedule the next sweep (even on error)."""
    from workers.inbound import sweep_unhandled
    from workers.reminders import schedule_missing
    from workers.ussd import signal_if_pending
    try:
        signal_if_pending()
        schedule_missing()
        return sweep_unhandled()
    finally:
        ensure_sweep()
