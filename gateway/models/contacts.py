"""Contacts: the people who write and dial in. Their number is encrypted at rest."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.crypto import decrypt
from gateway.extensions import db
from gateway.models.base import UTC, utcnow


class Contact(db.Model):
    """A phone number (Fernet-encrypted, found by keyed hash) and what we know of its owner."""

    __tablename__ = "contacts"
    id: Mapped[int] = mapped_column(primary_key=True)
    phone_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    phone_encrypted: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    reporter_code: Mapped[str] = mapped_column(String(16), unique=True, nullable=False)
    name_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    language: Mapped[str | None] = mapped_column(String(3), index=True)
    language_confirmed: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    adm1_pcode: Mapped[str | None] = mapped_column(ForeignKey("admin_areas.pcode"), index=True)
    adm2_pcode: Mapped[str | None] = mapped_column(ForeignKey("admin_areas.pcode"), index=True)
    adm3_pcode: Mapped[str | None] = mapped_column(String(16))
    channel: Mapped[str | None] = mapped_column(String(20))       # last channel heard on
    stopped: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False, index=True)
    stopped_at: Mapped[datetime | None] = mapped_column(UTC())
    stopped_via: Mapped[str | None] = mapped_column(String(40))
    invalid: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTC(), default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTC(), default=utcnow, onupdate=utcnow, nullable=False)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTC())

    groups: Mapped[list["ContactGroup"]] = relationship(
        back_populates="contact", cascade="all, delete-orphan", lazy="selectin")

    @property
    def group_names(self) -> list[str]:
        """The contact's group names, sorted."""
        return sorted(g.name for g in self.groups)

    @property
    def phone(self) -> str:
        """The decrypted E.164 number. Only code that must send or show it asks for it."""
        return decrypt(self.phone_encrypted)


class ContactGroup(db.Model):
    """Membership of a named group (youth, women, leaders, …)."""

    __tablename__ = "contact_groups"
    __table_args__ = (UniqueConstraint("contact_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False)
    name: Mapped[str] = mapped_column(String(40), nullable=False, index=True)
    contact: Mapped[Contact] = relationship(back_populates="groups")


class Subscription(db.Model):
    """A contact following an awareness topic."""

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("contact_id", "topic_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"), nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(UTC(), default=utcnow, nullable=False)
    channel: Mapped[str | None] = mapped_column(String(20))
