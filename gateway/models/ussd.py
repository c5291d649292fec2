"""USSD: a log of sessions (live state is in Redis) and resumable report drafts."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.extensions import db
from gateway.models.base import UTC, utcnow
from gateway.models.statuses import UssdSessionStatus


class UssdSession(db.Model):
    """One dialled session as the provider's end-of-session notification describes it."""

    __tablename__ = "ussd_sessions"
    # PostgreSQL's VARCHAR(20) refuses a longer status; SQLite ignores lengths unless told.
    __table_args__ = (CheckConstraint("length(status) <= 20", name="status_length"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    channel: Mapped[str] = mapped_column(String(20), nullable=False)
    service_code: Mapped[str | None] = mapped_column(String(40))
    network_code: Mapped[str | None] = mapped_column(String(20))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=UssdSessionStatus.ACTIVE.value, nullable=False)
    hops: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    error_message: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str | None] = mapped_column(String(3))
    started_at: Mapped[datetime] = mapped_column(UTC(), default=utcnow, nullable=False)
    ended_at: Mapped[datetime | None] = mapped_column(UTC())


class UssdDraft(db.Model):
    """A half-finished journey kept after a dropped session so the next dial can continue it."""

    __tablename__ = "ussd_drafts"
    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False, unique=True)
    journey: Mapped[str] = mapped_column(String(40), nullable=False)
    screen: Mapped[str] = mapped_column(String(60), nullable=False)
    data: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)
    session_id: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UTC(), default=utcnow, onupdate=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTC(), nullable=False, index=True)


class UssdHeldWrite(db.Model):
    """A write a hop handed over whose loss the person would notice (a report whose reference
    the screen showed, a call-back it confirmed), kept in the database until a worker applies it.

    The hop inserts it (autocommit) before its Redis write; `workers.ussd` deletes it in the
    transaction that applies the Redis copy; a sweep applies what Redis lost
    (`workers.ussd.apply_held`).
    """

    __tablename__ = "ussd_held_writes"
    id: Mapped[int] = mapped_column(primary_key=True)
    item: Mapped[dict] = mapped_column(JSON, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTC(), default=utcnow, nullable=False, index=True)
