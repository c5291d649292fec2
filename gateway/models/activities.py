"""Programme activities and who registered for them."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.extensions import db
from gateway.models.base import UTC, utcnow
from gateway.models.statuses import ActivityStatus

ACTIVITY_KINDS = ("training", "dialogue", "cash_for_work", "cultural", "other")


class Activity(db.Model):
    """A training, dialogue, Cash for Work or cultural event, with a capacity."""

    __tablename__ = "activities"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True, nullable=False)  # for "REGISTER CODE"
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), default="other", nullable=False)
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    adm1_pcode: Mapped[str | None] = mapped_column(ForeignKey("admin_areas.pcode"), index=True)
    adm2_pcode: Mapped[str | None] = mapped_column(ForeignKey("admin_areas.pcode"), index=True)
    adm3_pcode: Mapped[str | None] = mapped_column(String(16))
    place: Mapped[str] = mapped_column(String(120), default="", nullable=False)
    starts_at: Mapped[datetime] = mapped_column(UTC(), nullable=False, index=True)
    ends_at: Mapped[datetime | None] = mapped_column(UTC())
    capacity: Mapped[int] = mapped_column(Integer, default=0, nullable=False)  # 0 = unlimited
    status: Mapped[str] = mapped_column(String(20), default=ActivityStatus.OPEN.value, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTC(), default=utcnow, nullable=False)

    registrations: Mapped[list["Registration"]] = relationship(
        back_populates="activity", cascade="all, delete-orphan", order_by="Registration.id")


class Registration(db.Model):
    """A contact's place on an activity, confirmed or on the waiting list."""

    __tablename__ = "registrations"
    __table_args__ = (UniqueConstraint("activity_id", "contact_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), nullable=False)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False)  # a RegistrationStatus
    channel: Mapped[str | None] = mapped_column(String(20))
    reminder_job_id: Mapped[str | None] = mapped_column(String(60))
    reminded_at: Mapped[datetime | None] = mapped_column(UTC())
    created_at: Mapped[datetime] = mapped_column(UTC(), default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTC(), default=utcnow, onupdate=utcnow, nullable=False)

    activity: Mapped[Activity] = relationship(back_populates="registrations")
    contact = relationship("Contact")
