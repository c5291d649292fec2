"""Inbound SMS jobs: take the stored messages the webhook signalled and hand each to the SMS
conversation (gateway/services/sms_conversation.py).

The webhook stored each message and pushed its id onto a Redis list (`gateway.services.inbound`).
Errors propagate so RQ's retry and failure handling see them.
"""
from __future__ import annotations

from gateway import jobs, queue
from gateway.extensions import db
from gateway.services import inbound, sms_conversation

BATCH_SIZE = 25
SWEEP_EVERY = 60                       # seconds between two sweeps started by process_pending


def process_pending() -> int:
    """Process stored inbound messages signalled by the webhook, a batch at a time.

    When more are waiting, another job is queued first so idle workers share the load. If one
    message fails, it and the rest of the batch become separate jobs (with RQ's retries) and
    the error propagates.
    """
    redis = queue.connection()
    ids = [int(i) for i in (redis.rpop(inbound.PENDING_KEY, BATCH_SIZE) or [])]
    if redis.llen(inbound.PENDING_KEY):
        jobs.enqueue(jobs.INBOUND_PENDING)
    if redis.set("murya:inbound:sweep", 1, nx=True, ex=SWEEP_EVERY):
        sweep_unhandled()
    for index, message_id in enumerate(ids):
        try:
            sms_conversation.handle(message_id)
        except Exception:
            db.session.rollback()
            for left in ids[index:]:
                jobs.enqueue(jobs.INBOUND_ONE, left)
            raise
    return len(ids)


def process_inbound(message_id: int) -> str:
    """Handle one stored inbound SMS by id. Idempotent; returns what was done."""
    return sms_conversation.handle(message_id)


def sweep_unhandled() -> int:
    """Signal again inbound messages still unhandled long after they arrived (killed workers)."""
    return inbound.signal_unhandled()
