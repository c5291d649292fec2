"""The watchdog of a sending campaign: a job RQ's scheduler runs every CAMPAIGN_WATCH_INTERVAL
seconds while the campaign sends. It re-enqueues batches whose job is gone, resolves claims older
than CAMPAIGN_CLAIM_TIMEOUT (always longer than the batch job timeout, so the claiming job is
dead) and detects completion.

A worker killed (SIGKILL) at any point leaves either `pending` rows (killed before the claim:
simply sent by the next job) or `claimed` rows (killed between claim and record). A claim older
than the timeout means the provider request may or may not have left; nothing on our side can
know (the provider has no idempotency key). Because everything slow happens before the claim,
the request leaves within a millisecond of the claim commit, and a kill during the request or the
recording is far likelier than one in that millisecond. So the default
`CAMPAIGN_ORPHAN_POLICY=assume_sent` counts such recipients as sent (`error` says
"unconfirmed"), never twice; a delivery report naming the number confirms it
(`campaigns.deliveries.reconcile_status`). `resend` chooses at-least-once instead.
"""
from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from gateway import jobs, queue
from gateway.extensions import db
from gateway.models import Campaign, CampaignStatus, Delivery, DeliveryStatus, Message, MessageStatus, utcnow
from gateway.services.campaigns.batches import batch_timeout, claim_timeout, enqueue_missing_batches, job_alive
from gateway.services.campaigns.schedule import KEY_TTL, enqueue_start, finish_if_done, jobs_key, watch_key

log = logging.getLogger(__name__)

UNCONFIRMED = "unconfirmed: the worker stopped before recording the provider's answer"


def ensure_watching(campaign_id: int) -> None:
    """Make sure a watchdog job is scheduled for a sending campaign (no duplicate chains)."""
    connection = queue.connection()
    current = connection.get(watch_key(campaign_id))
    if current is not None and job_alive(queue.fetch_jobs([current.decode()])[0]):
        return
    _schedule_watch(campaign_id)


def _schedule_watch(campaign_id: int) -> None:
    # The job and the key naming it are written in one MULTI: a worker killed in between
    # cannot leave a chain that no job continues.
    default = queue.get_queue(jobs.WATCH_CAMPAIGN.queue)
    job = default.create_job(jobs.WATCH_CAMPAIGN.path, args=(campaign_id,), timeout=max(60, batch_timeout()),
                             job_id=f"campaign-{campaign_id}-watch-{uuid.uuid4().hex[:8]}", result_ttl=60)
    interval = current_app.config["CAMPAIGN_WATCH_INTERVAL"]
    connection = queue.connection()
    with connection.pipeline() as pipe:
        default.schedule_job(job, utcnow() + timedelta(seconds=interval), pipeline=pipe)
        pipe.set(watch_key(campaign_id), job.id, ex=KEY_TTL)
        pipe.execute()


def watch(campaign_id: int, job_id: str | None = None) -> str:
    """One look at a sending campaign (`job_id`: the watchdog job doing it, if any). Schedules
    its own next run first, so a killed worker cannot end the chain."""
    connection = queue.connection()
    current = connection.get(watch_key(campaign_id))
    if job_id is not None and current is not None and current.decode() != job_id:
        return "superseded"
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or campaign.status != CampaignStatus.SENDING:
        connection.delete(watch_key(campaign_id))
        return "not sending"
    _schedule_watch(campaign_id)
    if campaign.started_at is None:
        start = connection.hget(jobs_key(campaign_id), "start")
        if start is None or not job_alive(queue.fetch_jobs([start.decode()])[0]):
            enqueue_start(campaign_id)
        return "fan-out pending"
    orphans = resolve_orphans(campaign_id)
    if finish_if_done(campaign_id):
        return "completed"
    queued = enqueue_missing_batches(campaign_id)
    return f"{orphans} orphaned claims resolved, {queued} batches re-queued"


def resolve_orphans(campaign_id: int) -> int:
    """Claims older than the claim timeout belong to a dead job: apply CAMPAIGN_ORPHAN_POLICY."""
    cutoff = utcnow() - timedelta(seconds=claim_timeout())
    orphaned = (Delivery.campaign_id == campaign_id, Delivery.status == DeliveryStatus.CLAIMED.value,
                Delivery.claimed_at < cutoff)
    policy = current_app.config["CAMPAIGN_ORPHAN_POLICY"]
    if policy == "resend":
        count = db.session.execute(update(Delivery).where(*orphaned).values(
            status=DeliveryStatus.PENDING.value, error="resent: an interrupted send had an unknown outcome",
            updated_at=utcnow())).rowcount
    else:
        message_ids = select(Delivery.message_id).where(*orphaned)
        db.session.execute(update(Message).where(
            Message.id.in_(message_ids), Message.status == MessageStatus.QUEUED.value)
            .values(status=MessageStatus.SENT.value, provider_status="unconfirmed", updated_at=utcnow()))
        count = db.session.execute(update(Delivery).where(*orphaned).values(
            status=DeliveryStatus.SENT.value, error=UNCONFIRMED, updated_at=utcnow())).rowcount
    db.session.commit()
    if count:
        log.warning("campaign %s: %s orphaned claims resolved (%s)", campaign_id, count, policy)
    return count
