"""Jobs the database holds because Redis could not take them when they were queued."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.extensions import db
from gateway.models.base import UTC, utcnow


class JobOutbox(db.Model):
    """One job (a `gateway.jobs` JobSpec's path and its arguments) that could not be queued.

    Written only when Redis refused or did not answer; `gateway.services.outbox.relay` queues
    it once Redis is back and deletes the row. The job it names is idempotent, so a row relayed
    twice (a relay killed between queueing and deleting) does the work once.
    """

    __tablename__ = "job_outbox"
    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(100), nullable=False)
    args: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTC(), default=utcnow, nullable=False)
