"""Sending single SMS (replies, acknowledgements, confirmations)."""
from __future__ import annotations

from gateway.services import messaging


def send_message(message_id: int) -> str:
    """Send one queued outbound message (idempotent: claimed before it is sent)."""
    return messaging.send_queued(message_id)
