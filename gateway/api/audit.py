"""GET /api/v1/audit — the audit trail, for administrators."""
from __future__ import annotations

from flask import request
from sqlalchemy import select

from gateway.api import bp
from gateway.api.auth import require_role
from gateway.api.openapi import document, query
from gateway.api.pagination import page, parse_since
from gateway.models import AuditEntry

document("/audit", "get", "The audit trail, newest first", role="admin", params=[
    query("action", "e.g. ticket.claim"), query("actor", "e.g. user:3, token:7, system"),
    query("object_type", "e.g. ticket"), query("object_id", "the object's id"),
    query("since", "at or after this ISO 8601 time"),
    query("limit", "page size (1-500)", {"type": "integer"}), query("after", "cursor from `next`", {"type": "integer"}),
])


def serialize_entry(entry: AuditEntry) -> dict:
    """One audit entry."""
    return {"id": entry.id, "at": entry.at.isoformat(), "actor": entry.actor, "action": entry.action,
            "object_type": entry.object_type, "object_id": entry.object_id, "details": entry.details}


@bp.get("/audit")
@require_role("admin")
def list_audit():
    """Audit entries filtered by action, actor, object and time."""
    stmt = select(AuditEntry)
    for name in ("action", "actor", "object_type", "object_id"):
        if request.args.get(name):
            stmt = stmt.where(getattr(AuditEntry, name) == request.args[name])
    since = parse_since()
    if since:
        stmt = stmt.where(AuditEntry.at >= since)
    return page(stmt, AuditEntry.id, serialize_entry, "api.list_audit")
