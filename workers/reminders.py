"""Activity reminders, scheduled with RQ's scheduler for the day before."""
from __future__ import annotations

from datetime import datetime, timedelta

from gateway.extensions import db
from gateway.models import Registration, utcnow

# A registration younger than this is left to the job that is about to schedule its reminder.
UNSCHEDULED_AFTER = timedelta(minutes=10)


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


def schedule_missing(now: datetime | None = None) -> int:
    """Schedule the reminder of confirmed registrations that still have none (the safety net
    of the periodic sweep): a USSD registration whose hand-over to the worker was lost (Redis
    failed after the place was taken), or someone moved up from the waiting list. Returns how
    many were scheduled."""
    from sqlalchemy import select
    from gateway.models import Activity
    from gateway.services.activities import REMINDER_BEFORE, schedule_reminder
    now = now or utcnow()
    missing = db.session.scalars(
        select(Registration).join(Activity, Activity.id == Registration.activity_id).where(
            Registration.status == "confirmed", Registration.reminder_job_id.is_(None),
            Registration.reminded_at.is_(None), Registration.created_at < now - UNSCHEDULED_AFTER,
            Activity.status == "open", Activity.starts_at > now + REMINDER_BEFORE)).all()
    scheduled = sum(schedule_reminder(registration) is not None for registration in missing)
    db.session.commit()
    return scheduled
