"""Column helpers shared by the models."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator
from sqlalchemy.orm import Mapped, mapped_column


def utcnow() -> datetime:
    """Timezone-aware now in UTC; every stored time is UTC."""
    return datetime.now(timezone.utc)


class UTC(TypeDecorator):
    """Store aware datetimes; return them aware in UTC on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use gateway.models.utcnow()")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def created_at() -> Mapped[datetime]:
    """A `created_at` column set on insert."""
    return mapped_column(UTC(), default=utcnow, nullable=False)


# The largest value of an `Integer` column on PostgreSQL (int4): ids, counters and durations.
MAX_INTEGER = 2 ** 31 - 1
