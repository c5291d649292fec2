"""Every recurring job, declared in one table (as Redash declares its schedule) and kept on RQ's
scheduler.

`ensure_scheduled()` reconciles the table with the scheduler: each entry's next run is scheduled
unless it already is. Every worker calls it when it starts (`flask worker`, `flask serve`, the
embedded worker through `gateway.jobs.RECONCILE_PERIODIC`), and each run schedules the one after
it, even when it fails. A run's job id names its time slot (`privacy-purge-20261127`,
`inbound-sweep-1795683600`), so any number of workers reconciling at once schedule each run once.

Per-campaign schedules are not here: a scheduled campaign is one `enqueue_at` of its start, and a
sending campaign's watchdog schedules its own next look (gateway/services/campaigns/watchdog.py).
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

from gateway import jobs
from gateway.models import utcnow
from gateway.timezone import NIGER
from workers import inbound, outbox, reminders, retention, ussd

PERIODIC_RUN = jobs.JobSpec("workers.periodic.run")
SWEEP_EVERY = 120        # seconds: how soon work stranded by a killed worker is picked up again

# name → the job, and either `interval` (seconds) or `daily_at` (Niger time).
PERIODIC: dict[str, dict] = {
    # Personal data past RETENTION_DAYS; at 02:00 in Niger, when traffic is lowest.
    "privacy-purge": {"func": retention.purge_job, "daily_at": time(2, 0)},
    # Inbound SMS a killed worker left unhandled.
    "inbound-sweep": {"func": inbound.sweep_unhandled, "interval": SWEEP_EVERY},
    # USSD writes and visits left in Redis with no job queued to apply them.
    "ussd-sweep": {"func": ussd.signal_if_pending, "interval": SWEEP_EVERY},
    # Confirmed USSD reports and call-backs whose Redis copy was lost (Redis restarted empty).
    "ussd-held": {"func": ussd.apply_held, "interval": 30},
    # Jobs held in the database while Redis was unreachable, for a web process that died
    # before its own relay thread queued them (gateway/services/outbox.py).
    "outbox-relay": {"func": outbox.relay, "interval": 30},
    # Confirmed registrations whose reminder was never scheduled.
    "reminders-sweep": {"func": reminders.schedule_missing, "interval": SWEEP_EVERY},
}


def next_run(name: str, now: datetime) -> datetime:
    """When the run of `name` after `now` is due (strictly after it)."""
    entry = PERIODIC[name]
    if "daily_at" in entry:
        local = now.astimezone(NIGER)
        candidate = datetime.combine(local.date(), entry["daily_at"], tzinfo=NIGER)
        return candidate if candidate > local else candidate + timedelta(days=1)
    step = int(entry["interval"])
    return datetime.fromtimestamp((int(now.timestamp()) // step + 1) * step, tz=now.tzinfo)


def job_id(name: str, at: datetime) -> str:
    """The id of the run of `name` at `at`: one per Niger calendar day, or per interval slot."""
    if "daily_at" in PERIODIC[name]:
        return f"{name}-{at.astimezone(NIGER):%Y%m%d}"
    return f"{name}-{int(at.timestamp())}"


def schedule_next(name: str, now: datetime | None = None) -> str:
    """Schedule the next run of `name` unless it is scheduled already; return its job id."""
    at = next_run(name, now or utcnow())
    wanted = job_id(name, at)
    if not jobs.is_scheduled(wanted):
        jobs.enqueue(PERIODIC_RUN, name, at=at, job_id=wanted)
    return wanted


def ensure_scheduled(now: datetime | None = None) -> list[str]:
    """Schedule every recurring job that is not scheduled yet; return their job ids."""
    return [schedule_next(name, now) for name in PERIODIC]


def run(name: str):
    """One run of the recurring job `name`; the next is scheduled even when this one fails (the
    error still reaches RQ's failure registry)."""
    try:
        return PERIODIC[name]["func"]()
    finally:
        schedule_next(name)
