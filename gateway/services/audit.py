"""The audit trail: one call records who did what."""
from __future__ import annotations

from datetime import datetime

from gateway.extensions import db
from gateway.models import AuditEntry


def record(actor: str, action: str, obj_type: str, obj_id=None, *, at: datetime | None = None,
           **details) -> AuditEntry:
    """Append an audit entry (committed with the caller's transaction); `at` (default now) is
    given, cut to the hour, for entries about an anonymous report."""
    entry = AuditEntry(actor=actor, action=action, object_type=obj_type,
                       object_id=None if obj_id is None else str(obj_id), details=details)
    if at is not None:
        entry.at = at
    db.session.add(entry)
    return entry
