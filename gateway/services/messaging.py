"""Outbound SMS: every send is a Message row first, then a queued job. Stops are respected.

`send_queued` is what the job does with one such message (workers/sending.py): it claims the
row first, so a job that runs twice never sends twice, and decides in one place what a failure
means for the message and the person.
"""
from __future__ import annotations

import logging

from sqlalchemy import update

import handlers
from gateway import jobs
from gateway.extensions import db
from gateway.models import Contact, Message, MessageStatus, utcnow
from gateway.services.contacts import apply_send_error
from gateway.services.encoding import sms_info
from handlers.base import OutboundSMS, SendError

log = logging.getLogger(__name__)


def queue_sms(contact: Contact, text: str, *, kind: str = "reply", language: str | None = None,
              channel: str | None = None, in_reply_to: Message | None = None,
              campaign_id: int | None = None, commit: bool = True) -> Message:
    """Record an outbound SMS and queue its sending. A stopped contact gets a 'skipped' row."""
    info = sms_info(text)
    chosen = handlers.sending_channel(channel or contact.channel).name
    message = Message(direction="out", channel=chosen, contact_id=contact.id, text=text,
                      language=language or contact.language, kind=kind, segments=info.segments,
                      encoding=info.encoding, campaign_id=campaign_id,
                      in_reply_to_id=in_reply_to.id if in_reply_to else None, status=MessageStatus.QUEUED,
                      status_history=[])
    if contact.stopped and kind != "stop_confirmation":
        message.record_status(MessageStatus.SKIPPED, reason="contact stopped")
        message.failure_reason = "contact stopped"
    elif contact.invalid:
        message.record_status(MessageStatus.SKIPPED, reason="invalid number")
        message.failure_reason = "invalid number"
    db.session.add(message)
    db.session.flush()
    if message.status == MessageStatus.QUEUED:
        jobs.enqueue_after_commit(jobs.SEND_MESSAGE, message.id)
    if commit:
        db.session.commit()
    return message


def send_queued(message_id: int) -> str:
    """Send one queued outbound message. Claims it first so a retried job never sends twice;
    a retryable failure raises (after putting the message back in the queue) so RQ retries."""
    claimed = db.session.execute(
        update(Message).where(Message.id == message_id, Message.status == MessageStatus.QUEUED)
        .values(status=MessageStatus.SENDING, attempts=Message.attempts + 1, updated_at=utcnow())
    ).rowcount
    db.session.commit()
    if not claimed:
        return "already handled"
    message = db.session.get(Message, message_id)
    contact = db.session.get(Contact, message.contact_id) if message.contact_id else None
    if contact is None or (contact.stopped and message.kind != "stop_confirmation"):
        message.record_status(MessageStatus.SKIPPED, reason="contact stopped or gone")
        message.failure_reason = "contact stopped or gone"
        db.session.commit()
        return "skipped"
    channel = handlers.get_channel(message.channel)
    try:
        [result] = channel.send_batch(message.text, [OutboundSMS(message.id, contact.phone)])
    except SendError as exc:
        record_send_error(message, contact, exc)
        raise
    if result.accepted:
        message.provider_id = result.provider_id
        message.cost = result.cost
        message.record_status(MessageStatus.SENT, result.provider_status)
    else:
        record_send_error(message, contact, result.error)
        if result.error is not None and result.error.retryable:
            raise result.error
    db.session.commit()
    return message.status


def record_send_error(message: Message, contact: Contact, error: SendError | None) -> None:
    """The one place that decides what a send failure means for the message and the contact."""
    error = error or SendError("provider refused the message")
    message.error_code = error.code
    if error.retryable:
        # Back to queued so the retried job can claim it again.
        message.status = MessageStatus.QUEUED
        message.failure_reason = str(error)
        log.warning("send of message %s failed, will retry: %s", message.id, error.code)
    else:
        message.record_status(MessageStatus.FAILED, error_code=error.code, failure_reason=str(error))
        message.failure_reason = str(error)
        apply_send_error(contact, error, message.channel)
    db.session.commit()
