"""How a campaign is doing: recipients per state (and per language), how far it has gone, the
reasons for failures, what the API and the console show."""
from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import func, select

from gateway.extensions import db
from gateway.models import Campaign, CampaignStatus, Delivery, DeliveryStatus, utcnow
from gateway.services.campaigns.errors import CampaignNotFound
from gateway.services.campaigns.preview import campaign_preview
from gateway.timezone import NIGER

# Delivery statuses shown to staff as "queued": not sent yet, or being sent right now.
QUEUED_STATES = (DeliveryStatus.PENDING, DeliveryStatus.CLAIMED)
COUNT_KEYS = ("queued", "sent", "delivered", "failed", "skipped")
NOT_STARTED = (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED)


def get(campaign_id: int) -> Campaign:
    """A campaign by id, or CampaignNotFound."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise CampaignNotFound("not_found", f"no campaign {campaign_id}")
    return campaign


def counts(campaign_id: int) -> dict:
    """Recipients per state: queued, sent, delivered, failed, skipped."""
    result = dict.fromkeys(COUNT_KEYS, 0)
    rows = db.session.execute(select(Delivery.status, func.count()).where(
        Delivery.campaign_id == campaign_id).group_by(Delivery.status))
    for status, n in rows:
        key = "queued" if status in QUEUED_STATES else status
        result[key] = result.get(key, 0) + n
    return result


def per_language(campaign_id: int) -> dict[str, dict[str, int]]:
    """{language: {queued, sent, delivered, failed, skipped}} over the campaign's recipients."""
    result: dict[str, dict[str, int]] = {}
    rows = db.session.execute(select(Delivery.language, Delivery.status, func.count()).where(
        Delivery.campaign_id == campaign_id).group_by(Delivery.language, Delivery.status))
    for language, status, n in rows:
        counts = result.setdefault(language, dict.fromkeys(COUNT_KEYS, 0))
        key = "queued" if status in QUEUED_STATES else status
        counts[key] = counts.get(key, 0) + n
    return result


def progress(campaign: Campaign, counts: dict[str, int]) -> dict:
    """Recipients done out of all, the percentage, the sending rate and the seconds left (or None)."""
    total = sum(counts.get(k, 0) for k in COUNT_KEYS)
    left = counts.get("queued", 0)
    done = total - left
    if campaign.status == CampaignStatus.COMPLETED or (total and not left):
        percent = 100.0
    else:
        percent = round(100 * done / total, 1) if total else 0.0
    rate = eta = None
    if campaign.started_at is not None and done:
        elapsed = max(1.0, (utcnow() - campaign.started_at).total_seconds())
        rate = round(done / elapsed, 2)
        if campaign.status == CampaignStatus.SENDING and left:
            eta = round(left / rate)
    return {"total": total, "done": done, "left": left, "percent": percent, "rate_per_second": rate,
            "eta_seconds": eta}


def failure_reasons(campaign_id: int, limit: int = 10) -> list[dict]:
    """The most frequent reasons for failed and skipped recipients."""
    rows = db.session.execute(select(Delivery.status, Delivery.error, func.count().label("n")).where(
        Delivery.campaign_id == campaign_id,
        Delivery.status.in_((DeliveryStatus.FAILED.value, DeliveryStatus.SKIPPED.value))
    ).group_by(Delivery.status, Delivery.error).order_by(func.count().desc()).limit(limit))
    return [{"status": r.status, "reason": r.error, "count": r.n} for r in rows]


def local_time(value: datetime | None) -> str | None:
    """An aware UTC time shown in Niger time."""
    return value.astimezone(NIGER).isoformat() if value else None


def summary(campaign: Campaign, with_preview: bool = False) -> dict:
    """What the API and the console show about a campaign."""
    body = {
        "id": campaign.id, "name": campaign.name, "status": campaign.status,
        "texts": campaign.texts, "default_language": campaign.default_language,
        "audience": campaign.audience, "channel": campaign.channel, "repeat": campaign.repeat,
        "send_at": campaign.send_at.isoformat() if campaign.send_at else None,
        "send_at_local": local_time(campaign.send_at),
        "recipients": campaign.recipients, "counts": counts(campaign.id),
        "segments": campaign.segments, "cost": float(campaign.cost or 0),
        "currency": current_app.config["CURRENCY"],
        "created_at": campaign.created_at.isoformat(),
        "started_at": campaign.started_at.isoformat() if campaign.started_at else None,
        "finished_at": campaign.finished_at.isoformat() if campaign.finished_at else None,
        "error": campaign.error,
    }
    not_started = campaign.status in NOT_STARTED
    if not_started or with_preview:
        body["preview"] = campaign_preview(campaign)
        if not_started:
            body["segments"], body["cost"] = body["preview"]["segments"], body["preview"]["cost"]
    if not not_started:
        body["failure_reasons"] = failure_reasons(campaign.id)
        # Sent, but the provider's answer was never recorded (worker killed mid-request):
        # counted as sent, never sent twice (CAMPAIGN_ORPHAN_POLICY, campaigns/watchdog.py).
        body["unconfirmed"] = db.session.scalar(select(func.count()).select_from(Delivery).where(
            Delivery.campaign_id == campaign.id, Delivery.status == DeliveryStatus.SENT.value,
            Delivery.error.like("unconfirmed%"))) or 0
    return body
