"""GET /api/v1/messages, and the `language` CLI commands."""
from __future__ import annotations

import pytest

from gateway.extensions import db
from gateway.models import Message
from tests.factories import ContactFactory


@pytest.fixture
def messages(app, seeded):
    contact = ContactFactory(phone_number="+22790777001")
    rows = [
        Message(direction="in", channel="africastalking", provider_id="a1", contact_id=contact.id,
                text="Merci pour la formation", status="received", language="fra", status_history=[]),
        Message(direction="out", channel="africastalking", provider_id="o1", contact_id=contact.id,
                text="Merci, reçu", status="delivered", language="fra", status_history=[], kind="ack"),
        Message(direction="in", channel="africastalking", provider_id="a2", contact_id=contact.id,
                text="viol près du puits", status="received", labels=["gbv"], flagged=True, status_history=[]),
    ]
    db.session.add_all(rows)
    db.session.commit()
    return contact, rows


def test_items_carry_the_reporter_code_never_the_number(api, messages):
    contact, _ = messages
    body = api.get("/api/v1/messages", role="operator", sensitive=True).get_json()
    assert len(body["items"]) == 3 and body["next"] is None
    item = body["items"][-1]
    assert set(item) >= {"id", "direction", "channel", "language", "status", "created_at", "contact", "text"}
    assert item["contact"] == contact.reporter_code
    assert "+22790777001" not in str(body) and "90777001" not in str(body)


def test_viewers_see_no_text(api, messages):
    items = api.get("/api/v1/messages", role="viewer").get_json()["items"]
    assert all("text" not in item for item in items)


def test_sensitive_messages_exist_only_for_the_cleared(api, messages):
    # Issue 11, finding 1: the uncleared saw the message with its `gbv` label (text withheld).
    sensitive = messages[1][2]
    for role in ("viewer", "operator", "staff"):
        body = api.get("/api/v1/messages", role=role).get_json()
        assert sensitive.id not in {i["id"] for i in body["items"]} and "gbv" not in str(body)
    items = {i["id"]: i for i in api.get("/api/v1/messages", role="operator", sensitive=True).get_json()["items"]}
    assert items[sensitive.id]["text"] == "viol près du puits" and items[sensitive.id]["labels"] == ["gbv"]


@pytest.mark.parametrize("query,count", [("direction=in", 2), ("direction=out", 1), ("status=delivered", 1),
                                         ("since=2000-01-01", 3), ("since=2999-01-01T00:00:00Z", 0),
                                         ("direction=in&limit=1", 1)])
def test_filters(api, messages, query, count):
    response = api.get(f"/api/v1/messages?{query}", role="staff", sensitive=True)
    assert response.status_code == 200 and len(response.get_json()["items"]) == count


@pytest.mark.parametrize("query", ["direction=sideways", "status=lost", "since=yesterday", "limit=0"])
def test_bad_filters_are_400(api, messages, query):
    response = api.get(f"/api/v1/messages?{query}", role="staff")
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_parameter"


def test_needs_a_token(client):
    assert client.get("/api/v1/messages").status_code == 401


def test_documented_in_openapi(api):
    assert "/messages" in api.get("/api/v1/openapi.json").get_json()["paths"]


def test_language_build_profiles_command(runner, tmp_path):
    result = runner.invoke(args=["language", "build-profiles", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "hau:" in result.output and "dje:" in result.output
    assert (tmp_path / "hau").exists() and (tmp_path / "dje").exists()
    from gateway.services.language import get_detector
    get_detector.cache_clear()


def test_language_detect_command(runner):
    result = runner.invoke(args=["language", "detect", "Muna godiya sosai da taimakon da kuka kawo mana"])
    assert result.exit_code == 0 and result.output.startswith("hau ")
