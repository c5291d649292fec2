"""Campaign jobs: thin wrappers around gateway/services/campaigns/ (which explains how each
recipient is sent exactly once). Each takes ids, re-reads its rows, is idempotent, and lets
errors reach RQ's retry and failure handling."""
from __future__ import annotations

from flask import has_app_context
from rq import get_current_job
from rq.job import Job

from gateway.services.campaigns import batches, fanout, watchdog


def start_campaign(campaign_id: int) -> str:
    """Start (or resume) a campaign: fan out once, then queue every batch still to send."""
    return fanout.start(campaign_id)


def send_batch(campaign_id: int, batch: int) -> str:
    """Send one batch: prepare, claim, one provider request, record."""
    return batches.send(campaign_id, batch)


def batch_failed(job: Job, connection, exc_type, exc_value, tb) -> None:
    """RQ `on_failure` callback: after the last retry, the batch's pending recipients fail."""
    if job.retries_left or not has_app_context():
        return   # RQ retries it; or no app here (registry cleanup): the watchdog decides
    campaign_id, batch = job.args
    batches.give_up(campaign_id, batch, exc_value)


def watch_campaign(campaign_id: int) -> str:
    """Every CAMPAIGN_WATCH_INTERVAL seconds while a campaign sends (see campaigns/watchdog.py)."""
    me = get_current_job()
    return watchdog.watch(campaign_id, me.id if me is not None else None)
