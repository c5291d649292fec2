"""The activities API: create with validation, list, registrations with the waiting list."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from gateway.extensions import db
from gateway.models import Activity, AuditEntry
from gateway.services import activities, contacts

VALID = {"code": "dlg09", "name": "Dialogue Bosso", "kind": "dialogue", "adm1_pcode": "NER002",
         "adm2_pcode": "NE002001", "starts_at": "2026-12-10T09:00", "capacity": 2, "place": "Bosso"}


def count_activities() -> int:
    return db.session.scalar(select(func.count()).select_from(Activity))


def test_staff_creates_an_activity(api, seeded, clock):
    before = count_activities()
    response = api.post("/api/v1/activities", role="staff", json=VALID)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["code"] == "DLG09" and body["adm1_pcode"] == "NE002" and body["adm2_pcode"] == "NE002001"
    # A naive time is Niger time (UTC+1).
    assert datetime.fromisoformat(body["starts_at"]) == datetime(2026, 12, 10, 8, 0, tzinfo=timezone.utc)
    assert body["registrations"] == {"confirmed": 0, "waitlisted": 0, "cancelled": 0}
    assert body["places_left"] == 2 and body["status"] == "open"
    assert response.headers["Location"].endswith(f"/api/v1/activities/{body['id']}")
    assert count_activities() == before + 1
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "activity.create")).one()
    assert entry.object_id == str(body["id"])


def test_timezone_is_kept_when_given(api, seeded, clock):
    body = api.post("/api/v1/activities", role="staff", json={**VALID, "starts_at": "2026-12-10T09:00:00Z"}).get_json()
    assert datetime.fromisoformat(body["starts_at"]) == datetime(2026, 12, 10, 9, 0, tzinfo=timezone.utc)


def test_region_is_inferred_from_the_department(api, seeded, clock):
    data = {k: v for k, v in VALID.items() if k != "adm1_pcode"}
    assert api.post("/api/v1/activities", role="staff", json=data).get_json()["adm1_pcode"] == "NE002"


@pytest.mark.parametrize("change, field", [
    ({"code": ""}, "code"), ({"code": "has space"}, "code"), ({"code": "x"}, "code"),
    ({"code": 12}, "code"), ({"name": ""}, "name"), ({"name": "n" * 121}, "name"),
    ({"kind": "party"}, "kind"), ({"adm1_pcode": "XX001"}, "adm1_pcode"),
    ({"adm1_pcode": "NE099"}, "adm1_pcode"), ({"adm1_pcode": "NE002001"}, "adm1_pcode"),
    ({"adm2_pcode": "NE006001"}, "adm2_pcode"),           # a Tillabéri department in Diffa
    ({"adm2_pcode": "NE002"}, "adm2_pcode"),
    ({"starts_at": None}, "starts_at"), ({"starts_at": "next tuesday"}, "starts_at"),
    ({"starts_at": "2020-01-01T09:00"}, "starts_at"), ({"starts_at": 1765000000}, "starts_at"),
    ({"ends_at": "2026-12-10T08:00"}, "ends_at"),
    ({"capacity": -1}, "capacity"), ({"capacity": "lots"}, "capacity"), ({"capacity": 2.5}, "capacity"),
    ({"capacity": True}, "capacity"), ({"status": "maybe"}, "status"),
])
def test_invalid_activities_are_400_and_not_stored(api, seeded, clock, change, field):
    before = count_activities()
    response = api.post("/api/v1/activities", role="staff", json={**VALID, **change})
    assert response.status_code == 400, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "invalid_field" and error["details"]["field"] == field
    assert count_activities() == before


def test_body_must_be_a_json_object(api, seeded):
    assert api.post("/api/v1/activities", role="staff", json=[1, 2]).status_code == 400
    assert api.post("/api/v1/activities", role="staff", data="code=X").status_code == 400


def test_duplicate_code_is_409(api, seeded, clock):
    assert api.post("/api/v1/activities", role="staff", json=VALID).status_code == 201
    response = api.post("/api/v1/activities", role="staff", json={**VALID, "code": "DLG09"})
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "duplicate"


@pytest.mark.parametrize("role", ["viewer", "operator"])
def test_only_staff_create(api, seeded, clock, role):
    before = count_activities()
    assert api.post("/api/v1/activities", role=role, json=VALID).status_code == 403
    assert count_activities() == before


def test_list_and_filter(api, seeded):
    body = api.get("/api/v1/activities", role="viewer").get_json()
    assert len(body["items"]) == 6 and {"code", "registrations", "starts_at"} <= set(body["items"][0])
    diffa = api.get("/api/v1/activities?region=NER002", role="viewer").get_json()["items"]
    assert {a["code"] for a in diffa} == {"DLG01", "CFW01"}
    assert api.get("/api/v1/activities?status=bogus", role="viewer").status_code == 400
    assert api.get("/api/v1/activities?region=Diffa", role="viewer").status_code == 400


def test_unknown_activity_is_404(api, seeded):
    response = api.get("/api/v1/activities/9999", role="viewer")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    assert api.get("/api/v1/activities/9999/registrations", role="viewer").status_code == 404


def test_registrations_show_reporter_codes_and_waiting_list(api, seeded):
    activity = db.session.scalar(select(Activity).where(Activity.code == "DLG02"))   # capacity 3
    people = [contacts.get_or_create(f"+2279066600{i}")[0] for i in range(5)]
    for person in people:
        activities.register(activity, person.id, "ussd")
    db.session.commit()
    response = api.get(f"/api/v1/activities/{activity.id}/registrations", role="viewer")
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [i["status"] for i in items] == ["confirmed"] * 3 + ["waitlisted"] * 2
    assert [i["waitlist_position"] for i in items] == [None, None, None, 1, 2]
    assert [i["contact"] for i in items] == [p.reporter_code for p in people]
    assert "90666" not in response.get_data(as_text=True)
    assert {"created_at", "channel", "id"} <= set(items[0])
    waiting = api.get(f"/api/v1/activities/{activity.id}/registrations?status=waitlisted", role="viewer")
    assert len(waiting.get_json()["items"]) == 2
    summary = api.get(f"/api/v1/activities/{activity.id}", role="viewer").get_json()
    assert summary["registrations"]["waitlisted"] == 2 and summary["places_left"] == 0
