"""The audit trail: one call records who did what."""
from __future__ import annotations

from gateway.extensions import db
from gateway.models import AuditEntry


def record(actor: str, action: str, obj_type: str, obj_id=None, **details) -> AuditEntry:
    """Append an audit entry (committed with the caller's transaction)."""
    entry = AuditEntry(actor=actor, action=action, object_type=obj_type,
                       object_id=None if obj_id is None else str(obj_id), details=details)
    db.session.add(entry)
    return entry
