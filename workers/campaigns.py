"""Campaign sending through RQ: fan-out, batch jobs, throttling, resume, schedules and repeats.

How one recipient is sent exactly once
--------------------------------------
* **Fan-out** (`start_campaign`) writes, in one transaction, a `messages` row and a `deliveries`
  row (status `pending`, a batch number) for every recipient, with `INSERT … SELECT` so 100,000
  recipients take seconds. Batches never mix languages: one text per provider request.
* **A batch job** (`send_batch`) does every slow or fallible thing *before* it claims: reads the
  batch's pending rows, skips people who stopped since, decrypts numbers, waits for the shared
  rate limiter. Then it **claims** (`pending → claimed`, one committed UPDATE, only while the
  campaign is `sending`), makes **one** provider request, and **records** every recipient's
  outcome in one transaction. A job that runs twice, or two jobs for one batch, send nothing
  twice: only rows still `pending` can be claimed.
* **Retryable failures** (timeouts, 5xx, 429) put the claimed rows back to `pending` and raise, so
  RQ's `Retry` runs the job again with backoff; after the last retry the `on_failure` callback
  records the rows as failed with the provider's reason.
* **A worker killed** (SIGKILL) at any point leaves either `pending` rows (killed before the
  claim: simply sent by the next job) or `claimed` rows (killed between claim and record). The
  watchdog (`watch_campaign`, a job RQ's scheduler runs every CAMPAIGN_WATCH_INTERVAL seconds
  while the campaign sends) re-enqueues batches whose job is gone and resolves claims older than
  CAMPAIGN_CLAIM_TIMEOUT (always longer than the batch job timeout, so the claiming job is dead).

The residual window, honestly: a claim older than the timeout means the provider request may or
may not have left. Nothing on our side can know (the provider has no idempotency key). Because
everything slow happens before the claim, the request leaves within a millisecond of the claim
commit, and a kill during the request or the recording is far likelier than one in that
millisecond. So the default `CAMPAIGN_ORPHAN_POLICY=assume_sent` counts such recipients as
sent (`error` says "unconfirmed"), never twice; a delivery report naming the number confirms it
(`gateway.services.campaigns.reconcile_status`). `resend` chooses at-least-once instead.
"""
from __future__ import annotations

import logging
import time
import uuid
from datetime import datetime, timedelta

from flask import current_app, has_app_context
from rq import Callback, Queue, Retry
from rq.job import Job, JobStatus
from sqlalchemy import JSON, bindparam, case, func, insert, literal, select, update

import handlers
from gateway import crypto, jobs, queue
from gateway.extensions import db
from gateway.models import Campaign, Contact, Delivery, Message, utcnow
from gateway.models.base import UTC
from gateway.services import audit
from gateway.services.campaigns import (KEY_TTL, NIAMEY, _jobs_key, _watch_key, audience_conditions, channel_for,
                                        language_expression, per_channel, schedule, segment_price,
                                        skip_reason_expression, text_for)
from gateway.services.contacts import apply_send_error
from gateway.services.encoding import sms_info
from handlers.base import FinalSendError, OutboundSMS, RetryableSendError, SendError, SendResult

log = logging.getLogger(__name__)

UNCONFIRMED = "unconfirmed: the worker stopped before recording the provider's answer"


# --- settings and Redis keys ------------------------------------------------------------------

def _config(name: str):
    return current_app.config[name]


def batch_timeout() -> int:
    """RQ timeout of a batch job: after it, the job is surely dead or interrupted."""
    return int(_config("CAMPAIGN_BATCH_TIMEOUT"))


def claim_timeout() -> int:
    """Age after which a claim is orphaned; never shorter than the batch timeout plus margin."""
    return max(int(_config("CAMPAIGN_CLAIM_TIMEOUT")), batch_timeout() + 5)


def retry_policy() -> Retry:
    """RQ Retry with the configured backoff for retryable provider errors."""
    intervals = [int(x) for x in str(_config("CAMPAIGN_RETRY_INTERVALS")).split(",") if x.strip()]
    return Retry(max=len(intervals) or 1, interval=intervals or [0])


# --- throttling -----------------------------------------------------------------------------------

# GCRA reservation in Redis, shared by every worker: each call books `units` slots after the
# last booked one and answers how long to wait before sending. Redis' own clock keeps workers on
# several hosts consistent. Refuses (books nothing) when the wait would exceed ARGV[3].
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local wait = tat - now
if wait > tonumber(ARGV[3]) then return {0, wait} end
local new_tat = tat + tonumber(ARGV[1]) * tonumber(ARGV[2])
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', math.floor((new_tat - now) / 1000) + 1000)
return {1, wait}
"""


def send_rate(channel: str) -> float:
    """Units per second allowed on `channel` (0 = unthrottled)."""
    config = current_app.config
    return per_channel(config.get("SEND_RATES", ""), channel, float(config.get("SEND_RATE_PER_SECOND") or 0))


def reserve(channel: str, units: int, max_wait: float) -> tuple[bool, float]:
    """Book `units` messages/segments on the channel's shared rate limiter.

    Returns (booked, seconds to wait before sending). Not booked when the wait exceeds `max_wait`.
    """
    rate = send_rate(channel)
    if rate <= 0 or units <= 0:
        return True, 0.0
    script = current_app.extensions.setdefault("campaign_rate_script",
                                               queue.connection().register_script(_RESERVE))
    booked, wait_us = script(keys=[f"murya:rate:{channel}"],
                             args=[1_000_000 / rate, units, int(max_wait * 1_000_000)])
    return bool(booked), int(wait_us) / 1_000_000


class Throttled(Exception):
    """The channel's rate is booked further ahead than a job should sleep."""

    def __init__(self, wait: float):
        super().__init__(f"throttled for {wait:.1f}s")
        self.wait = wait


def throttle(channel: str, units: int) -> None:
    """Wait for the channel's rate limiter, or raise Throttled when the wait is long."""
    max_wait = max(1.0, min(10.0, batch_timeout() / 3))
    booked, wait = reserve(channel, units, max_wait)
    if not booked:
        raise Throttled(wait)
    if wait > 0:
        time.sleep(wait)


# --- scheduling and starting -----------------------------------------------------------------------

def start_campaign(campaign_id: int) -> str:
    """Start (or resume) a campaign: fan out once, then queue every batch still to send."""
    db.session.execute(update(Campaign).where(Campaign.id == campaign_id, Campaign.status == "scheduled")
                       .values(status="sending"))
    db.session.commit()
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or campaign.status != "sending":
        return "not sending"
    ensure_watching(campaign_id)
    if campaign.started_at is None:
        fan_out(campaign)
    queued = enqueue_missing_batches(campaign_id)
    finish_if_done(campaign_id)
    return f"{queued} batches queued"


def fan_out(campaign: Campaign) -> int:
    """Create every recipient's message and delivery rows in one transaction; return recipients."""
    # Lock the campaign (PostgreSQL; SQLite serialises writers) so two start jobs cannot both fan out.
    db.session.execute(select(Campaign.id).where(Campaign.id == campaign.id).with_for_update())
    db.session.refresh(campaign)
    if campaign.started_at is not None:
        db.session.rollback()
        return campaign.recipients
    started = time.monotonic()
    now = utcnow()
    channel = channel_for(campaign.channel)
    texts, default = campaign.texts, campaign.default_language
    infos = {language: sms_info(text) for language, text in texts.items()}
    lang = language_expression(texts, default)
    conditions = audience_conditions(campaign.audience or {})
    reason = skip_reason_expression()

    def per_language(values: dict, else_):
        return case({language: literal(value) for language, value in values.items()}, value=lang,
                    else_=literal(else_))

    columns = ["direction", "channel", "contact_id", "text", "language", "status", "status_history",
               "segments", "encoding", "attempts", "kind", "campaign_id", "labels", "flagged", "handled",
               "extra", "created_at", "updated_at"]
    rows = select(
        literal("out"), literal(channel), Contact.id, per_language(texts, texts[default]), lang,
        literal("queued"), literal([], JSON), per_language({k: v.segments for k, v in infos.items()}, 1),
        per_language({k: v.encoding for k, v in infos.items()}, "GSM-7"), literal(0), literal("campaign"),
        literal(campaign.id), literal([], JSON), literal(False), literal(False), literal({}, JSON),
        literal(now, UTC()), literal(now, UTC()),
    ).where(*conditions, reason.is_(None))
    db.session.execute(insert(Message).from_select(columns, rows))

    skipped = select(literal(campaign.id), Contact.id, lang, literal(-1), literal("skipped"), reason,
                     literal(0), literal(now, UTC())).where(*conditions, reason.is_not(None))
    db.session.execute(insert(Delivery).from_select(
        ["campaign_id", "contact_id", "language", "batch", "status", "error", "attempts", "updated_at"], skipped))

    mine = (Message.campaign_id == campaign.id, Message.kind == "campaign")
    per_lang = dict(db.session.execute(select(Message.language, func.count()).where(*mine)
                                       .group_by(Message.language)).all())
    size = max(1, int(_config("SEND_BATCH_SIZE")))
    offsets, offset = {}, 0
    for language in sorted(per_lang):
        offsets[language] = offset
        offset += -(-per_lang[language] // size)
    if per_lang:
        # Batch number = language offset + position within the language / batch size.
        position = func.row_number().over(partition_by=Message.language, order_by=Message.id) - 1
        batch = case({k: literal(v) for k, v in offsets.items()}, value=Message.language, else_=literal(0)) \
            + position.self_group().op("/")(literal(size)).self_group()
        db.session.execute(insert(Delivery).from_select(
            ["campaign_id", "contact_id", "language", "batch", "status", "message_id", "attempts", "updated_at"],
            select(literal(campaign.id), Message.contact_id, Message.language, batch, literal("pending"),
                   Message.id, literal(0), literal(now, UTC())).where(*mine)))
    recipients = sum(per_lang.values())
    segments = sum(n * infos.get(language, infos[default]).segments for language, n in per_lang.items())
    campaign.channel = channel
    campaign.recipients = recipients
    campaign.segments = segments
    campaign.cost = round(segments * segment_price(channel), 4)
    campaign.started_at = now
    db.session.commit()
    log.info("campaign %s fanned out: %s recipients in %s batches, %.2fs", campaign.id, recipients,
             offset, time.monotonic() - started)
    return recipients


# --- batch jobs -----------------------------------------------------------------------------------

def _job_alive(job: Job | None) -> bool:
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
        Delivery.campaign_id == campaign_id, Delivery.status == "pending").distinct()))
    if not batches:
        return 0
    connection = queue.connection()
    known = {int(k): v.decode() for k, v in connection.hgetall(_jobs_key(campaign_id)).items()
             if k.isdigit()}
    jobs = dict(zip([b for b in batches if b in known],
                    Job.fetch_many([known[b] for b in batches if b in known], connection=connection)))
    missing, failed = [], []
    for b in batches:
        job = jobs.get(b)
        if _job_alive(job):
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
    bulk = queue.get_queue("bulk")
    retry, timeout = retry_policy(), batch_timeout()
    datas, mapping = [], {}
    for b in batches:
        job_id = f"campaign-{campaign_id}-b{b}-{uuid.uuid4().hex[:8]}"
        mapping[str(b)] = job_id
        datas.append(Queue.prepare_data(send_batch, (campaign_id, b), job_id=job_id, retry=retry,
                                        timeout=timeout, result_ttl=3600, failure_ttl=7 * 24 * 3600,
                                        on_failure=Callback(batch_failed)))
    connection = queue.connection()
    with connection.pipeline() as pipe:
        if delay:
            for data in datas:
                job = bulk.create_job(data.func, args=data.args, job_id=data.job_id, retry=retry,
                                      timeout=timeout, result_ttl=3600, on_failure=Callback(batch_failed))
                bulk.schedule_job(job, utcnow() + timedelta(seconds=delay), pipeline=pipe)
        else:
            bulk.enqueue_many(datas, pipeline=pipe)
        pipe.hset(_jobs_key(campaign_id), mapping=mapping)
        pipe.expire(_jobs_key(campaign_id), KEY_TTL)
        pipe.execute()


def send_batch(campaign_id: int, batch: int) -> str:
    """Send one batch: prepare, claim, one provider request, record. Idempotent."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or campaign.status != "sending":
        return "campaign not sending"
    rows = db.session.execute(
        select(Delivery.id, Delivery.message_id, Delivery.contact_id, Delivery.language,
               Contact.phone_encrypted, Contact.stopped, Contact.invalid)
        .join(Contact, Contact.id == Delivery.contact_id)
        .where(Delivery.campaign_id == campaign_id, Delivery.batch == batch, Delivery.status == "pending")
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
    units = len(rows) * (info.segments if _config("SEND_RATE_UNIT") == "segments" else 1)
    # Everything slow happens before the claim: the claim→request window stays tiny.
    phones = {r.id: crypto.decrypt(r.phone_encrypted) for r in rows}
    db.session.commit()   # end the read transaction before a possibly long wait
    try:
        throttle(channel.name, units)
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
    sending = select(Campaign.id).where(Campaign.id == campaign_id, Campaign.status == "sending").exists()
    result = db.session.execute(
        update(Delivery).where(Delivery.id.in_(delivery_ids), Delivery.status == "pending", sending)
        .values(status="claimed", claimed_at=utcnow(), attempts=Delivery.attempts + 1, updated_at=utcnow())
        .returning(Delivery.id))
    claimed = set(result.scalars())
    db.session.commit()
    return claimed


def release(delivery_ids: list[int], error: SendError) -> None:
    """A retryable failure of the whole request: the provider took nothing, back to pending."""
    db.session.execute(update(Delivery).where(Delivery.id.in_(delivery_ids), Delivery.status == "claimed")
                       .values(status="pending", error=_reason(error), updated_at=utcnow()))
    db.session.commit()
    log.warning("campaign batch of %s will be retried: %s", len(delivery_ids), error.code or type(error).__name__)


def _reason(error: SendError | None) -> str:
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
            entry = {"status": "sent", "at": now.isoformat()}
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
        reason = _reason(error)
        failed_d.append({"_id": row.id, "_err": reason})
        failed_m.append({"_id": row.message_id, "_code": str(error.code)[:40] if error.code else None,
                         "_err": reason, "_ps": result.provider_status,
                         "_hist": [{"status": "failed", "at": now.isoformat(), "failure_reason": reason}]})
        if error.stop_contact or error.invalid_number:
            contact = db.session.get(Contact, row.contact_id)
            if contact is not None:
                apply_send_error(contact, error, channel)
    d, m = Delivery.__table__, Message.__table__
    if sent_d:
        db.session.execute(update(d).where(d.c.id == bindparam("_id"), d.c.status == "claimed").values(
            status="sent", provider_id=bindparam("_pid"), error=None, updated_at=now), sent_d)
        db.session.execute(update(m).where(m.c.id == bindparam("_id"), m.c.provider_id.is_(None)).values(
            status="sent", provider_id=bindparam("_pid"), provider_status=bindparam("_ps"),
            cost=bindparam("_cost"), status_history=bindparam("_hist", type_=m.c.status_history.type),
            attempts=m.c.attempts + 1, updated_at=now), sent_m)
    if failed_d:
        db.session.execute(update(d).where(d.c.id == bindparam("_id"), d.c.status == "claimed").values(
            status="failed", error=bindparam("_err"), updated_at=now), failed_d)
        db.session.execute(update(m).where(m.c.id == bindparam("_id")).values(
            status="failed", error_code=bindparam("_code"), failure_reason=bindparam("_err"),
            provider_status=bindparam("_ps"), status_history=bindparam("_hist", type_=m.c.status_history.type),
            attempts=m.c.attempts + 1, updated_at=now), failed_m)
    if again:
        db.session.execute(update(Delivery).where(Delivery.id.in_(again), Delivery.status == "claimed")
                           .values(status="pending", error=_reason(retry_error), updated_at=now))
    db.session.commit()
    return retry_error


def _skip(rows) -> None:
    """Recipients who stopped (or whose number turned out invalid) since the fan-out."""
    for reason, selected in (("stopped", [r for r in rows if r.stopped]),
                             ("invalid number", [r for r in rows if r.invalid and not r.stopped])):
        if not selected:
            continue
        db.session.execute(update(Delivery).where(Delivery.id.in_([r.id for r in selected]),
                                                  Delivery.status == "pending")
                           .values(status="skipped", error=reason, updated_at=utcnow()))
        db.session.execute(update(Message).where(Message.id.in_([r.message_id for r in selected]),
                                                 Message.status == "queued")
                           .values(status="skipped", failure_reason=reason, updated_at=utcnow()))


def fail_pending(campaign_id: int, batch: int, reason: str) -> int:
    """RQ gave up on a batch: its pending recipients fail, keeping the provider's last reason."""
    pending = (Delivery.campaign_id == campaign_id, Delivery.batch == batch, Delivery.status == "pending")
    message_ids = select(Delivery.message_id).where(*pending)
    db.session.execute(update(Message).where(Message.id.in_(message_ids), Message.status == "queued").values(
        status="failed", failure_reason=func.coalesce(
            select(Delivery.error).where(Delivery.message_id == Message.id).scalar_subquery(), reason),
        updated_at=utcnow()))
    return db.session.execute(update(Delivery).where(*pending).values(
        status="failed", error=func.coalesce(Delivery.error, reason), updated_at=utcnow())).rowcount


def batch_failed(job: Job, connection, exc_type, exc_value, tb) -> None:
    """RQ `on_failure` callback: after the last retry, the batch's pending recipients fail."""
    if job.retries_left or not has_app_context():
        return   # RQ retries it; or no app here (registry cleanup): the watchdog decides
    campaign_id, batch = job.args
    db.session.rollback()
    failed = fail_pending(campaign_id, batch, _reason(exc_value if isinstance(exc_value, SendError) else None))
    db.session.commit()
    log.warning("campaign %s batch %s gave up after retries: %s recipients failed", campaign_id, batch, failed)
    finish_if_done(campaign_id)


# --- watchdog, completion, repeats -------------------------------------------------------------------

def ensure_watching(campaign_id: int) -> None:
    """Make sure a watchdog job is scheduled for a sending campaign (no duplicate chains)."""
    connection = queue.connection()
    current = connection.get(_watch_key(campaign_id))
    if current is not None and _job_alive(Job.fetch_many([current.decode()], connection=connection)[0]):
        return
    _schedule_watch(campaign_id)


def _schedule_watch(campaign_id: int) -> None:
    # The job and the key naming it are written in one MULTI: a worker killed in between
    # cannot leave a chain that no job continues.
    default = queue.get_queue("default")
    job = default.create_job(watch_campaign, args=(campaign_id,), timeout=max(60, batch_timeout()),
                             job_id=f"campaign-{campaign_id}-watch-{uuid.uuid4().hex[:8]}", result_ttl=60)
    interval = int(_config("CAMPAIGN_WATCH_INTERVAL"))
    connection = queue.connection()
    with connection.pipeline() as pipe:
        default.schedule_job(job, utcnow() + timedelta(seconds=interval), pipeline=pipe)
        pipe.set(_watch_key(campaign_id), job.id, ex=KEY_TTL)
        pipe.execute()


def watch_campaign(campaign_id: int) -> str:
    """Every few seconds while a campaign sends: resolve orphaned claims, re-queue lost batches,
    detect completion. Schedules its own next run first, so a killed worker cannot end the chain."""
    from rq import get_current_job
    connection = queue.connection()
    me = get_current_job()
    current = connection.get(_watch_key(campaign_id))
    if me is not None and current is not None and current.decode() != me.id:
        return "superseded"
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or campaign.status != "sending":
        connection.delete(_watch_key(campaign_id))
        return "not sending"
    _schedule_watch(campaign_id)
    if campaign.started_at is None:
        start = connection.hget(_jobs_key(campaign_id), "start")
        if start is None or not _job_alive(Job.fetch_many([start.decode()], connection=connection)[0]):
            job = jobs.enqueue(jobs.START_CAMPAIGN, campaign_id,
                               job_id=f"campaign-{campaign_id}-start-{uuid.uuid4().hex[:8]}")
            connection.hset(_jobs_key(campaign_id), "start", job.id)
        return "fan-out pending"
    orphans = resolve_orphans(campaign_id)
    if finish_if_done(campaign_id):
        return "completed"
    queued = enqueue_missing_batches(campaign_id)
    return f"{orphans} orphaned claims resolved, {queued} batches re-queued"


def resolve_orphans(campaign_id: int) -> int:
    """Claims older than the claim timeout belong to a dead job: apply CAMPAIGN_ORPHAN_POLICY."""
    cutoff = utcnow() - timedelta(seconds=claim_timeout())
    orphaned = (Delivery.campaign_id == campaign_id, Delivery.status == "claimed", Delivery.claimed_at < cutoff)
    if _config("CAMPAIGN_ORPHAN_POLICY") == "resend":
        count = db.session.execute(update(Delivery).where(*orphaned).values(
            status="pending", error="resent: an interrupted send had an unknown outcome",
            updated_at=utcnow())).rowcount
    else:
        message_ids = select(Delivery.message_id).where(*orphaned)
        db.session.execute(update(Message).where(Message.id.in_(message_ids), Message.status == "queued")
                           .values(status="sent", provider_status="unconfirmed", updated_at=utcnow()))
        count = db.session.execute(update(Delivery).where(*orphaned).values(
            status="sent", error=UNCONFIRMED, updated_at=utcnow())).rowcount
    db.session.commit()
    if count:
        log.warning("campaign %s: %s orphaned claims resolved (%s)", campaign_id, count,
                    _config("CAMPAIGN_ORPHAN_POLICY"))
    return count


def finish_if_done(campaign_id: int) -> bool:
    """Complete the campaign when no recipient is left to send; True when it is complete."""
    remaining = db.session.scalar(select(Delivery.id).where(
        Delivery.campaign_id == campaign_id, Delivery.status.in_(("pending", "claimed"))).limit(1))
    if remaining is not None:
        db.session.commit()
        return False
    done = db.session.execute(update(Campaign).where(
        Campaign.id == campaign_id, Campaign.status == "sending", Campaign.started_at.is_not(None)
    ).values(status="completed", finished_at=utcnow())).rowcount
    db.session.commit()
    if not done:
        return db.session.scalar(select(Campaign.status).where(Campaign.id == campaign_id)) == "completed"
    campaign = db.session.get(Campaign, campaign_id)
    audit.record("system", "campaign.complete", "campaign", campaign_id)
    if campaign.repeat:
        schedule_repeat(campaign)
    db.session.commit()
    log.info("campaign %s completed", campaign_id)
    return True


def next_occurrence(previous: datetime, repeat: str, after: datetime) -> datetime:
    """The next send time after `after`, same local time (Africa/Niamey) as `previous`."""
    local = previous.astimezone(NIAMEY)
    step = 0
    while True:
        step += 1
        if repeat == "daily":
            candidate = local + timedelta(days=step)
        elif repeat == "weekly":
            candidate = local + timedelta(weeks=step)
        else:   # monthly: same day of the month, or the month's last day
            import calendar
            month_index = local.month - 1 + step
            year, month = local.year + month_index // 12, month_index % 12 + 1
            day = min(local.day, calendar.monthrange(year, month)[1])
            candidate = local.replace(year=year, month=month, day=day)
        if candidate > after:
            return candidate.astimezone(previous.tzinfo or NIAMEY)


def schedule_repeat(campaign: Campaign) -> Campaign:
    """Create and schedule the next occurrence of a repeating campaign (a new campaign row)."""
    first = campaign.send_at or campaign.started_at or utcnow()
    following = Campaign(name=campaign.name, texts=campaign.texts, default_language=campaign.default_language,
                         audience=campaign.audience, channel=campaign.channel, repeat=campaign.repeat,
                         created_by=campaign.created_by, status="draft",
                         send_at=next_occurrence(first, campaign.repeat, utcnow()))
    db.session.add(following)
    db.session.flush()
    schedule(following)
    audit.record("system", "campaign.repeat", "campaign", following.id, previous=campaign.id,
                 send_at=following.send_at.isoformat())
    return following
