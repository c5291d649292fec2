"""GET/POST /api/v1/activities, GET /activities/<id>, GET /activities/<id>/registrations."""
from __future__ import annotations

from flask import g, request, url_for
from sqlalchemy import select

from gateway.api import bp
from gateway.api.auth import require_role
from gateway.api.openapi import document, query
from gateway.api.pagination import page, parse_since, where_choice
from gateway.errors import APIError
from gateway.extensions import db
from gateway.models import Activity
from gateway.models.activities import ACTIVITY_KINDS
from gateway.services.activity_admin import (ACTIVITY_STATUSES, create_activity, registration_counts,
                                             registrations_with_positions)
from gateway.services.places import InvalidPcode, canonical_pcode


def serialize_activity(activity: Activity, counts: dict[str, int] | None = None) -> dict:
    """The public shape of an activity, with its registration counts."""
    counts = counts if counts is not None else registration_counts([activity.id])[activity.id]
    confirmed = counts.get("confirmed", 0)
    return {
        "id": activity.id, "code": activity.code, "name": activity.name, "kind": activity.kind,
        "description": activity.description, "adm1_pcode": activity.adm1_pcode,
        "adm2_pcode": activity.adm2_pcode, "place": activity.place,
        "starts_at": activity.starts_at.isoformat(),
        "ends_at": activity.ends_at.isoformat() if activity.ends_at else None,
        "capacity": activity.capacity, "status": activity.status,
        "registrations": {"confirmed": confirmed, "waitlisted": counts.get("waitlisted", 0),
                          "cancelled": counts.get("cancelled", 0)},
        "places_left": None if not activity.capacity else max(activity.capacity - confirmed, 0),
        "created_at": activity.created_at.isoformat(),
    }


ACTIVITY_BODY = {"application/json": {"schema": {
    "type": "object", "required": ["code", "name", "starts_at"],
    "properties": {
        "code": {"type": "string", "pattern": "^[A-Za-z0-9]{2,20}$", "description": "typed in SMS: REGISTER CODE"},
        "name": {"type": "string", "maxLength": 120},
        "kind": {"type": "string", "enum": list(ACTIVITY_KINDS)},
        "description": {"type": "string"},
        "adm1_pcode": {"type": "string", "description": "region P-code, NE… or NER…"},
        "adm2_pcode": {"type": "string", "description": "department P-code, must be in the region"},
        "place": {"type": "string"},
        "starts_at": {"type": "string", "format": "date-time",
                      "description": "ISO 8601; without a timezone it is Niger time (Africa/Niamey)"},
        "ends_at": {"type": "string", "format": "date-time"},
        "capacity": {"type": "integer", "minimum": 0, "description": "0 = unlimited"},
        "status": {"type": "string", "enum": list(ACTIVITY_STATUSES)},
    }}}}

document("/activities", "get", "List activities, newest first", params=[
    query("status", "open, closed or cancelled"), query("region", "admin1 P-code"),
    query("since", "starting at or after this ISO 8601 time"),
    query("limit", "page size (1-500)", {"type": "integer"}), query("after", "cursor from `next`", {"type": "integer"}),
])
document("/activities", "post", "Create an activity", body=ACTIVITY_BODY, role="staff",
         responses={"201": {"description": "created"}, "400": {"description": "invalid field"},
                    "409": {"description": "code already used"}})
document("/activities/{id}", "get", "One activity with its registration counts",
         responses={"200": {"description": "OK"}, "404": {"description": "no such activity"}})
document("/activities/{id}/registrations", "get",
         "Registrations (contact = pseudonymous reporter code, never the number), in order",
         params=[query("status", "confirmed, waitlisted or cancelled")])


@bp.get("/activities")
@require_role("viewer")
def list_activities():
    """Activities, filtered by status, region and start time."""
    stmt = select(Activity)
    stmt = where_choice(stmt, Activity.status, "status", ACTIVITY_STATUSES)
    if request.args.get("region"):
        try:
            stmt = stmt.where(Activity.adm1_pcode == canonical_pcode(request.args["region"]))
        except InvalidPcode as exc:
            raise APIError(400, "invalid_parameter", str(exc)) from None
    since = parse_since()
    if since:
        stmt = stmt.where(Activity.starts_at >= since)
    body = page(stmt, Activity.id, lambda a: a, "api.list_activities")
    counts = registration_counts([a.id for a in body["items"]])
    body["items"] = [serialize_activity(a, counts[a.id]) for a in body["items"]]
    return body


@bp.post("/activities")
@require_role("staff")
def post_activity():
    """Create an activity from a JSON body."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise APIError(400, "invalid_body", "send a JSON object")
    activity = create_activity(data, actor=g.actor)
    return serialize_activity(activity), 201, {"Location": url_for("api.get_activity", activity_id=activity.id)}


def _activity(activity_id: int) -> Activity:
    activity = db.session.get(Activity, activity_id)
    if activity is None:
        raise APIError(404, "not_found", f"no activity {activity_id}")
    return activity


@bp.get("/activities/<int:activity_id>")
@require_role("viewer")
def get_activity(activity_id: int):
    """One activity."""
    return serialize_activity(_activity(activity_id))


@bp.get("/activities/<int:activity_id>/registrations")
@require_role("viewer")
def list_registrations(activity_id: int):
    """Every registration in order of arrival, with its place on the waiting list."""
    activity = _activity(activity_id)
    status = request.args.get("status")
    if status and status not in ("confirmed", "waitlisted", "cancelled"):
        raise APIError(400, "invalid_parameter", "status must be confirmed, waitlisted or cancelled")
    items = [{
        "id": r.id, "contact": r.contact.reporter_code if r.contact else None, "status": r.status,
        "waitlist_position": position or None, "channel": r.channel,
        "created_at": r.created_at.isoformat(),
    } for r, position in registrations_with_positions(activity) if not status or r.status == status]
    return {"activity": activity.id, "items": items, "next": None}
