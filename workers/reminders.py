"""Activity reminders, scheduled with RQ's scheduler for the day before."""
from __future__ import annotations

from gateway.extensions import db
from gateway.models import Registration, utcnow


def send_reminder(registration_id: int) -> str:
    """Send the reminder SMS once, if the registration is still confirmed."""
    from gateway.services.messaging import queue_sms
    from gateway.services.texts import reminder_text
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.status != "confirmed" or registration.reminded_at is not None:
        return "nothing to do"
    activity = registration.activity
    if activity.status != "open":
        return "activity not open"
    registration.reminded_at = utcnow()
    queue_sms(registration.contact, reminder_text(registration.contact.language, activity),
              kind="reminder", commit=False)
    db.session.commit()
    return "queued"
