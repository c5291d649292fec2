"""Every SMS in and out, with its delivery history."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, JSON, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.extensions import db
from gateway.models.base import UTC, utcnow
from gateway.models.statuses import MessageStatus, values

# Outbound lifecycle. Final statuses never move back (callbacks arrive out of order).
OUT_STATUSES = values(MessageStatus)[1:]          # all but `received`
FINAL_STATUSES = frozenset({MessageStatus.DELIVERED, MessageStatus.FAILED, MessageStatus.SKIPPED})
STATUS_RANK = {MessageStatus.QUEUED: 0, MessageStatus.SENDING: 1, MessageStatus.SENT: 2,
               MessageStatus.DELIVERED: 3, MessageStatus.FAILED: 3, MessageStatus.SKIPPED: 3}


class Message(db.Model):
    """One SMS. `text` is personal data: the retention job blanks it after the configured period."""

    __tablename__ = "messages"
    __table_args__ = (UniqueConstraint("direction", "channel", "provider_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[str] = mapped_column(String(3), nullable=False)         # "in" | "out"
    channel: Mapped[str] = mapped_column(String(20), nullable=False)
    provider_id: Mapped[str | None] = mapped_column(String(100))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    text: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20), nullable=False, index=True)
    provider_status: Mapped[str | None] = mapped_column(String(40))          # verbatim from provider
    status_history: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    error_code: Mapped[str | None] = mapped_column(String(40))
    failure_reason: Mapped[str | None] = mapped_column(String(200))
    segments: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    encoding: Mapped[str | None] = mapped_column(String(8))                   # "GSM-7" | "UCS-2"
    cost: Mapped[float | None] = mapped_column(Numeric(12, 4))
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    kind: Mapped[str] = mapped_column(String(20), default="reply", nullable=False)  # reply, campaign, ack, …
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"), index=True)
    in_reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    keyword: Mapped[str | None] = mapped_column(String(40))
    labels: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False, index=True)
    handled: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    extra: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)   # channel fields kept verbatim
    created_at: Mapped[datetime] = mapped_column(UTC(), default=utcnow, nullable=False, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTC(), default=utcnow, onupdate=utcnow, nullable=False)

    contact = relationship("Contact")

    def record_status(self, status: str, provider_status: str | None = None, **details) -> bool:
        """Move to `status` unless that would go backwards from a final state; keep history."""
        entry = {"status": status, "at": utcnow().isoformat()}
        if provider_status:
            entry["provider_status"] = provider_status
        entry.update({k: v for k, v in details.items() if v not in (None, "")})
        self.status_history = [*(self.status_history or []), entry]
        if self.status in FINAL_STATUSES and status != self.status:
            # A late "sent" after "delivered" is history, not a change. Failure after delivery too.
            return False
        if STATUS_RANK.get(status, 0) < STATUS_RANK.get(self.status, 0):
            return False
        self.status = status
        if provider_status:
            self.provider_status = provider_status
        return True
