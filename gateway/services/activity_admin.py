"""Creating activities (staff), from the API or the console: one validation for both."""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import func, select

from gateway.extensions import db
from gateway.models import Activity, Registration, RegistrationStatus, utcnow
from gateway.models.activities import ACTIVITY_KINDS
from gateway.models.statuses import ActivityStatus, values
from gateway.services import audit
from gateway.services.errors import Conflict, Invalid
from gateway.services.places import InvalidPcode, resolve
from gateway.timezone import NIGER, parse_iso_time

# The code is typed in an SMS ("REGISTER DIF01"): letters and digits only.
_CODE = re.compile(r"^[A-Z0-9]{2,20}$")
ACTIVITY_STATUSES = values(ActivityStatus)


class InvalidActivity(Invalid):
    """A field is missing or wrong; `field` names it."""

    code = "invalid_field"

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}", field=field)
        self.field = field


class DuplicateActivity(InvalidActivity, Conflict):
    """The code is taken."""

    code = "duplicate"


def parse_time(field: str, raw) -> datetime | None:
    """An ISO 8601 time; without a timezone it is Niger time (Africa/Niamey)."""
    if raw in (None, ""):
        return None
    if not isinstance(raw, str):
        raise InvalidActivity(field, "must be an ISO 8601 date and time")
    try:
        return parse_iso_time(raw, NIGER)
    except ValueError:
        raise InvalidActivity(field, "must be an ISO 8601 date and time, e.g. 2026-12-01T09:00") from None


def _text(data: dict, field: str, max_length: int, required: bool = False) -> str:
    value = data.get(field)
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidActivity(field, "must be text")
    value = value.strip()
    if required and not value:
        raise InvalidActivity(field, "is required")
    if len(value) > max_length:
        raise InvalidActivity(field, f"has at most {max_length} characters")
    return value


def _capacity(raw) -> int:
    if raw in (None, ""):
        return 0
    if isinstance(raw, bool):
        raise InvalidActivity("capacity", "must be a whole number, 0 for unlimited")
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise InvalidActivity("capacity", "must be a whole number, 0 for unlimited") from None
    if isinstance(raw, float) and not raw.is_integer():
        raise InvalidActivity("capacity", "must be a whole number, 0 for unlimited")
    if value < 0:
        raise InvalidActivity("capacity", "must be 0 (unlimited) or more")
    return value


def create_activity(data: dict, actor: str) -> Activity:
    """Validate `data` (code, name, kind, adm1_pcode, adm2_pcode, starts_at, …) and store it."""
    if not isinstance(data, dict):
        raise InvalidActivity("body", "must be a JSON object")
    code = _text(data, "code", 20, required=True).upper()
    if not _CODE.match(code):
        raise InvalidActivity("code", "2 to 20 letters or digits, no spaces (people type it in an SMS)")
    name = _text(data, "name", 120, required=True)
    kind = _text(data, "kind", 20) or "other"
    if kind not in ACTIVITY_KINDS:
        raise InvalidActivity("kind", f"must be one of {', '.join(ACTIVITY_KINDS)}")
    try:
        region = resolve(_text(data, "adm1_pcode", 16) or None, level=1)
    except InvalidPcode as exc:
        raise InvalidActivity("adm1_pcode", str(exc)) from None
    try:
        department = resolve(_text(data, "adm2_pcode", 16) or None, level=2)
    except InvalidPcode as exc:
        raise InvalidActivity("adm2_pcode", str(exc)) from None
    if department and region and department.parent_pcode != region.pcode:
        raise InvalidActivity("adm2_pcode", "the department is not in that region")
    if department and not region:
        region = resolve(department.parent_pcode, level=1)
    starts_at = parse_time("starts_at", data.get("starts_at"))
    if starts_at is None:
        raise InvalidActivity("starts_at", "is required")
    if starts_at <= utcnow():
        raise InvalidActivity("starts_at", "must be in the future")
    ends_at = parse_time("ends_at", data.get("ends_at"))
    if ends_at is not None and ends_at <= starts_at:
        raise InvalidActivity("ends_at", "must be after starts_at")
    status = _text(data, "status", 20) or ActivityStatus.OPEN.value
    if status not in ACTIVITY_STATUSES:
        raise InvalidActivity("status", f"must be one of {', '.join(ACTIVITY_STATUSES)}")
    if db.session.scalar(select(Activity.id).where(Activity.code == code)) is not None:
        raise DuplicateActivity("code", f"{code} is already used by another activity")
    activity = Activity(code=code, name=name, kind=kind, description=_text(data, "description", 2000),
                        adm1_pcode=region.pcode if region else None,
                        adm2_pcode=department.pcode if department else None,
                        place=_text(data, "place", 120), starts_at=starts_at, ends_at=ends_at,
                        capacity=_capacity(data.get("capacity")), status=status)
    db.session.add(activity)
    db.session.flush()
    audit.record(actor, "activity.create", "activity", activity.id, code=code)
    db.session.commit()
    return activity


def registration_counts(activity_ids: list[int]) -> dict[int, dict[str, int]]:
    """{activity id: {status: count}} in one query."""
    counts: dict[int, dict[str, int]] = {i: {} for i in activity_ids}
    if not activity_ids:
        return counts
    rows = db.session.execute(select(Registration.activity_id, Registration.status, func.count())
                              .where(Registration.activity_id.in_(activity_ids))
                              .group_by(Registration.activity_id, Registration.status))
    for activity_id, status, count in rows:
        counts[activity_id][status] = count
    return counts


def registrations_with_positions(activity: Activity) -> list[tuple[Registration, int]]:
    """Every registration in order, with its place on the waiting list (0 when not waitlisted)."""
    rows = list(db.session.scalars(select(Registration).where(Registration.activity_id == activity.id)
                                   .order_by(Registration.id)))
    position, out = 0, []
    for registration in rows:
        if registration.status == RegistrationStatus.WAITLISTED:
            position += 1
            out.append((registration, position))
        else:
            out.append((registration, 0))
    return out
