"""The campaigns API (/api/v1/campaigns) and console pages."""
from __future__ import annotations

import pytest

from gateway.extensions import db
from gateway.models import Campaign
from tests.factories import ContactFactory

BODY = {"name": "Paix et cohésion", "default_language": "fra",
        "texts": {"fra": "Dialogue communautaire samedi.", "hau": "Tattaunawar al'umma ranar Asabar."},
        "audience": {"adm1": ["NER002"], "languages": ["fra", "hau"]}}


def test_create_send_and_follow_a_campaign(app, api, seeded, drain):
    ContactFactory(language="hau", adm1_pcode="NE002")
    ContactFactory(language="fra", adm1_pcode="NE002")
    ContactFactory(language="fra", adm1_pcode="NE002", stopped=True)
    ContactFactory(language="fra", adm1_pcode="NE005")                 # outside the audience
    created = api.post("/api/v1/campaigns", role="staff", json=BODY)
    assert created.status_code == 201, created.json
    campaign_id = created.json["id"]
    draft = api.get(f"/api/v1/campaigns/{campaign_id}", role="viewer").json
    assert draft["status"] == "draft" and draft["audience"]["adm1"] == ["NE002"]
    assert draft["preview"]["recipients"] == 2 and draft["preview"]["skipped"] == 1
    assert {l["language"]: l["encoding"] for l in draft["preview"]["languages"]} == {"fra": "GSM-7", "hau": "GSM-7"}
    sent = api.post(f"/api/v1/campaigns/{campaign_id}/send", role="staff")
    assert sent.status_code == 200 and sent.json["status"] == "sending"
    drain()
    body = api.get(f"/api/v1/campaigns/{campaign_id}", role="viewer").json
    assert body["status"] == "completed"
    assert body["counts"] == {"queued": 0, "sent": 2, "delivered": 0, "failed": 0, "skipped": 1}
    assert body["segments"] == 2 and "cost" in body
    listing = api.get("/api/v1/campaigns", role="viewer").json
    assert [c["id"] for c in listing["items"]] == [campaign_id]


@pytest.mark.parametrize("change, code", [
    ({"name": ""}, "invalid_name"),
    ({"texts": {}}, "invalid_texts"),
    ({"texts": {"xx": "hello"}}, "invalid_texts"),
    ({"texts": {"fra": "   "}}, "invalid_texts"),
    ({"default_language": "dje"}, "invalid_texts"),
    ({"audience": {"adm1": ["NE999"], "extra": 1}}, "invalid_audience"),
    ({"audience": {"adm2": ["nowhere"]}}, "invalid_audience"),
    ({"send_at": "next tuesday"}, "invalid_send_at"),
    ({"repeat": "hourly"}, "invalid_repeat"),
    ({"channel": "pigeon"}, "invalid_channel"),
])
def test_bad_campaigns_are_refused_and_nothing_is_stored(app, api, seeded, change, code):
    response = api.post("/api/v1/campaigns", role="staff", json={**BODY, **change})
    assert response.status_code == 400 and response.json["error"]["code"] == code
    assert db.session.query(Campaign).count() == 0


def test_roles_and_states(app, api):
    assert api.post("/api/v1/campaigns", role="operator", json=BODY).status_code == 403
    assert api.post("/api/v1/campaigns", role="staff", data="nope").status_code == 400
    assert api.get("/api/v1/campaigns/999", role="viewer").status_code == 404
    campaign_id = api.post("/api/v1/campaigns", role="staff", json=BODY).json["id"]
    response = api.post(f"/api/v1/campaigns/{campaign_id}/pause", role="staff")
    assert response.status_code == 409 and response.json["error"]["code"] == "invalid_state"
    assert api.post(f"/api/v1/campaigns/{campaign_id}/retry-failed", role="staff").status_code == 409
    assert api.post(f"/api/v1/campaigns/{campaign_id}/cancel", role="staff").json["status"] == "cancelled"


def test_preview_transliterate_and_test_send_endpoints(app, api, drain):
    ContactFactory(language="hau")
    body = {"texts": {"hau": "Ƙungiyar matasa za ta yi taro a ɗakin taro. " * 2}, "default_language": "hau"}
    preview = api.post("/api/v1/campaigns/preview", role="staff", json=body).json
    assert preview["languages"][0]["encoding"] == "UCS-2" and preview["recipients"] == 1
    result = api.post("/api/v1/campaigns/transliterate", role="staff", json={"text": body["texts"]["hau"]}).json
    assert result["after"]["encoding"] == "GSM-7" and result["segments_saved"] >= 1
    campaign_id = api.post("/api/v1/campaigns", role="staff", json={"name": "T", **body}).json["id"]
    sent = api.post(f"/api/v1/campaigns/{campaign_id}/test-send", role="staff", json={"phone": "91234567"})
    assert sent.status_code == 202
    bad = api.post(f"/api/v1/campaigns/{campaign_id}/test-send", role="staff", json={"phone": "12"})
    assert bad.status_code == 400 and bad.json["error"]["code"] == "invalid_phone"
    drain()
    assert [m["to"] for m in app.extensions["channels"]["fake"].outbox()] == ["+22791234567"]


def test_scheduled_campaign_via_api_is_in_niger_time(app, api, clock):
    campaign_id = api.post("/api/v1/campaigns", role="staff",
                           json={**BODY, "send_at": "2026-12-01T09:00:00"}).json["id"]
    body = api.post(f"/api/v1/campaigns/{campaign_id}/send", role="staff").json
    assert body["status"] == "scheduled"
    assert body["send_at"] == "2026-12-01T08:00:00+00:00" and body["send_at_local"] == "2026-12-01T09:00:00+01:00"


def test_openapi_describes_campaigns(app, api):
    paths = api.get("/api/v1/openapi.json").json["paths"]
    assert {"/campaigns", "/campaigns/{id}", "/campaigns/{id}/send", "/campaigns/{id}/retry-failed"} <= set(paths)


# --- console ---------------------------------------------------------------------------------------

def _csrf(client) -> str:
    with client.session_transaction() as session:
        session.setdefault("csrf", "test-csrf-token")
        return session["csrf"]

def test_console_new_campaign_with_live_preview(app, client, login, seeded, drain):
    ContactFactory(language="hau", adm1_pcode="NE002")
    login("staff")
    page = client.get("/console/campaigns/new")
    assert page.status_code == 200 and "Translittérer en GSM-7" in page.get_data(as_text=True)
    form = {"name": "Paix", "default_language": "fra", "text_fra": "Bonjour", "text_hau": "Ƙungiyar", "adm1": "NE002",
            "csrf_token": _csrf(client)}
    preview = client.post("/console/campaigns/preview.json", data=form).json
    assert preview["recipients"] == 1 and preview["languages"][1]["encoding"] == "UCS-2"
    assert client.post("/console/campaigns/transliterate.json", data={"text": "ɗaki", "csrf_token": _csrf(client)}).json["text"] == "daki"
    created = client.post("/console/campaigns/new", data={**form, "review": "1"})
    campaign = db.session.query(Campaign).one()
    assert created.status_code == 302 and created.headers["Location"].endswith(f"/campaigns/{campaign.id}/confirm")
    confirm = client.get(created.headers["Location"]).get_data(as_text=True)
    assert "1 personne recevront" in confirm or "1 personne" in confirm
    assert campaign.status == "draft"                 # nothing sent before the confirmation
    sent = client.post(f"/console/campaigns/{campaign.id}/send", data={"csrf_token": _csrf(client)})
    assert sent.status_code == 302
    drain()
    detail = client.get(sent.headers["Location"])
    assert detail.status_code == 200 and "Terminée" in detail.get_data(as_text=True)
    progress = client.get(f"/console/campaigns/{campaign.id}/progress.json").json
    assert progress["counts"]["sent"] == 1
    listing = client.get("/console/campaigns")
    assert b"Paix" in listing.data and "Campagnes" in listing.get_data(as_text=True)


def test_console_refuses_a_bad_campaign_and_operators(app, client, login):
    login("staff")
    assert client.post("/console/campaigns/new", data={"name": "x", "text_fra": "x"}).status_code == 403
    response = client.post("/console/campaigns/new", data={"name": "", "text_fra": "x", "csrf_token": _csrf(client)})
    assert response.status_code == 400 and "Donnez un nom à la campagne" in response.get_data(as_text=True)
    login("operator", email="op@example.org")
    assert client.get("/console/campaigns").status_code == 403
