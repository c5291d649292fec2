"""When a campaign runs: its start job (now or at `send_at`), its completion, and the next
occurrence of a repeating campaign. The Redis keys naming a campaign's jobs live here too."""
from __future__ import annotations

import calendar
import logging
import uuid
from datetime import datetime, timedelta

from rq.job import Job, JobStatus
from sqlalchemy import select

from gateway import jobs, queue
from gateway.extensions import db
from gateway.models import Campaign, CampaignStatus, Delivery, DeliveryStatus, utcnow
from gateway.services import audit
from gateway.services.campaigns import states
from gateway.timezone import NIGER

log = logging.getLogger(__name__)

KEY_TTL = 30 * 24 * 3600


def jobs_key(campaign_id: int) -> str:
    """Redis hash naming the campaign's start and batch jobs (batch number or "start" → job id)."""
    return f"murya:campaign:{campaign_id}:jobs"


def watch_key(campaign_id: int) -> str:
    """Redis key naming the campaign's current watchdog job."""
    return f"murya:campaign:{campaign_id}:watch"


def enqueue_start(campaign_id: int, at: datetime | None = None) -> Job:
    """Queue the campaign's start job (now, or at `at`), remembering its id."""
    job = jobs.enqueue(jobs.START_CAMPAIGN, campaign_id, at=at,
                       job_id=f"campaign-{campaign_id}-start-{uuid.uuid4().hex[:8]}")
    queue.connection().hset(jobs_key(campaign_id), "start", job.id)
    return job


def start_now(campaign_id: int) -> None:
    """Commit, then queue the start job (fan-out, or resume after pause / retry)."""
    db.session.commit()   # the job must see the state change that asked for it
    enqueue_start(campaign_id)


def schedule(campaign: Campaign) -> Job:
    """Have RQ's scheduler start the campaign at its `send_at` (UTC; given in Niger time)."""
    assert states.allowed("schedule", campaign.status), campaign.status
    job = jobs.enqueue(jobs.START_CAMPAIGN, campaign.id, at=campaign.send_at,
                       job_id=f"campaign-{campaign.id}-start-{uuid.uuid4().hex[:8]}")
    campaign.status, campaign.job_id = CampaignStatus.SCHEDULED.value, job.id
    return job


def unschedule(campaign: Campaign) -> None:
    """Drop the scheduled start job of a cancelled campaign (the job would no-op anyway)."""
    if not campaign.job_id:
        return
    job = queue.fetch_jobs([campaign.job_id])[0]
    if job is not None and job.get_status(refresh=False) in (JobStatus.SCHEDULED, JobStatus.QUEUED):
        job.cancel()


def finish_if_done(campaign_id: int) -> bool:
    """Complete the campaign when no recipient is left to send; True when it is complete."""
    remaining = db.session.scalar(select(Delivery.id).where(
        Delivery.campaign_id == campaign_id,
        Delivery.status.in_((DeliveryStatus.PENDING.value, DeliveryStatus.CLAIMED.value))).limit(1))
    if remaining is not None:
        db.session.commit()
        return False
    done = states.move(campaign_id, "complete", Campaign.started_at.is_not(None))
    db.session.commit()
    if not done:
        return db.session.scalar(select(Campaign.status).where(Campaign.id == campaign_id)) == CampaignStatus.COMPLETED
    campaign = db.session.get(Campaign, campaign_id)
    audit.record("system", "campaign.complete", "campaign", campaign_id)
    if campaign.repeat:
        schedule_repeat(campaign)
    db.session.commit()
    log.info("campaign %s completed", campaign_id)
    return True


def next_occurrence(previous: datetime, repeat: str, after: datetime) -> datetime:
    """The next send time after `after`, same local time (Africa/Niamey) as `previous`."""
    local = previous.astimezone(NIGER)
    step = 0
    while True:
        step += 1
        if repeat == "daily":
            candidate = local + timedelta(days=step)
        elif repeat == "weekly":
            candidate = local + timedelta(weeks=step)
        else:   # monthly: same day of the month, or the month's last day
            month_index = local.month - 1 + step
            year, month = local.year + month_index // 12, month_index % 12 + 1
            day = min(local.day, calendar.monthrange(year, month)[1])
            candidate = local.replace(year=year, month=month, day=day)
        if candidate > after:
            return candidate.astimezone(previous.tzinfo or NIGER)


def schedule_repeat(campaign: Campaign) -> Campaign:
    """Create and schedule the next occurrence of a repeating campaign (a new campaign row)."""
    first = campaign.send_at or campaign.started_at or utcnow()
    following = Campaign(name=campaign.name, texts=campaign.texts, default_language=campaign.default_language,
                         audience=campaign.audience, channel=campaign.channel, repeat=campaign.repeat,
                         created_by=campaign.created_by, status=CampaignStatus.DRAFT.value,
                         send_at=next_occurrence(first, campaign.repeat, utcnow()))
    db.session.add(following)
    db.session.flush()
    schedule(following)
    audit.record("system", "campaign.repeat", "campaign", following.id, previous=campaign.id,
                 send_at=following.send_at.isoformat())
    return following
