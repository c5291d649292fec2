"""What staff ask of a campaign: send (or schedule), pause, resume, cancel, retry the failed, and
send its text to one number as a test. Each state change follows `states.TRANSITIONS`."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import and_, select, update

from gateway.extensions import db
from gateway.i18n import LANGUAGES
from gateway.models import Campaign, Contact, Delivery, DeliveryStatus, Message, MessageStatus, utcnow
from gateway.phone import InvalidNumber
from gateway.services import audit, contacts
from gateway.services.campaigns import states
from gateway.services.campaigns.errors import CampaignConflict, CampaignError
from gateway.services.campaigns.schedule import schedule, start_now, unschedule
from gateway.services.messaging import queue_sms


def _conflict(campaign: Campaign, action: str) -> CampaignConflict:
    return CampaignConflict("invalid_state", f"cannot {action} a campaign that is {campaign.status}")


def send(campaign: Campaign, actor: str) -> Campaign:
    """Send now, or at `send_at` when that is in the future (RQ's scheduler runs it)."""
    if not states.allowed("send", campaign.status):
        raise _conflict(campaign, "send")
    if campaign.send_at is not None and campaign.send_at > utcnow() + timedelta(seconds=5):
        schedule(campaign)
        audit.record(actor, "campaign.schedule", "campaign", campaign.id, send_at=campaign.send_at.isoformat())
    else:
        if not states.move(campaign.id, "send"):
            raise _conflict(campaign, "send")
        audit.record(actor, "campaign.send", "campaign", campaign.id)
        start_now(campaign.id)
    db.session.commit()
    return campaign


def pause(campaign: Campaign, actor: str) -> Campaign:
    """Stop claiming new batches; batches already at the provider finish."""
    if not states.move(campaign.id, "pause"):
        raise _conflict(campaign, "pause")
    audit.record(actor, "campaign.pause", "campaign", campaign.id)
    db.session.commit()
    db.session.refresh(campaign)
    return campaign


def resume(campaign: Campaign, actor: str) -> Campaign:
    """Carry on from where the campaign stopped."""
    if not states.move(campaign.id, "resume"):
        raise _conflict(campaign, "resume")
    audit.record(actor, "campaign.resume", "campaign", campaign.id)
    start_now(campaign.id)
    db.session.refresh(campaign)
    return campaign


def cancel(campaign: Campaign, actor: str) -> Campaign:
    """Cancel: nothing more is sent; recipients not reached yet are counted as skipped."""
    if not states.move(campaign.id, "cancel"):
        raise _conflict(campaign, "cancel")
    skip_pending(campaign.id, "cancelled")
    audit.record(actor, "campaign.cancel", "campaign", campaign.id)
    db.session.commit()
    unschedule(campaign)
    db.session.refresh(campaign)
    return campaign


def skip_pending(campaign_id: int, reason: str) -> int:
    """Mark every recipient not claimed yet as skipped (with its message). Returns how many."""
    pending = select(Delivery.message_id).where(Delivery.campaign_id == campaign_id,
                                                Delivery.status == DeliveryStatus.PENDING.value,
                                                Delivery.message_id.is_not(None))
    db.session.execute(update(Message).where(Message.id.in_(pending), Message.status == MessageStatus.QUEUED.value)
                       .values(status=MessageStatus.SKIPPED.value, failure_reason=reason, updated_at=utcnow()))
    return db.session.execute(update(Delivery).where(
        Delivery.campaign_id == campaign_id, Delivery.status == DeliveryStatus.PENDING.value
    ).values(status=DeliveryStatus.SKIPPED.value, error=reason, updated_at=utcnow())).rowcount


def retry_failed(campaign: Campaign, actor: str) -> int:
    """Queue failed recipients again (not those who stopped or whose number is invalid)."""
    if not states.allowed("retry", campaign.status):
        raise _conflict(campaign, "retry")
    retryable = and_(Delivery.campaign_id == campaign.id, Delivery.status == DeliveryStatus.FAILED.value,
                     Delivery.contact_id.in_(select(Contact.id).where(
                         Contact.stopped.is_(False), Contact.invalid.is_(False))))
    message_ids = select(Delivery.message_id).where(retryable, Delivery.message_id.is_not(None))
    db.session.execute(update(Message).where(Message.id.in_(message_ids)).values(
        status=MessageStatus.QUEUED.value, provider_id=None, error_code=None, failure_reason=None,
        updated_at=utcnow()))
    again = db.session.execute(update(Delivery).where(retryable).values(
        status=DeliveryStatus.PENDING.value, provider_id=None, updated_at=utcnow())).rowcount
    if not again:
        db.session.rollback()
        raise CampaignConflict("nothing_to_retry", "no failed recipient can be retried")
    states.move(campaign.id, "retry", finished_at=None)
    audit.record(actor, "campaign.retry_failed", "campaign", campaign.id, recipients=again)
    start_now(campaign.id)
    db.session.refresh(campaign)
    return again


def test_send(campaign: Campaign | None, phone: str, language: str | None, actor: str,
              texts: dict | None = None) -> Message:
    """Queue the campaign's text (in `language`) to one number, outside the campaign's counts."""
    texts = texts or (campaign.texts if campaign else None)
    if not texts:
        raise CampaignError("invalid_texts", "nothing to send: no text")
    default = campaign.default_language if campaign else ("fra" if "fra" in texts else sorted(texts)[0])
    language = language or default
    if language not in LANGUAGES:
        raise CampaignError("invalid_language", f"unknown language {language!r}")
    try:
        contact, _ = contacts.get_or_create(phone or "")
    except InvalidNumber as exc:
        raise CampaignError("invalid_phone", str(exc)) from None
    text = texts.get(language) or texts[default]
    message = queue_sms(contact, text, kind="campaign_test", language=language,
                        channel=campaign.channel if campaign else None, commit=False)
    audit.record(actor, "campaign.test_send", "campaign", campaign.id if campaign else None,
                 language=language, contact=contact.reporter_code)
    db.session.commit()
    return message
