"""Reports of tensions and incidents."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.extensions import db
from gateway.models.base import UTC, utcnow
from gateway.models.statuses import ReportStatus, values

REPORT_STATUSES = values(ReportStatus)


class Report(db.Model):
    """A report. Anonymous ones keep no link to the person (`contact_id` is NULL)."""

    __tablename__ = "reports"
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True, nullable=False)
    # Idempotency: one report per USSD session or inbound message, however often the hop is retried.
    source_key: Mapped[str | None] = mapped_column(String(140), unique=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    category_code: Mapped[str] = mapped_column(ForeignKey("categories.code"), nullable=False, index=True)
    adm1_pcode: Mapped[str | None] = mapped_column(ForeignKey("admin_areas.pcode"), index=True)
    adm2_pcode: Mapped[str | None] = mapped_column(ForeignKey("admin_areas.pcode"), index=True)
    adm3_pcode: Mapped[str | None] = mapped_column(String(16))
    occurred: Mapped[str | None] = mapped_column(String(20))       # today, yesterday, this_week, earlier
    occurred_on: Mapped[date | None] = mapped_column(Date)
    urgency: Mapped[int] = mapped_column(Integer, default=2, nullable=False)  # 1 low … 3 urgent
    urgent: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False, index=True)
    text: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(3))
    channel: Mapped[str] = mapped_column(String(20), nullable=False)
    status: Mapped[str] = mapped_column(String(20), default=ReportStatus.NEW.value, nullable=False, index=True)
    severity: Mapped[int | None] = mapped_column(Integer)
    verified: Mapped[bool | None] = mapped_column(Boolean)
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTC(), default=utcnow, nullable=False, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTC(), default=utcnow, onupdate=utcnow, nullable=False)

    category = relationship("Category")
    contact = relationship("Contact")
