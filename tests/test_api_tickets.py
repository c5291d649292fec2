"""The tickets API: listing with clearance, operator actions, soft locks, audit."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from gateway.api.auth import create_token
from gateway.extensions import db
from gateway.models import AuditEntry, Message, Report, Ticket, TicketNote
from tests.inbox_support import NUMBER, canned, flagged_ticket, report_ticket


def audit_actions(ticket_id=None):
    stmt = select(AuditEntry.action).order_by(AuditEntry.id)
    if ticket_id is not None:
        stmt = stmt.where(AuditEntry.object_type == "ticket", AuditEntry.object_id == str(ticket_id))
    return list(db.session.scalars(stmt))


def test_list_shows_holder_and_reporter_code_never_the_number(api, seeded):
    ticket = flagged_ticket()
    response = api.get("/api/v1/tickets", role="operator")
    assert response.status_code == 200
    body = response.get_json()
    assert [t["id"] for t in body["items"]] == [ticket.id]
    item = body["items"][0]
    assert item["contact"].startswith("C-") and item["holder"] is None and item["status"] == "open"
    assert item["kind"] == "flagged_message" and item["priority"] == 1 and body["next"] is None
    assert "90555001" not in response.get_data(as_text=True)


def test_sensitive_tickets_need_clearance(api, seeded):
    normal = flagged_ticket()
    _, sensitive = report_ticket("+22790555002", category="gbv")
    assert sensitive.sensitive
    ids = [t["id"] for t in api.get("/api/v1/tickets", role="operator").get_json()["items"]]
    assert ids == [normal.id]
    assert api.get(f"/api/v1/tickets/{sensitive.id}", role="operator").status_code == 404
    assert api.post(f"/api/v1/tickets/{sensitive.id}/claim", role="operator").status_code == 404
    cleared = [t["id"] for t in api.get("/api/v1/tickets", role="operator", sensitive=True).get_json()["items"]]
    assert sorted(cleared) == sorted([normal.id, sensitive.id])
    assert api.get(f"/api/v1/tickets/{sensitive.id}", role="admin").status_code == 200


def test_viewer_sees_no_text_and_cannot_act(api, seeded):
    ticket = flagged_ticket()
    listed = api.get("/api/v1/tickets", role="viewer").get_json()["items"][0]
    assert "summary" not in listed
    detail = api.get(f"/api/v1/tickets/{ticket.id}", role="viewer").get_json()
    assert detail["messages"] and all("text" not in m for m in detail["messages"])
    assert "Akwai" not in json.dumps(detail)
    for action in ("claim", "release", "triage", "note", "reply", "refer", "close"):
        response = api.post(f"/api/v1/tickets/{ticket.id}/{action}", role="viewer", json={"text": "x"})
        assert response.status_code == 403, action
        assert response.get_json()["error"]["code"] == "forbidden"
    assert db.session.get(Ticket, ticket.id).status == "open"
    assert audit_actions(ticket.id) == ["ticket.open"]


def test_operator_reads_the_message_text(api, seeded):
    ticket = flagged_ticket()
    detail = api.get(f"/api/v1/tickets/{ticket.id}", role="operator").get_json()
    assert detail["messages"][0]["text"] == "Akwai fada a kasuwa, a taimaka"
    assert detail["summary"]


@pytest.mark.parametrize("query, expected", [
    ("status=open", 1), ("status=closed", 0), ("status=active", 1), ("kind=flagged_message", 1),
    ("kind=callback", 0), ("priority=1", 1), ("priority=3", 0), ("since=2000-01-01", 1),
    ("since=2999-01-01T00:00:00Z", 0),
])
def test_list_filters(api, seeded, query, expected):
    flagged_ticket()
    assert len(api.get(f"/api/v1/tickets?{query}", role="operator").get_json()["items"]) == expected


@pytest.mark.parametrize("query, message", [
    ("status=lost", "status must be one of"), ("kind=nope", "kind must be one of"),
    ("priority=9", "priority must be"), ("priority=high", "priority must be an integer"),
    ("since=yesterday", "ISO 8601"), ("limit=0", "limit"),
])
def test_bad_filters_are_400(api, seeded, query, message):
    response = api.get(f"/api/v1/tickets?{query}", role="operator")
    assert response.status_code == 400
    assert message in response.get_json()["error"]["message"]


def test_claim_is_a_soft_lock(api, client, seeded):
    ticket = flagged_ticket()
    first = api.post(f"/api/v1/tickets/{ticket.id}/claim", role="operator")
    assert first.status_code == 200
    holder = first.get_json()["holder"]
    assert first.get_json()["status"] == "claimed" and holder["name"].startswith("API token")
    # Everyone sees who holds it.
    assert api.get("/api/v1/tickets", role="viewer").get_json()["items"][0]["holder"] == holder
    other = {"Authorization": "Bearer " + create_token("colleague", "operator")}
    taken = client.post(f"/api/v1/tickets/{ticket.id}/claim", headers=other)
    assert taken.status_code == 409
    assert taken.get_json()["error"]["code"] == "ticket_held"
    blocked = client.post(f"/api/v1/tickets/{ticket.id}/reply", headers=other, json={"text": "hello"})
    assert blocked.status_code == 409
    assert db.session.scalar(select(func.count()).select_from(Message).where(Message.direction == "out")) == 0
    forced = client.post(f"/api/v1/tickets/{ticket.id}/claim", headers=other, json={"force": True})
    assert forced.status_code == 200 and forced.get_json()["holder"]["id"] != holder["id"]
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "ticket.claim")
                               .order_by(AuditEntry.id.desc())).first()
    assert entry.details["forced"] is True and entry.details["previous_user_id"] == holder["id"]
    # The first operator releasing now needs force too; the holder's own release does not.
    assert api.post(f"/api/v1/tickets/{ticket.id}/release", role="operator").status_code == 409
    released = client.post(f"/api/v1/tickets/{ticket.id}/release", headers=other)
    assert released.status_code == 200 and released.get_json()["holder"] is None
    assert released.get_json()["status"] == "open"
    assert client.post(f"/api/v1/tickets/{ticket.id}/release", headers=other).status_code == 409


def test_triage_updates_ticket_and_report(api, seeded):
    report, ticket = report_ticket()
    response = api.post(f"/api/v1/tickets/{ticket.id}/triage", role="operator",
                        json={"category": "intercommunal", "severity": 3, "verified": True})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["category"], body["severity"], body["verified"]) == ("intercommunal", 3, True)
    report = db.session.get(Report, report.id)
    assert (report.category_code, report.severity, report.verified, report.status) == \
        ("intercommunal", 3, True, "verified")
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "ticket.triage")).one()
    assert entry.details == {"category": "intercommunal", "severity": 3, "verified": True}
    assert entry.actor.startswith("token:")


@pytest.mark.parametrize("action, body, message", [
    ("triage", {}, "at least one of"),
    ("triage", {"category": "aliens"}, "unknown category"),
    ("triage", {"severity": 7}, "severity must be"),
    ("triage", {"severity": "high"}, "severity must be"),
    ("triage", {"severity": True}, "severity must be"),
    ("triage", {"verified": "maybe"}, "verified must be"),
    ("note", {}, "the note is empty"),
    ("note", {"text": "   "}, "the note is empty"),
    ("note", {"text": 42}, "text must be a string"),
    ("note", {"text": "x" * 5001}, "at most 5000"),
    ("reply", {}, "give the reply text or a canned reply"),
    ("reply", {"canned_reply_id": 999}, "no canned reply"),
    ("reply", {"canned_reply_id": "abc"}, "must be an integer"),
    ("reply", {"text": "x" * 641}, "at most 640"),
    ("refer", {}, "unknown partner"),
    ("refer", {"partner_id": 999}, "unknown partner"),
    ("refer", {"partner_id": "x"}, "unknown partner"),
    ("claim", {"force": "perhaps"}, "force must be true or false"),
    ("close", {"notify": "maybe"}, "notify must be true or false"),
])
def test_bad_action_input_is_400_and_changes_nothing(api, seeded, action, body, message):
    ticket = flagged_ticket()
    before = audit_actions()
    response = api.post(f"/api/v1/tickets/{ticket.id}/{action}", role="operator", json=body)
    assert response.status_code == 400, response.get_json()
    assert message in response.get_json()["error"]["message"]
    ticket = db.session.get(Ticket, ticket.id)
    assert (ticket.status, ticket.category_code, ticket.severity, ticket.partner_id) == ("open", None, None, None)
    assert db.session.scalar(select(func.count()).select_from(TicketNote)) == 0
    assert db.session.scalar(select(func.count()).select_from(Message).where(Message.direction == "out")) == 0
    assert audit_actions() == before


def test_invalid_json_is_400(api, seeded):
    ticket = flagged_ticket()
    response = api.post(f"/api/v1/tickets/{ticket.id}/note", role="operator", data="{not json",
                        content_type="application/json")
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_body"


def test_unknown_ticket_is_404(api, seeded):
    assert api.get("/api/v1/tickets/999", role="operator").status_code == 404
    response = api.post("/api/v1/tickets/999/claim", role="operator")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


def test_note_is_stored_and_audited_without_its_text(api, seeded):
    ticket = flagged_ticket()
    response = api.post(f"/api/v1/tickets/{ticket.id}/note", role="operator", json={"text": "Called the chief"})
    assert response.status_code == 200
    assert [n["text"] for n in response.get_json()["notes"]] == ["Called the chief"]
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "ticket.note")).one()
    assert "Called" not in json.dumps(entry.details)


def test_reply_goes_out_in_the_persons_language(api, app, drain, seeded):
    ticket = flagged_ticket(language="hau")
    reply = canned()
    response = api.post(f"/api/v1/tickets/{ticket.id}/reply", role="operator", json={"canned_reply_id": reply.id})
    assert response.status_code == 200, response.get_json()
    message = response.get_json()["message"]
    assert message["language"] == "hau" and message["status"] == "queued"
    drain()
    outbox = app.extensions["channels"]["fake"].outbox(NUMBER)
    assert [m["text"] for m in outbox] == ["Na gode, za mu kira ka."]
    stored = db.session.get(Message, message["id"])
    assert stored.kind == "reply" and stored.in_reply_to_id == db.session.get(Ticket, ticket.id).message_id
    assert db.session.get(Message, stored.in_reply_to_id).handled is True
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "ticket.reply")).one()
    assert entry.details["message_id"] == message["id"] and "Na gode" not in json.dumps(entry.details)


def test_canned_reply_falls_back_to_french(api, app, drain, seeded):
    ticket = flagged_ticket(language="knc")
    reply = canned(texts={"fra": "Merci."})
    api.post(f"/api/v1/tickets/{ticket.id}/reply", role="operator", json={"canned_reply_id": reply.id})
    drain()
    assert [m["text"] for m in app.extensions["channels"]["fake"].outbox(NUMBER)] == ["Merci."]


def test_free_text_reply(api, app, drain, seeded):
    ticket = flagged_ticket()
    response = api.post(f"/api/v1/tickets/{ticket.id}/reply", role="operator", data={"text": "Mun ji ka"})
    assert response.status_code == 200
    drain()
    assert [m["text"] for m in app.extensions["channels"]["fake"].outbox(NUMBER)] == ["Mun ji ka"]


def test_anonymous_report_cannot_be_answered(api, seeded):
    _, ticket = report_ticket(number=None, anonymous=True)
    response = api.post(f"/api/v1/tickets/{ticket.id}/reply", role="operator", json={"text": "Hello"})
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "no_contact"
    closed = api.post(f"/api/v1/tickets/{ticket.id}/close", role="operator")
    assert closed.status_code == 200 and closed.get_json()["message"] is None


def test_refer_to_partner(api, seeded):
    from gateway.models import Partner
    report, ticket = report_ticket()
    partner = db.session.scalars(select(Partner).order_by(Partner.id)).first()
    response = api.post(f"/api/v1/tickets/{ticket.id}/refer", role="operator", json={"partner_id": partner.id})
    assert response.status_code == 200
    assert response.get_json()["partner"] == {"id": partner.id, "name": partner.name}
    assert response.get_json()["status"] == "referred"
    assert db.session.get(Report, report.id).status == "referred"
    assert "ticket.refer" in audit_actions(ticket.id)


def test_close_tells_the_person_in_their_language(api, app, drain, seeded):
    report, ticket = report_ticket(language="fra")
    api.post(f"/api/v1/tickets/{ticket.id}/claim", role="operator")
    response = api.post(f"/api/v1/tickets/{ticket.id}/close", role="operator")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "closed" and body["closed_at"] and body["message"]["language"] == "fra"
    drain()
    [sent] = app.extensions["channels"]["fake"].outbox(NUMBER)
    assert report.reference in sent["text"] and "traite" in sent["text"]
    assert db.session.get(Report, report.id).status == "closed"
    again = api.post(f"/api/v1/tickets/{ticket.id}/close", role="operator")
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "ticket_closed"
    assert audit_actions(ticket.id) == ["ticket.open", "ticket.claim", "ticket.close"]


def test_close_without_notifying(api, app, drain, seeded):
    ticket = flagged_ticket()
    response = api.post(f"/api/v1/tickets/{ticket.id}/close", role="operator", json={"notify": False})
    assert response.status_code == 200 and response.get_json()["message"] is None
    drain()
    assert app.extensions["channels"]["fake"].outbox() == []


def test_pagination(api, seeded):
    for i in range(3):
        flagged_ticket(number=f"+2279055510{i}")
    first = api.get("/api/v1/tickets?limit=2", role="operator").get_json()
    assert len(first["items"]) == 2 and first["next"]
    second = api.get(first["next"], role="operator").get_json()
    assert len(second["items"]) == 1 and second["next"] is None


def test_partners_and_canned_replies_lists(api, seeded):
    canned()
    assert api.get("/api/v1/partners", role="operator").get_json()["items"]
    assert api.get("/api/v1/canned-replies", role="operator").get_json()["items"][0]["texts"]["hau"]
    assert api.get("/api/v1/partners", role="viewer").status_code == 403


def test_actions_are_documented_in_openapi(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for action in ("claim", "release", "triage", "note", "reply", "refer", "close"):
        assert "post" in paths[f"/tickets/{{id}}/{action}"]
    assert "get" in paths["/tickets"] and "get" in paths["/audit"]
    assert "get" in paths["/exports/reports.csv"] and "post" in paths["/contacts/import"]
    assert {"get", "post"} <= set(paths["/activities"])
