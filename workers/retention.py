"""The daily retention purge, scheduled with RQ's scheduler.

Each run schedules the next one (`enqueue_at` tomorrow 02:00 Niger time, when traffic is lowest)
under a job id that names its date, so scheduling twice for the same day is a no-op.
`ensure_scheduled()` is called when a worker starts (`flask worker`, `flask serve`) and by
`flask --app wsgi privacy schedule`: a fresh deployment gets its first run without anyone
remembering to start it.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


NIAMEY = ZoneInfo("Africa/Niamey")
RUN_AT = time(2, 0)
JOB_PREFIX = "privacy-purge-"


def next_run(now: datetime) -> datetime:
    """The next 02:00 in Niamey strictly after `now`."""
    local = now.astimezone(NIAMEY)
    candidate = datetime.combine(local.date(), RUN_AT, tzinfo=NIAMEY)
    if candidate <= local:
        candidate += timedelta(days=1)
    return candidate


def job_id(at: datetime) -> str:
    """The job id of the run at `at` (one per Niger calendar day)."""
    return JOB_PREFIX + at.astimezone(NIAMEY).strftime("%Y%m%d")


def ensure_scheduled(now: datetime | None = None) -> str:
    """Schedule the next daily purge unless it is already scheduled; return its job id."""
    from gateway import queue
    from gateway.models import utcnow
    from workers.periodic import is_scheduled
    at = next_run(now or utcnow())
    wanted = job_id(at)
    if not is_scheduled(wanted):
        queue.enqueue(purge_job, at=at, job_id=wanted)
    return wanted


def purge_job() -> dict:
    """Run the purge, then schedule tomorrow's. Errors propagate so RQ records the failure."""
    from gateway.extensions import db
    from gateway.services.privacy import purge
    from gateway.services.ussd_sessions import purge_expired_drafts
    result = purge(actor="system:retention")
    drafts = purge_expired_drafts()     # half-finished USSD reports past USSD_DRAFT_TTL
    db.session.commit()
    ensure_scheduled()
    return {**result.as_dict(), "ussd_drafts": drafts}
