"""The console's phone simulator: staff only, forwards hops to the real endpoint, shows the SMS inbox."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from gateway.extensions import db
from gateway.models import Report


def csrf(client) -> str:
    page = client.get("/console/simulator").get_data(as_text=True)
    return re.search(r'data-csrf="([^"]+)"', page).group(1)


def test_simulator_needs_a_signed_in_staff_member(client, login):
    response = client.get("/console/simulator")
    assert response.status_code == 302 and "/console/login" in response.headers["Location"]
    login("viewer")
    assert client.get("/console/simulator").status_code == 403
    assert client.post("/console/simulator/hop", data={}).status_code == 403


def test_simulator_page_looks_like_a_phone_and_is_in_the_menu(client, login):
    login("staff")
    page = client.get("/console/simulator").get_data(as_text=True)
    assert 'id="sim-screen"' in page and page.count('class="key"') == 12
    assert "simulator.js" in page and "simulator.css" in page
    assert 'href="/console/simulator"' in page                       # navigation entry
    with client.get("/console/static/simulator.js") as script:
        assert script.status_code == 200


def hop(client, token, session, text, number="+22790000777"):
    return client.post("/console/simulator/hop", data={"csrf_token": token, "sessionId": session,
                                                      "phoneNumber": number, "text": text}).get_json()


def test_simulator_dials_the_real_endpoint_and_shows_the_sms_inbox(client, login, seeded, drain):
    login("staff")
    token = csrf(client)
    answers = [hop(client, token, "sim-1", text) for text in ("", "3", "3*4", "3*4*1")]
    assert all(a["status"] == 200 for a in answers)
    assert answers[0]["body"].startswith("CON Murya - Langue")
    assert answers[1]["body"].startswith("CON Bienvenue sur Murya")
    assert answers[3]["body"].startswith("END Merci. La ligne d'ecoute")
    assert client.get("/console/simulator/inbox?phoneNumber=%2B22790000777").get_json() == {"messages": []}
    drain()
    messages = client.get("/console/simulator/inbox?phoneNumber=90000777").get_json()["messages"]
    assert len(messages) == 1 and "rappel" in messages[0]["text"]


def test_simulator_adds_the_callback_token_server_side(make_app):
    app = make_app(AT_CALLBACK_TOKEN="s3cret")
    from gateway.models import User
    with app.app_context():
        from tests.conftest import _empty_tables
        _empty_tables()
        user = User(email="staff@example.org", role="staff")
        user.set_password("pw")
        db.session.add(user)
        db.session.commit()
    client = app.test_client()
    from tests.conftest import csrf
    client.post("/console/login", data={"email": "staff@example.org", "password": "pw", "csrf_token": csrf(client)})
    page = client.get("/console/simulator").get_data(as_text=True)
    assert "s3cret" not in page                                       # never sent to the browser
    token = re.search(r'data-csrf="([^"]+)"', page).group(1)
    answer = hop(client, token, "sim-2", "")
    assert answer["status"] == 200 and answer["body"].startswith("CON ")
    assert client.post("/ussd/africastalking", data={"sessionId": "x", "phoneNumber": "+22790000777",
                                                     "text": ""}).status_code == 403


def test_simulator_refuses_a_post_without_the_form_token(client, login):
    login("staff")
    response = client.post("/console/simulator/hop", data={"sessionId": "s", "phoneNumber": "+22790000777", "text": ""})
    assert response.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Report)) == 0


@pytest.mark.parametrize("number", ["", "12", "abc"])
def test_simulator_rejects_a_bad_number(client, login, number):
    login("staff")
    token = csrf(client)
    response = client.post("/console/simulator/hop", data={"csrf_token": token, "sessionId": "s",
                                                          "phoneNumber": number, "text": ""})
    assert response.status_code == 400
    assert client.get(f"/console/simulator/inbox?phoneNumber={number}").status_code == 400


# --- production: reserved test numbers only (issue 11, finding 2) ---------------------------

TEST_NUMBER = "+22790000999"


def _production_staff_client(make_app, **settings):
    from gateway.models import User
    from tests.conftest import _empty_tables, csrf as login_csrf
    from tests.fakes.fixtures import AT_SETTINGS
    app = make_app(**AT_SETTINGS, GATEWAY_ENV="production", SMS_PROVIDER="africastalking", **settings)
    with app.app_context():
        _empty_tables()
        user = User(email="staff@example.org", role="staff")
        user.set_password("pw")
        db.session.add(user)
        db.session.commit()
    client = app.test_client()
    client.post("/console/login", data={"email": "staff@example.org", "password": "pw",
                                        "csrf_token": login_csrf(client)})
    return app, client


def test_production_simulator_dials_only_as_the_reserved_test_numbers(make_app):
    app, client = _production_staff_client(make_app, SIMULATOR_NUMBERS=[TEST_NUMBER])
    page = client.get("/console/simulator").get_data(as_text=True)
    assert f'<option value="{TEST_NUMBER}">' in page and 'id="sim-new-number"' not in page
    token = re.search(r'data-csrf="([^"]+)"', page).group(1)
    with app.app_context():
        from gateway.models import Contact
        before = db.session.scalar(select(func.count()).select_from(Contact))
    # A real person's number: refused before anything reaches the USSD endpoint.
    refused = client.post("/console/simulator/hop", data={"csrf_token": token, "sessionId": "s1",
                                                          "phoneNumber": "+22790111222", "text": ""})
    assert refused.status_code == 403
    assert client.get("/console/simulator/inbox?phoneNumber=%2B22790111222").status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Contact)) == before
    answer = hop(client, token, "s2", "", number=TEST_NUMBER)
    assert answer["status"] == 200 and answer["body"].startswith("CON ")


def test_production_without_test_numbers_offers_no_simulator(make_app):
    app, client = _production_staff_client(make_app)
    assert client.get("/console/simulator").status_code == 404
    assert client.post("/console/simulator/hop", data={"sessionId": "s", "phoneNumber": TEST_NUMBER}).status_code \
        in (403, 404)


def test_simulator_numbers_must_be_e164():
    from gateway.config import ConfigError, TestConfig
    assert TestConfig(SIMULATOR_NUMBERS="+22790000999, +22790000998").SIMULATOR_NUMBERS == \
        ["+22790000999", "+22790000998"]
    with pytest.raises(ConfigError, match="SIMULATOR_NUMBERS must be numbers in E.164 form"):
        TestConfig(SIMULATOR_NUMBERS="90000999")


def test_simulator_sessions_never_join_a_provider_session(app, client, login, seeded):
    login("staff")
    token = csrf(client)
    assert hop(client, token, "ATUid_person", "")["status"] == 200
    keys = [k.decode() if isinstance(k, bytes) else k for k in app.extensions["redis"].scan_iter("*ATUid_person*")]
    assert keys and all("simulator-user:" in key for key in keys)
