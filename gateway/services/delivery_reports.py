"""Delivery reports: a provider's status applied to the outbound message it names and, for a
campaign message, to its delivery."""
from __future__ import annotations

from sqlalchemy import select

from gateway.extensions import db
from gateway.models import Message, MessageStatus
from gateway.services import campaigns


def apply_status(channel: str, provider_id: str, status: str, provider_status: str,
                 error_code: str | None = None, failure_reason: str | None = None,
                 phone: str | None = None) -> Message | None:
    """Apply a delivery report to the outbound message it names; None when unknown.

    `phone` (when the report carries it) lets a campaign send whose provider id was never
    recorded (worker killed mid-batch) be matched by number instead of being sent again.
    """
    message = db.session.scalar(select(Message).where(
        Message.direction == "out", Message.channel == channel, Message.provider_id == provider_id))
    if message is None:
        message = campaigns.reconcile_status(channel, provider_id, phone)
    if message is None:
        return None
    changed = message.record_status(status, provider_status, error_code=error_code,
                                    failure_reason=failure_reason)
    if changed and status == MessageStatus.FAILED:
        message.error_code = error_code
        message.failure_reason = failure_reason or provider_status
    if message.kind == "campaign":
        campaigns.on_message_status(message)
    return message
