"""Activities: open ones near a person, registration with capacity and a waiting list, reminders."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, or_, select

from gateway import jobs
from gateway.extensions import db
from gateway.models import Activity, ActivityStatus, Registration, RegistrationStatus, utcnow
from gateway.services import audit
from gateway.services.messaging import queue_sms
from gateway.services.notification_texts import reminder_text

REMINDER_BEFORE = timedelta(days=1)
# A registration younger than this is left to the job that is about to schedule its reminder.
UNSCHEDULED_AFTER = timedelta(minutes=10)


class RegistrationError(ValueError):
    """The activity cannot take registrations (closed, started, unknown)."""


def open_activities(adm1_pcode: str | None = None, adm2_pcode: str | None = None) -> list[Activity]:
    """Open activities that have not started, nearest first (same department, same region, others)."""
    stmt = select(Activity).where(Activity.status == ActivityStatus.OPEN, Activity.starts_at > utcnow())
    if adm1_pcode:
        stmt = stmt.where(or_(Activity.adm1_pcode == adm1_pcode, Activity.adm1_pcode.is_(None)))
    activities = list(db.session.scalars(stmt.order_by(Activity.starts_at)))
    if adm2_pcode:
        activities.sort(key=lambda a: a.adm2_pcode != adm2_pcode)
    return activities


def confirmed_count(activity: Activity) -> int:
    """How many confirmed places are taken."""
    return db.session.scalar(select(func.count()).select_from(Registration).where(
        Registration.activity_id == activity.id, Registration.status == RegistrationStatus.CONFIRMED)) or 0


def register(activity: Activity, contact_id: int, channel: str) -> tuple[Registration, bool]:
    """Register the contact `contact_id`; confirmed while places remain, waitlisted after.
    Returns (row, created).

    Registering twice returns the existing registration. Does not commit; the caller commits and
    then calls `schedule_reminder` for confirmed ones.
    """
    if activity.status != ActivityStatus.OPEN or activity.starts_at <= utcnow():
        raise RegistrationError("this activity is not open for registration")
    existing = db.session.scalar(select(Registration).where(
        Registration.activity_id == activity.id, Registration.contact_id == contact_id))
    if existing is not None and existing.status != RegistrationStatus.CANCELLED:
        return existing, False
    # Lock the activity row so two last-place registrations cannot both be confirmed.
    db.session.execute(select(Activity.id).where(Activity.id == activity.id).with_for_update())
    full = activity.capacity and confirmed_count(activity) >= activity.capacity
    status = RegistrationStatus.WAITLISTED if full else RegistrationStatus.CONFIRMED
    if existing is not None:
        existing.status, existing.channel = status, channel
        registration = existing
    else:
        registration = Registration(activity_id=activity.id, contact_id=contact_id, status=status, channel=channel)
        db.session.add(registration)
    db.session.flush()
    audit.record("system", "activity.register", "registration", registration.id, status=status)
    return registration, True


def cancel(registration: Registration) -> Registration | None:
    """Cancel a registration; the first person on the waiting list moves up. Returns who moved up."""
    was_confirmed = registration.status == RegistrationStatus.CONFIRMED
    registration.status = RegistrationStatus.CANCELLED
    db.session.flush()
    if not was_confirmed:
        return None
    promoted = db.session.scalar(select(Registration).where(
        Registration.activity_id == registration.activity_id, Registration.status == RegistrationStatus.WAITLISTED
    ).order_by(Registration.id))
    if promoted is not None:
        promoted.status = RegistrationStatus.CONFIRMED
        audit.record("system", "activity.promote", "registration", promoted.id)
    return promoted


def waitlist_position(registration: Registration) -> int:
    """1-based place on the waiting list (0 when confirmed)."""
    if registration.status != RegistrationStatus.WAITLISTED:
        return 0
    return db.session.scalar(select(func.count()).select_from(Registration).where(
        Registration.activity_id == registration.activity_id, Registration.status == RegistrationStatus.WAITLISTED,
        Registration.id <= registration.id)) or 0


def schedule_reminder(registration: Registration) -> str | None:
    """Queue the reminder SMS for the day before the activity with RQ's scheduler."""
    at = registration.activity.starts_at - REMINDER_BEFORE
    if at <= utcnow():
        return None
    job = jobs.enqueue(jobs.SEND_REMINDER, registration.id, at=at, job_id=f"reminder-{registration.id}")
    registration.reminder_job_id = job.id
    return job.id


def remind(registration_id: int) -> str:
    """Queue the reminder SMS once, if the registration is still confirmed. Commits."""
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.status != RegistrationStatus.CONFIRMED or registration.reminded_at is not None:
        return "nothing to do"
    activity = registration.activity
    if activity.status != ActivityStatus.OPEN:
        return "activity not open"
    registration.reminded_at = utcnow()
    queue_sms(registration.contact, reminder_text(registration.contact.language, activity),
              kind="reminder", commit=False)
    db.session.commit()
    return "queued"


def schedule_missing_reminders(now: datetime | None = None) -> int:
    """Schedule the reminder of confirmed registrations that still have none: a USSD
    registration whose hand-over to the worker was lost (Redis failed after the place was
    taken), or someone moved up from the waiting list. Returns how many were scheduled. Commits."""
    now = now or utcnow()
    missing = db.session.scalars(
        select(Registration).join(Activity, Activity.id == Registration.activity_id).where(
            Registration.status == RegistrationStatus.CONFIRMED, Registration.reminder_job_id.is_(None),
            Registration.reminded_at.is_(None), Registration.created_at < now - UNSCHEDULED_AFTER,
            Activity.status == ActivityStatus.OPEN, Activity.starts_at > now + REMINDER_BEFORE)).all()
    scheduled = sum(schedule_reminder(registration) is not None for registration in missing)
    db.session.commit()
    return scheduled
