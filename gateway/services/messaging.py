"""Outbound SMS: every send is a Message row first, then a queued job. Stops are respected."""
from __future__ import annotations

from flask import current_app
from rq import Retry
from sqlalchemy import select

from gateway import queue
from gateway.extensions import db
from gateway.models import Contact, Message
from gateway.services.encoding import sms_info

# Replies retry quickly: a person is waiting for their acknowledgement.
REPLY_RETRY = Retry(max=5, interval=[10, 30, 60, 300, 900])


def queue_sms(contact: Contact, text: str, *, kind: str = "reply", language: str | None = None,
              channel: str | None = None, in_reply_to: Message | None = None,
              campaign_id: int | None = None, commit: bool = True) -> Message:
    """Record an outbound SMS and queue its sending. A stopped contact gets a 'skipped' row."""
    import handlers
    info = sms_info(text)
    chosen = handlers.sending_channel(channel or contact.channel).name
    message = Message(direction="out", channel=chosen, contact_id=contact.id, text=text,
                      language=language or contact.language, kind=kind, segments=info.segments,
                      encoding=info.encoding, campaign_id=campaign_id,
                      in_reply_to_id=in_reply_to.id if in_reply_to else None, status="queued",
                      status_history=[])
    if contact.stopped and kind != "stop_confirmation":
        message.record_status("skipped", reason="contact stopped")
        message.failure_reason = "contact stopped"
    elif contact.invalid:
        message.record_status("skipped", reason="invalid number")
        message.failure_reason = "invalid number"
    db.session.add(message)
    db.session.flush()
    if message.status == "queued":
        from workers.sending import send_message
        queue.enqueue_after_commit(send_message, message.id, queue="high", retry=REPLY_RETRY)
    if commit:
        db.session.commit()
    return message


def apply_status(channel: str, provider_id: str, status: str, provider_status: str,
                 error_code: str | None = None, failure_reason: str | None = None,
                 phone: str | None = None) -> Message | None:
    """Apply a delivery report to the outbound message it names; None when unknown.

    `phone` (when the report carries it) lets a campaign send whose provider id was never
    recorded (worker killed mid-batch) be matched by number instead of being sent again.
    """
    from gateway.services import campaigns
    message = db.session.scalar(select(Message).where(
        Message.direction == "out", Message.channel == channel, Message.provider_id == provider_id))
    if message is None:
        message = campaigns.reconcile_status(channel, provider_id, phone)
    if message is None:
        return None
    changed = message.record_status(status, provider_status, error_code=error_code,
                                    failure_reason=failure_reason)
    if changed and status == "failed":
        message.error_code = error_code
        message.failure_reason = failure_reason or provider_status
    if message.kind == "campaign":
        campaigns.on_message_status(message)
    return message


def price(segments: int) -> float:
    """Estimated cost of `segments` SMS segments at the configured price."""
    return round(segments * float(current_app.config.get("SEGMENT_PRICE") or 0), 4)
