"""Delivery reports for campaign messages: the recipient's delivery follows its message, and a
report for a send whose answer was never recorded is matched by number."""
from __future__ import annotations

import logging

from sqlalchemy import or_, select, update

from gateway import crypto
from gateway.extensions import db
from gateway.models import Campaign, Contact, Delivery, DeliveryStatus, Message, MessageStatus, utcnow
from gateway.phone import InvalidNumber, normalize

log = logging.getLogger(__name__)

CLAIMED, SENT = DeliveryStatus.CLAIMED.value, DeliveryStatus.SENT.value

# A delivery may move only forward: from these states to the message's new state.
_FORWARD = {MessageStatus.SENT: (CLAIMED,), MessageStatus.DELIVERED: (CLAIMED, SENT),
            MessageStatus.FAILED: (CLAIMED, SENT)}


def on_message_status(message: Message) -> None:
    """A campaign message's status changed (delivery report): its Delivery row follows."""
    if message.kind != "campaign" or message.status not in _FORWARD:
        return
    values = {"status": str(message.status), "updated_at": utcnow()}
    if message.provider_id:
        values["provider_id"] = message.provider_id
    if message.status == MessageStatus.FAILED:
        values["error"] = (message.failure_reason or message.provider_status or "failed")[:200]
    db.session.execute(update(Delivery).where(
        Delivery.message_id == message.id, Delivery.status.in_(_FORWARD[message.status])).values(**values))


def reconcile_status(channel: str, provider_id: str, phone: str | None) -> Message | None:
    """A delivery report for a provider id we never recorded: find the campaign message by number.

    This happens when a worker died after the provider accepted a batch but before the answer
    was stored (exactly-once, see campaigns/watchdog.py). The report names the number, so the
    recipient's unconfirmed campaign delivery is matched and confirmed instead of sent again.
    """
    if not phone:
        return None
    try:
        digest = crypto.lookup_hash(normalize(phone))
    except InvalidNumber:
        return None
    delivery = db.session.scalar(
        select(Delivery).join(Contact, Contact.id == Delivery.contact_id).join(
            Campaign, Campaign.id == Delivery.campaign_id).where(
            Contact.phone_hash == digest, Delivery.provider_id.is_(None),
            Delivery.status.in_((CLAIMED, SENT)), Delivery.message_id.is_not(None),
            or_(Campaign.channel == channel, Campaign.channel.is_(None)))
        .order_by(Delivery.claimed_at.desc()).limit(1))
    if delivery is None:
        return None
    message = db.session.get(Message, delivery.message_id)
    if message is None or (message.provider_id and message.provider_id != provider_id):
        return None
    message.provider_id = provider_id
    delivery.provider_id = provider_id
    if delivery.error and delivery.error.startswith("unconfirmed"):
        delivery.error = None
    log.info("campaign %s: delivery report confirmed an unrecorded send", delivery.campaign_id)
    return message
