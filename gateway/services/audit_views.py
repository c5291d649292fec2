"""Reads behind the console's audit log page: entries filtered by actor, action, object and day,
a page at a time, with the actors' names. The log itself is append-only (models/audit.py)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from gateway.extensions import db
from gateway.models import AuditEntry
from gateway.services.paging import Page, paginate
from gateway.services.report_views import actor_names

PER_PAGE = 100


@dataclass
class AuditFilters:
    """What the audit log may be narrowed to (every filter narrows: AND)."""

    actor: str | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def audit_page(filters: AuditFilters, number: int = 1, per_page: int = PER_PAGE) -> tuple[Page, dict[str, str]]:
    """Page `number` of the matching entries, newest first, and {actor: name} for them."""
    stmt = select(AuditEntry)
    for name in ("actor", "action", "object_type", "object_id"):
        value = getattr(filters, name)
        if value:
            stmt = stmt.where(getattr(AuditEntry, name) == value)
    if filters.since is not None:
        stmt = stmt.where(AuditEntry.at >= filters.since)
    if filters.until is not None:
        stmt = stmt.where(AuditEntry.at < filters.until)
    page = paginate(stmt, (AuditEntry.at.desc(), AuditEntry.id.desc()), number, per_page)
    return page, actor_names({e.actor for e in page.items})


def choices() -> dict[str, list]:
    """The actions, object types and actors that occur in the log (for the filters)."""
    def distinct(column):
        return sorted(v for v in db.session.scalars(select(column).distinct()) if v)
    actors = distinct(AuditEntry.actor)
    return {"actions": distinct(AuditEntry.action), "object_types": distinct(AuditEntry.object_type),
            "actors": actors, "actor_names": actor_names(set(actors))}
