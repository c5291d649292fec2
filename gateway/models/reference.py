"""Reference data: administrative areas (P-codes), report categories, topics, partners."""
from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer, JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.extensions import db


class AdminArea(db.Model):
    """A region (level 1), department (2) or commune (3), keyed by its COD-AB P-code (`NE…`)."""

    __tablename__ = "admin_areas"
    pcode: Mapped[str] = mapped_column(String(16), primary_key=True)
    level: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    parent_pcode: Mapped[str | None] = mapped_column(ForeignKey("admin_areas.pcode"), index=True)
    # Regions where the programme works are offered first on USSD.
    programme: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    position: Mapped[int] = mapped_column(Integer, default=0, nullable=False)


class Category(db.Model):
    """A report category; sensitive ones are visible only to designated roles."""

    __tablename__ = "categories"
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    names: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)   # {"fra": …, "hau": …}
    hxl_type: Mapped[str] = mapped_column(String(60), default="", nullable=False)
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    urgent_by_default: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    position: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)

    def name(self, language: str) -> str:
        """The category's name in `language`, falling back to French then the code."""
        return self.names.get(language) or self.names.get("fra") or self.code


class Topic(db.Model):
    """An awareness topic that contacts subscribe to."""

    __tablename__ = "topics"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    names: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)
    position: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)

    def name(self, language: str) -> str:
        """The topic's name in `language`, falling back to French then the code."""
        return self.names.get(language) or self.names.get("fra") or self.code


class Partner(db.Model):
    """An organisation a ticket can be referred to."""

    __tablename__ = "partners"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True, nullable=False)
    description: Mapped[str] = mapped_column(String(500), default="", nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
