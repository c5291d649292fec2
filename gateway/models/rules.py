"""Admin-editable rules: SMS keywords, flagging rules, canned replies."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, JSON, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.extensions import db
from gateway.models.base import UTC, utcnow

class Keyword(db.Model):
    """A word (folded: lowercase, no accents) that triggers an action, in one language."""

    __tablename__ = "keywords"
    __table_args__ = (UniqueConstraint("word"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    word: Mapped[str] = mapped_column(String(40), nullable=False)
    language: Mapped[str] = mapped_column(String(3), nullable=False)
    action: Mapped[str] = mapped_column(String(20), nullable=False)
    argument: Mapped[str | None] = mapped_column(String(40))   # e.g. a topic code for "JOIN"
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)


class FlagRule(db.Model):
    """Label and flag inbound text matching any of `terms` (word-boundary, stem with `*`)."""

    __tablename__ = "flag_rules"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True, nullable=False)
    language: Mapped[str | None] = mapped_column(String(3))      # None: every language
    terms: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    label: Mapped[str] = mapped_column(String(40), nullable=False)
    category_code: Mapped[str | None] = mapped_column(ForeignKey("categories.code"))
    priority: Mapped[int] = mapped_column(Integer, default=2, nullable=False)
    flag: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTC(), default=utcnow, nullable=False)


class CannedReply(db.Model):
    """A ready-made operator reply, one text per language."""

    __tablename__ = "canned_replies"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True, nullable=False)
    texts: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)
    notes: Mapped[str] = mapped_column(Text, default="", nullable=False)
