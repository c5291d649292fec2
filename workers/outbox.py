"""Jobs held in the database while Redis was unreachable, queued again (gateway/services/outbox.py)."""
from __future__ import annotations

from gateway.services import outbox


def relay() -> int:
    """Queue every held job; returns how many."""
    return outbox.relay_all()
