"""Sending a campaign's batches exactly once: prepare, claim, one provider request, record.

A batch job (`send`) does every slow or fallible thing *before* it claims: reads the batch's
pending rows, skips people who stopped since, decrypts numbers, waits for the shared rate
limiter. Then it **claims** (`pending → claimed`, one committed UPDATE, only while the campaign is
`sending`), makes **one** provider request, and **records** every recipient's outcome in one
transaction. A job that runs twice, or two jobs for one batch, send nothing twice: only rows still
`pending` can be claimed. Retryable failures (timeouts, 5xx, 429) put the claimed rows back to
`pending` and raise, so RQ's `Retry` runs the job again with backoff; after the last retry
`give_up` records the rows as failed with the provider's reason.
"""
from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from flask import current_app
from rq import Callback, Queue, Retry
from rq.job import Job, JobStatus
from sqlalchemy import bindparam, func, select, update

import handlers
from gateway import crypto, jobs, queue
from gateway.extensions import db
from gateway.models import (Campaign, CampaignStatus, Contact, Delivery, DeliveryStatus, Message, MessageStatus,
                            utcnow)
from gateway.services.campaigns.drafts import text_for
from gateway.services.campaigns.schedule import KEY_TTL, finish_if_done, jobs_key
from gateway.services.campaigns.throttle import Throttled, throttle
from gateway.services.contacts import apply_send_error
from gateway.services.encoding import sms_info
from handlers.base import FinalSendError, OutboundSMS, RetryableSendError, SendError, SendResult

log = logging.getLogger(__name__)

PENDING, CLAIMED = DeliveryStatus.PENDING.value, DeliveryStatus.CLAIMED.value


# --- settings ---------------------------------------------------------------------------------------

def batch_timeout() -> int:
    """RQ timeout of a batch job: after it, the job is surely dead or interrupted."""
    return current_app.config["CAMPAIGN_BATCH_TIMEOUT"]


def claim_timeout() -> int:
    """Age after which a claim is orphaned; never shorter than the batch timeout plus margin."""
    return max(current_app.config["CAMPAIGN_CLAIM_TIMEOUT"], batch_timeout() + 5)


def retry_policy() -> Retry:
    """RQ Retry with the configured backoff for retryable provider errors."""
    intervals = list(current_app.config["CAMPAIGN_RETRY_INTERVALS"])
    return Retry(max=len(intervals) or 1, interval=intervals or [0])


# --- queueing batch jobs ------------------------------------------------------------------------------

def job_alive(job: Job | None) -> bool:
    """True when `job` will still run or is running in a live worker."""
    if job is None:
        return False
    status = job.get_status(refresh=False)
    if status in (JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED):
        return True
    if status == JobStatus.STARTED:
        # SimpleWorker does not heartbeat during a job: a started job older than its timeout
        # has been interrupted by RQ's death penalty, or its worker was killed.
        started = job.started_at   # aware UTC in RQ 2
        return started is None or (utcnow() - started).total_seconds() < batch_timeout() + 5
    return False


def enqueue_missing_batches(campaign_id: int) -> int:
    """Queue a job for every batch with pending recipients and no live job; return how many.

    Safe to call at any time and from anywhere: a duplicate job sends nothing twice.
    """
    batches = sorted(db.session.scalars(select(Delivery.batch).where(
        Delivery.campaign_id == campaign_id, Delivery.status == PENDING).distinct()))
    if not batches:
        return 0
    connection = queue.connection()
    known = {int(k): v.decode() for k, v in connection.hgetall(jobs_key(campaign_id)).items()
             if k.isdigit()}
    found = dict(zip([b for b in batches if b in known],
                     queue.fetch_jobs([known[b] for b in batches if b in known])))
    missing, failed = [], []
    for b in batches:
        job = found.get(b)
        if job_alive(job):
            continue
        if job is not None and job.get_status(refresh=False) == JobStatus.FAILED and not job.retries_left:
            failed.append(b)
        else:
            missing.append(b)
    for b in failed:
        fail_pending(campaign_id, b, "sending failed after every retry")
    if failed:
        db.session.commit()
    enqueue_batches(campaign_id, missing)
    return len(missing)


def enqueue_batches(campaign_id: int, batches: list[int], delay: float | None = None) -> None:
    """Queue batch jobs on the bulk queue in one Redis round trip, remembering their ids."""
    if not batches:
        return
    bulk = queue.get_queue(jobs.SEND_BATCH.queue)
    retry, timeout = retry_policy(), batch_timeout()
    on_failure = Callback(jobs.BATCH_FAILED)
    datas, mapping = [], {}
    for b in batches:
        job_id = f"campaign-{campaign_id}-b{b}-{uuid.uuid4().hex[:8]}"
        mapping[str(b)] = job_id
        datas.append(Queue.prepare_data(jobs.SEND_BATCH.path, (campaign_id, b), job_id=job_id, retry=retry,
                                        timeout=timeout, result_ttl=3600, failure_ttl=7 * 24 * 3600,
                                        on_failure=on_failure))
    connection = queue.connection()
    with connection.pipeline() as pipe:
        if delay:
            for data in datas:
                job = bulk.create_job(data.func, args=data.args, job_id=data.job_id, retry=retry,
                                      timeout=timeout, result_ttl=3600, on_failure=on_failure)
                bulk.schedule_job(job, utcnow() + timedelta(seconds=delay), pipeline=pipe)
        else:
            bulk.enqueue_many(datas, pipeline=pipe)
        pipe.hset(jobs_key(campaign_id), mapping=mapping)
        pipe.expire(jobs_key(campaign_id), KEY_TTL)
        pipe.execute()


# --- one batch ------------------------------------------------------------------------------------------

def send(campaign_id: int, batch: int) -> str:
    """Send one batch: prepare, claim, one provider request, record. Idempotent; a retryable
    provider failure raises (after releasing the claim) so RQ retries the job."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or campaign.status != CampaignStatus.SENDING:
        return "campaign not sending"
    rows = db.session.execute(
        select(Delivery.id, Delivery.message_id, Delivery.contact_id, Delivery.language,
               Contact.phone_encrypted, Contact.stopped, Contact.invalid)
        .join(Contact, Contact.id == Delivery.contact_id)
        .where(Delivery.campaign_id == campaign_id, Delivery.batch == batch, Delivery.status == PENDING)
    ).all()
    skip = [r for r in rows if r.stopped or r.invalid]
    if skip:   # stopped (or found invalid) since the fan-out
        _skip(skip)
    rows = [r for r in rows if not (r.stopped or r.invalid)]
    if not rows:
        db.session.commit()
        finish_if_done(campaign_id)
        return "nothing to send"
    language = rows[0].language
    text = text_for(campaign, language)
    info = sms_info(text)
    channel = handlers.sending_channel(campaign.channel)
    units = len(rows) * (info.segments if current_app.config["SEND_RATE_UNIT"] == "segments" else 1)
    # Everything slow happens before the claim: the claim→request window stays tiny.
    phones = {r.id: crypto.decrypt(r.phone_encrypted) for r in rows}
    db.session.commit()   # end the read transaction before a possibly long wait
    try:
        throttle(channel.name, units, max_wait=max(1.0, min(10.0, batch_timeout() / 3)))
    except Throttled as exc:
        enqueue_batches(campaign_id, [batch], delay=exc.wait)
        return f"throttled, again in {exc.wait:.1f}s"
    claimed = claim(campaign_id, [r.id for r in rows])
    if not claimed:
        return "claimed elsewhere"
    by_key = {r.message_id: r for r in rows if r.id in claimed}
    outbound = [OutboundSMS(r.message_id, phones[r.id]) for r in by_key.values()]
    try:
        results = channel.send_batch(text, outbound)
    except RetryableSendError as exc:
        release(list(claimed), exc)
        raise
    except FinalSendError as exc:
        results = [SendResult(o.key, o.to, False, error=exc) for o in outbound]
    retry_error = record(campaign_id, channel.name, by_key, results)
    if retry_error is not None:
        raise retry_error
    finish_if_done(campaign_id)
    return f"sent {sum(1 for r in results if r.accepted)}/{len(outbound)}"


def claim(campaign_id: int, delivery_ids: list[int]) -> set[int]:
    """Atomically take `pending` rows for sending, only while the campaign is `sending`; commit."""
    sending = select(Campaign.id).where(Campaign.id == campaign_id,
                                        Campaign.status == CampaignStatus.SENDING.value).exists()
    result = db.session.execute(
        update(Delivery).where(Delivery.id.in_(delivery_ids), Delivery.status == PENDING, sending)
        .values(status=CLAIMED, claimed_at=utcnow(), attempts=Delivery.attempts + 1, updated_at=utcnow())
        .returning(Delivery.id))
    claimed = set(result.scalars())
    db.session.commit()
    return claimed


def release(delivery_ids: list[int], error: SendError) -> None:
    """A retryable failure of the whole request: the provider took nothing, back to pending."""
    db.session.execute(update(Delivery).where(Delivery.id.in_(delivery_ids), Delivery.status == CLAIMED)
                       .values(status=PENDING, error=reason(error), updated_at=utcnow()))
    db.session.commit()
    log.warning("campaign batch of %s will be retried: %s", len(delivery_ids), error.code or type(error).__name__)


def reason(error: SendError | None) -> str:
    """A failure as stored on a delivery: the provider's code and message, at most 200 characters."""
    text = str(error) if error is not None else "provider refused the message"
    code = getattr(error, "code", None)
    return (f"{code}: {text}" if code and str(code) not in text else text)[:200]


def record(campaign_id: int, channel: str, by_key: dict, results: list[SendResult]) -> SendError | None:
    """Store every recipient's outcome in one transaction; return a retryable error if any."""
    now = utcnow()
    sent_d, sent_m, failed_d, failed_m, again = [], [], [], [], []
    retry_error = None
    for result in results:
        row = by_key.get(result.key)
        if row is None:
            continue
        if result.accepted:
            sent_d.append({"_id": row.id, "_pid": result.provider_id})
            entry = {"status": MessageStatus.SENT.value, "at": now.isoformat()}
            if result.provider_status:
                entry["provider_status"] = result.provider_status
            sent_m.append({"_id": row.message_id, "_pid": result.provider_id, "_ps": result.provider_status,
                           "_cost": result.cost, "_hist": [entry]})
            continue
        error = result.error or FinalSendError("provider refused the message")
        if error.retryable:
            again.append(row.id)
            retry_error = error
            continue
        why = reason(error)
        failed_d.append({"_id": row.id, "_err": why})
        failed_m.append({"_id": row.message_id, "_code": str(error.code)[:40] if error.code else None,
                         "_err": why, "_ps": result.provider_status,
                         "_hist": [{"status": MessageStatus.FAILED.value, "at": now.isoformat(),
                                    "failure_reason": why}]})
        if error.stop_contact or error.invalid_number:
            contact = db.session.get(Contact, row.contact_id)
            if contact is not None:
                apply_send_error(contact, error, channel)
    d, m = Delivery.__table__, Message.__table__
    if sent_d:
        db.session.execute(update(d).where(d.c.id == bindparam("_id"), d.c.status == CLAIMED).values(
            status=DeliveryStatus.SENT.value, provider_id=bindparam("_pid"), error=None, updated_at=now), sent_d)
        db.session.execute(update(m).where(m.c.id == bindparam("_id"), m.c.provider_id.is_(None)).values(
            status=MessageStatus.SENT.value, provider_id=bindparam("_pid"), provider_status=bindparam("_ps"),
            cost=bindparam("_cost"), status_history=bindparam("_hist", type_=m.c.status_history.type),
            attempts=m.c.attempts + 1, updated_at=now), sent_m)
    if failed_d:
        db.session.execute(update(d).where(d.c.id == bindparam("_id"), d.c.status == CLAIMED).values(
            status=DeliveryStatus.FAILED.value, error=bindparam("_err"), updated_at=now), failed_d)
        db.session.execute(update(m).where(m.c.id == bindparam("_id")).values(
            status=MessageStatus.FAILED.value, error_code=bindparam("_code"), failure_reason=bindparam("_err"),
            provider_status=bindparam("_ps"), status_history=bindparam("_hist", type_=m.c.status_history.type),
            attempts=m.c.attempts + 1, updated_at=now), failed_m)
    if again:
        db.session.execute(update(Delivery).where(Delivery.id.in_(again), Delivery.status == CLAIMED)
                           .values(status=PENDING, error=reason(retry_error), updated_at=now))
    db.session.commit()
    return retry_error


def _skip(rows) -> None:
    """Recipients who stopped (or whose number turned out invalid) since the fan-out."""
    for why, selected in (("stopped", [r for r in rows if r.stopped]),
                          ("invalid number", [r for r in rows if r.invalid and not r.stopped])):
        if not selected:
            continue
        db.session.execute(update(Delivery).where(Delivery.id.in_([r.id for r in selected]),
                                                  Delivery.status == PENDING)
                           .values(status=DeliveryStatus.SKIPPED.value, error=why, updated_at=utcnow()))
        db.session.execute(update(Message).where(Message.id.in_([r.message_id for r in selected]),
                                                 Message.status == MessageStatus.QUEUED.value)
                           .values(status=MessageStatus.SKIPPED.value, failure_reason=why, updated_at=utcnow()))


def fail_pending(campaign_id: int, batch: int, why: str) -> int:
    """RQ gave up on a batch: its pending recipients fail, keeping the provider's last reason."""
    pending = (Delivery.campaign_id == campaign_id, Delivery.batch == batch, Delivery.status == PENDING)
    message_ids = select(Delivery.message_id).where(*pending)
    db.session.execute(update(Message).where(
        Message.id.in_(message_ids), Message.status == MessageStatus.QUEUED.value).values(
        status=MessageStatus.FAILED.value, failure_reason=func.coalesce(
            select(Delivery.error).where(Delivery.message_id == Message.id).scalar_subquery(), why),
        updated_at=utcnow()))
    return db.session.execute(update(Delivery).where(*pending).values(
        status=DeliveryStatus.FAILED.value, error=func.coalesce(Delivery.error, why), updated_at=utcnow())).rowcount


def give_up(campaign_id: int, batch: int, error: BaseException | None) -> int:
    """After the batch job's last retry: its pending recipients fail with the provider's reason."""
    db.session.rollback()
    failed = fail_pending(campaign_id, batch, reason(error if isinstance(error, SendError) else None))
    db.session.commit()
    log.warning("campaign %s batch %s gave up after retries: %s recipients failed", campaign_id, batch, failed)
    finish_if_done(campaign_id)
    return failed
