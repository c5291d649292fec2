"""How far a campaign has gone: per-language counts, percentage done and an estimated end.

Read-only, from the deliveries the sending engine writes (workers/campaigns.py); what the
console's progress bar polls.
"""
from __future__ import annotations

from sqlalchemy import func, select

from gateway.extensions import db
from gateway.models import Campaign, Delivery, utcnow

COUNT_KEYS = ("queued", "sent", "delivered", "failed", "skipped")
QUEUED_STATES = ("pending", "claimed")


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
    if campaign.status == "completed" or (total and not left):
        percent = 100.0
    else:
        percent = round(100 * done / total, 1) if total else 0.0
    rate = eta = None
    if campaign.started_at is not None and done:
        elapsed = max(1.0, (utcnow() - campaign.started_at).total_seconds())
        rate = round(done / elapsed, 2)
        if campaign.status == "sending" and left:
            eta = round(left / rate)
    return {"total": total, "done": done, "left": left, "percent": percent, "rate_per_second": rate,
            "eta_seconds": eta}
