"""Activity reminders, scheduled with RQ's scheduler for the day before."""
from __future__ import annotations

from gateway.services import activities


def send_reminder(registration_id: int) -> str:
    """Send the reminder SMS once, if the registration is still confirmed."""
    return activities.remind(registration_id)


def schedule_missing() -> int:
    """The periodic sweep's safety net: schedule reminders that were never scheduled."""
    return activities.schedule_missing_reminders()
