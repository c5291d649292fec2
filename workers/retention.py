"""The daily retention purge (scheduled by workers/periodic.py at 02:00 Niger time)."""
from __future__ import annotations

from gateway.extensions import db
from gateway.services.privacy import purge
from gateway.services.ussd_sessions import purge_expired_drafts


def purge_job() -> dict:
    """Purge personal data past RETENTION_DAYS and expired USSD drafts. Errors propagate so RQ
    records the failure."""
    result = purge(actor="system:retention")
    drafts = purge_expired_drafts()     # half-finished USSD reports past USSD_DRAFT_TTL
    db.session.commit()
    return {**result.as_dict(), "ussd_drafts": drafts}
