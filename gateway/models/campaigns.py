"""SMS campaigns and their per-recipient deliveries."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, JSON, Numeric, String, Text, UniqueConstraint, Index
from sqlalchemy.orm import Mapped, mapped_column

from gateway.extensions import db
from gateway.models.base import UTC, utcnow
from gateway.models.statuses import CampaignStatus, DeliveryStatus, values

CAMPAIGN_STATUSES = values(CampaignStatus)
DELIVERY_STATUSES = values(DeliveryStatus)


class Campaign(db.Model):
    """One text per language, an audience, and when to send."""

    __tablename__ = "campaigns"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    texts: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)
    default_language: Mapped[str] = mapped_column(String(3), default="fra", nullable=False)
    audience: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)
    channel: Mapped[str | None] = mapped_column(String(20))
    send_at: Mapped[datetime | None] = mapped_column(UTC())
    repeat: Mapped[str | None] = mapped_column(String(20))         # None, daily, weekly, monthly
    status: Mapped[str] = mapped_column(String(20), default=CampaignStatus.DRAFT.value, nullable=False, index=True)
    job_id: Mapped[str | None] = mapped_column(String(60))
    created_by: Mapped[str | None] = mapped_column(String(120))
    recipients: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    segments: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    cost: Mapped[float] = mapped_column(Numeric(14, 4), default=0, nullable=False)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTC(), default=utcnow, nullable=False)
    started_at: Mapped[datetime | None] = mapped_column(UTC())
    finished_at: Mapped[datetime | None] = mapped_column(UTC())


class Delivery(db.Model):
    """One recipient of one campaign. Its state is what makes sending exactly-once."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("campaign_id", "contact_id"),
        Index("ix_deliveries_campaign_status", "campaign_id", "status"),
        Index("ix_deliveries_campaign_batch", "campaign_id", "batch"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False)
    language: Mapped[str] = mapped_column(String(3), nullable=False)
    batch: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    status: Mapped[str] = mapped_column(String(20), default=DeliveryStatus.PENDING.value, nullable=False)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    provider_id: Mapped[str | None] = mapped_column(String(100), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    error: Mapped[str | None] = mapped_column(String(200))
    claimed_at: Mapped[datetime | None] = mapped_column(UTC())
    updated_at: Mapped[datetime] = mapped_column(UTC(), default=utcnow, onupdate=utcnow, nullable=False)
