"""Sending single SMS (replies, acknowledgements, confirmations)."""
from __future__ import annotations

import logging

from sqlalchemy import update

import handlers
from gateway.extensions import db
from gateway.models import Contact, Message, utcnow
from handlers.base import OutboundSMS, SendError

log = logging.getLogger(__name__)


def send_message(message_id: int) -> str:
    """Send one queued outbound message. Claims it first so a retried job never sends twice."""
    claimed = db.session.execute(
        update(Message).where(Message.id == message_id, Message.status == "queued")
        .values(status="sending", attempts=Message.attempts + 1, updated_at=utcnow())
    ).rowcount
    db.session.commit()
    if not claimed:
        return "already handled"
    message = db.session.get(Message, message_id)
    contact = db.session.get(Contact, message.contact_id) if message.contact_id else None
    if contact is None or (contact.stopped and message.kind != "stop_confirmation"):
        message.record_status("skipped", reason="contact stopped or gone")
        message.failure_reason = "contact stopped or gone"
        db.session.commit()
        return "skipped"
    channel = handlers.get_channel(message.channel)
    try:
        [result] = channel.send_batch(message.text, [OutboundSMS(message.id, contact.phone)])
    except SendError as exc:
        handle_send_error(message, contact, exc)
        raise
    if result.accepted:
        message.provider_id = result.provider_id
        message.cost = result.cost
        message.record_status("sent", result.provider_status)
    else:
        handle_send_error(message, contact, result.error)
        if result.error is not None and result.error.retryable:
            raise result.error
    db.session.commit()
    return message.status


def handle_send_error(message: Message, contact: Contact, error: SendError | None) -> None:
    """The one place that decides what a send failure means for the message and the contact."""
    error = error or SendError("provider refused the message")
    message.error_code = error.code
    if error.retryable:
        # Back to queued so the retried job can claim it again.
        message.status = "queued"
        message.failure_reason = str(error)
        log.warning("send of message %s failed, will retry: %s", message.id, error.code)
    else:
        message.record_status("failed", error_code=error.code, failure_reason=str(error))
        message.failure_reason = str(error)
        apply_to_contact(contact, error, message.channel)
    db.session.commit()


def apply_to_contact(contact: Contact, error: SendError, channel: str) -> None:
    """What a final send failure means for the person: opted out → stopped, bad number → invalid.

    Shared by single sends and campaign batches (workers/campaigns.py).
    """
    if error.stop_contact:
        from gateway.services.contacts import stop
        stop(contact, via=f"provider:{channel}")
    if error.invalid_number:
        contact.invalid = True
