"""Need to know (gateway/services/visibility.py), tried on every route with every role.

A person asks to be called back, then writes about gender-based violence (GBV) and gets a reply
from the hotline; a GBV report and an ordinary report arrive; operators add notes. Then every
GET route of the API and the console — found in the URL map, so a new route is tried without
being listed — is requested by each role, with and without the sensitive-category clearance,
for every object of the data set, and the answer is searched for what that caller may not see.

Issue 11, finding 1: an uncleared operator got 404 on the GBV ticket but read the GBV message
in the thread of the same person's call-back ticket, and `/api/v1/messages` showed the `gbv`
label to viewers and operators.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from gateway.extensions import db
from gateway.models import Activity, Campaign, CannedReply, Message, Ticket, TicketNote, User
from gateway.services import contacts, inbox
from gateway.services.reports import ReportDraft, create_report
from gateway.services.ticket_intake import open_ticket
from gateway.services.visibility import Viewer
from tests.conftest import IsolatedClient, csrf

SECRET = "SECRET-"     # in every text only the cleared may read
PLAIN = "PLAIN-"       # in every text operators and up may read, viewers not
GBV_NAME = "Violence basée sur le genre"
NUMBER = "+22790111001"

# (role, cleared) of every kind of caller: administrators are always cleared.
CALLERS = [("viewer", False), ("viewer", True), ("operator", False), ("operator", True),
           ("staff", False), ("staff", True), ("admin", True)]


@pytest.fixture
def data(app, seeded, clock):
    """The data set of the module's docstring; returns the ids and references routes take."""
    person, _ = contacts.get_or_create(NUMBER, channel="fake", language="fra")
    callback = open_ticket("callback", contact_id=person.id, summary="rappel", language="fra")
    db.session.commit()
    clock.shift(60)
    gbv_message = Message(direction="in", channel="fake", contact_id=person.id, status="received",
                          text=f"{SECRET}GBV-MESSAGE il m'a violee", language="fra", labels=["gbv"], flagged=True)
    db.session.add(gbv_message)
    db.session.flush()
    gbv_ticket = open_ticket("flagged_message", contact_id=person.id, message=gbv_message, priority=1,
                             labels=["gbv"], category_code="gbv", language="fra", summary=f"{SECRET}SUMMARY gbv")
    db.session.commit()
    clock.shift(60)
    admin = User(email="hotline@example.org", role="admin", sensitive_access=True, password_hash="!")
    db.session.add(admin)
    db.session.commit()
    inbox.reply(gbv_ticket, admin, "user:admin", text=f"{SECRET}GBV-REPLY nous vous appelons")
    inbox.add_note(gbv_ticket, admin, "user:admin", f"{SECRET}GBV-NOTE")
    clock.shift(60)
    plain_message = Message(direction="in", channel="fake", contact_id=None, status="received",
                            text=f"{PLAIN}MESSAGE on se bat au marche", language="fra", labels=["fight"], flagged=True)
    db.session.add(plain_message)
    db.session.flush()
    plain_ticket = open_ticket("flagged_message", message=plain_message, labels=["fight"], language="fra",
                               summary=f"{PLAIN}SUMMARY")
    db.session.commit()
    inbox.add_note(plain_ticket, admin, "user:admin", f"{PLAIN}NOTE")
    gbv_report, _ = create_report(ReportDraft(category_code="gbv", channel="ussd", language="fra",
                                              adm1_pcode="NE002", urgency=3, text=f"{SECRET}GBV-REPORT"), person)
    plain_report, _ = create_report(ReportDraft(category_code="attack", channel="ussd", language="fra",
                                                adm1_pcode="NE002", urgency=3, text=f"{PLAIN}REPORT"), person)
    db.session.add(CannedReply(name="merci", texts={"fra": "Merci"}))
    campaign = Campaign(name="Paix", texts={"fra": "Bonjour"}, default_language="fra", audience={}, created_by="test")
    db.session.add(campaign)
    db.session.commit()
    tickets = {t.report_id: t.id for t in db.session.scalars(select(Ticket).where(Ticket.report_id.is_not(None)))}
    return {
        "secret_refs": [gbv_report.reference],
        "params": {
            "ticket_id": [callback.id, gbv_ticket.id, plain_ticket.id, tickets[gbv_report.id], tickets[plain_report.id]],
            "reference": [gbv_report.reference, plain_report.reference],
            "activity_id": [db.session.scalar(select(Activity.id))],
            "campaign_id": [campaign.id],
            "filename": ["console.js"],
            "contact_id": [person.id],
            "token": ["no-such-preview"],
        },
        "sensitive_tickets": [gbv_ticket.id, tickets[gbv_report.id]],
        "callback": callback.id, "gbv_message": gbv_message.id,
    }


# Query strings tried besides each route's bare URL.
EXTRA = ["/api/v1/exports/reports.csv?text=1", "/api/v1/messages?direction=in", "/api/v1/tickets?status=active",
         "/api/v1/reports?category=gbv", "/api/v1/reports/summary?category=gbv", "/console/inbox?status=",
         "/console/reports?category=gbv", "/console/reports/charts?category=gbv", "/console/messages?q=SECRET",
         "/console/messages?q=marche", "/console/messages?flagged=1", "/console/inbox?q=SECRET",
         "/console/admin/audit?object_type=ticket", "/console/simulator/inbox?phoneNumber="
         + NUMBER]
# Routes no signed-in caller reads data from (the webhooks are POST only).
SKIP = {"/console/login", "/static/<path:filename>"}


def urls(app, data) -> list[str]:
    """Every GET URL of the API and the console, once per value of each of its parameters."""
    found = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule in SKIP:
            continue
        names = list(rule.arguments)
        unknown = [n for n in names if n not in data["params"]]
        assert not unknown, f"{rule.rule}: give test values for {unknown} in data()['params']"
        variants = [{}]
        for name in names:
            variants = [{**v, name: value} for v in variants for value in data["params"][name]]
        for values in variants:
            url = rule.rule
            for name, value in values.items():
                url = re.sub(rf"<(?:[^:>]+:)?{name}>", str(value), url)
            found.append(url)
    return sorted(set(found)) + EXTRA


def signed_in(app, role: str, cleared: bool) -> IsolatedClient:
    """A console client signed in as a new user of `role`."""
    email = f"{role}-{int(cleared)}@example.org"
    user = User(email=email, name=role, role=role, sensitive_access=cleared)
    user.set_password("correct horse battery")
    db.session.add(user)
    db.session.commit()
    app.test_client_class = IsolatedClient
    client = app.test_client()
    response = client.post("/console/login", data={"email": email, "password": "correct horse battery",
                                                  "csrf_token": csrf(client)})
    assert response.status_code == 302
    return client


def leaks(url: str, body: str, viewer: Viewer, data) -> list[str]:
    """What the answer to `url` shows that `viewer` may not see (a reference the caller typed
    in the URL may come back in a link of the page: that tells them nothing)."""
    found = []
    if not viewer.cleared:
        refs = [ref for ref in data["secret_refs"] if ref not in url]
        found += [m for m in (SECRET, GBV_NAME, '"gbv"', *refs) if m in body]
    if not viewer.reads_text:
        found += [m for m in (SECRET, PLAIN) if m in body]
    if not viewer.sees_numbers:
        found += [m for m in (NUMBER, NUMBER[4:]) if m in body and m not in url]
    return found


@pytest.mark.parametrize("role,cleared", CALLERS)
def test_every_get_route_shows_each_caller_only_what_they_may_see(app, client, api, data, role, cleared):
    viewer = Viewer(role, cleared=cleared or role == "admin")
    console = signed_in(app, role, cleared)
    seen = {"secret": False, "plain": False}
    for url in urls(app, data):
        if url.startswith("/api/"):
            response = api.get(url, role=role, sensitive=cleared)
        else:
            response = console.get(url)
        body = response.get_data(as_text=True)
        response.close()
        assert response.status_code < 500, url
        assert not leaks(url, body, viewer, data), (url, leaks(url, body, viewer, data))
        seen["secret"] |= SECRET in body
        seen["plain"] |= PLAIN in body
    # The test is no test if nobody ever sees anything: the cleared read the secret texts, and
    # every role that reads text reads the plain ones.
    assert seen["secret"] == (viewer.cleared and viewer.reads_text)
    assert seen["plain"] == viewer.reads_text


@pytest.mark.parametrize("role", ["operator", "staff"])
def test_the_call_back_ticket_thread_hides_the_gbv_message_from_the_uncleared(app, api, data, role):
    # Finding 1 exactly: 404 on the GBV ticket, but its message through the call-back ticket.
    callback = data["callback"]
    assert api.get(f"/api/v1/tickets/{data['sensitive_tickets'][0]}", role=role).status_code == 404
    uncleared = api.get(f"/api/v1/tickets/{callback}", role=role).get_json()
    assert data["gbv_message"] not in [m["id"] for m in uncleared["messages"]] and SECRET not in str(uncleared)
    page = signed_in(app, role, False).get(f"/console/inbox/{callback}").get_data(as_text=True)
    assert SECRET not in page and "[no text]" not in page
    cleared = api.get(f"/api/v1/tickets/{callback}", role=role, sensitive=True).get_json()
    assert data["gbv_message"] in [m["id"] for m in cleared["messages"]]
    assert {f"{SECRET}GBV-MESSAGE il m'a violee", f"{SECRET}GBV-REPLY nous vous appelons"} <= {
        m["text"] for m in cleared["messages"]}


API_ACTIONS = {"claim": {}, "release": {}, "triage": {"severity": 2}, "note": {"text": "x"},
               "reply": {"text": "x"}, "refer": {"partner_id": 1}, "close": {}}


def test_no_action_reaches_a_sensitive_ticket_without_clearance(app, api, data):
    console = signed_in(app, "operator", False)
    token = csrf(console)
    notes = db.session.query(TicketNote).count()
    for ticket_id in data["sensitive_tickets"]:
        for action, body in API_ACTIONS.items():
            assert api.post(f"/api/v1/tickets/{ticket_id}/{action}", role="operator", json=body).status_code == 404
            response = console.post(f"/console/inbox/{ticket_id}/{action}", data={"csrf_token": token, **body})
            assert response.status_code == 404, action
        assert console.post(f"/console/inbox/{ticket_id}/reveal", data={"csrf_token": token}).status_code == 404
    assert db.session.query(TicketNote).count() == notes
    assert all(t.assignee_id is None for t in db.session.scalars(select(Ticket)))
