"""Logs: one structured format, and a whole run's log lines carry no number, no text, no secret.

The run goes through every path that handles what people say (a USSD report, an inbound SMS and
its ticket, a campaign, the console's pages and a note), and forces a database error whose
statement carries a note's text (a NUL character the database refuses)."""
from __future__ import annotations

import io
import logging

import pytest
from sqlalchemy import select
from sqlalchemy.exc import StatementError

from gateway.extensions import db
from gateway.logs import StructuredFormatter
from gateway.models import Ticket, User
from gateway.services import inbox
from tests.conftest import csrf
from tests.factories import ContactFactory
from tests.test_ussd_journeys import report_until_confirm
from tests.ussd_tester import ussd  # noqa: F401 - fixture

USSD_TEXT = "Les bandits de Mamane brulent les greniers"
SMS_TEXT = "Des hommes armes ont attaque le marche, Aicha Garba est blessee"
CAMPAIGN_TEXT = "Rencontre de paix chez Oumarou Tchangari samedi"
NOTE_TEXT = "la victime Aicha habite chez son oncle Moussa"
SEARCH_WORD = "greniers"
SMS_NUMBER = "+22790555771"
CAMPAIGN_NUMBER = "+22790555772"
SECRETS = (USSD_TEXT, SMS_TEXT, CAMPAIGN_TEXT, NOTE_TEXT, "Mamane", "Tchangari", "Moussa", SEARCH_WORD,
           "test-data-key", "test-secret-key")


@pytest.fixture
def captured():
    """Every log record of the test, as the app's one formatter writes it (DEBUG and up)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(StructuredFormatter())
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    engine = logging.getLogger("sqlalchemy.engine")
    levels = root.level, engine.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    engine.setLevel(logging.INFO)          # every statement, as `echo=True` would log it
    yield stream
    root.removeHandler(handler)
    root.setLevel(levels[0])
    engine.setLevel(levels[1])


def _numbers(phone: str) -> tuple[str, ...]:
    return phone, phone[1:], phone[4:]          # +227…, 227…, the 8 national digits


def test_structured_lines_carry_fields_and_tracebacks_on_one_line(captured):
    log = logging.getLogger("gateway.test")
    log.info("campaign %s completed", 7, extra={"campaign_id": 7, "note": "two words"})
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("it failed")
    lines = captured.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("ts=") and ' level=info logger=gateway.test msg="campaign 7 completed"' in lines[0]
    assert "campaign_id=7" in lines[0] and 'note="two words"' in lines[0]
    assert "level=error" in lines[1] and 'exc="Traceback' in lines[1] and "ValueError: boom" in lines[1]


def test_a_refused_statement_never_quotes_its_values(app, seeded):
    """hide_parameters: the error of a statement the database refuses names no bound value."""
    from tests.inbox_support import flagged_ticket
    ticket = flagged_ticket(number="+22790555779")
    user = User(email="op@example.org", name="Op", role="operator")
    user.set_password("correct horse")
    db.session.add(user)
    db.session.commit()
    with pytest.raises(StatementError) as refused:
        inbox.add_note(ticket, user, "user:1", NOTE_TEXT + "\x00")
    db.session.rollback()
    assert "Moussa" not in str(refused.value) and "Moussa" not in repr(refused.value)


def test_a_whole_run_logs_no_number_no_text_and_no_secret(app, client, seeded, drain, ussd, api, login,
                                                          captured):
    # A USSD report with free text, then an anonymous one.
    phone = report_until_confirm(ussd("fra"), "fra", details=USSD_TEXT)
    phone.send("1")
    anonymous = report_until_confirm(ussd("fra"), "fra", details=USSD_TEXT + " encore", anonymous=True)
    anonymous.send("1")
    drain()
    # An inbound SMS the rules flag into a ticket.
    response = client.post("/sms/fake/inbound", data={"from": SMS_NUMBER, "text": SMS_TEXT, "id": "log-run-1"})
    assert response.status_code == 200
    drain()
    # A campaign to one person.
    ContactFactory(phone_number=CAMPAIGN_NUMBER, language="fra", adm1_pcode="NE002")
    created = api.post("/api/v1/campaigns", role="staff", json={
        "name": "Paix", "default_language": "fra", "texts": {"fra": CAMPAIGN_TEXT}, "audience": {"adm1": ["NER002"]}})
    assert created.status_code == 201, created.json
    assert api.post(f"/api/v1/campaigns/{created.json['id']}/send", role="staff").status_code == 200
    drain()
    # The console: pages, a search, a note, and a note the database refuses.
    login("admin", sensitive=True)
    ticket = db.session.scalars(select(Ticket).order_by(Ticket.id.desc())).first()
    assert ticket is not None
    for page in ("/console/", "/console/inbox", f"/console/inbox/{ticket.id}", f"/console/messages?q={SEARCH_WORD}",
                 "/console/reports", "/console/contacts", "/console/admin/audit"):
        assert client.get(page).status_code == 200, page
    token = csrf(client)
    client.post(f"/console/inbox/{ticket.id}/note", data={"text": NOTE_TEXT, "csrf_token": token})
    client.post(f"/console/inbox/{ticket.id}/note", data={"text": NOTE_TEXT + "\x00", "csrf_token": token})
    user = db.session.scalars(select(User)).first()
    try:
        inbox.add_note(db.session.get(Ticket, ticket.id), user, "user:1", NOTE_TEXT + "\x00")
    except StatementError:
        logging.getLogger("gateway.test").exception("the note was refused")
    db.session.rollback()

    output = captured.getvalue()
    assert "the note was refused" in output and "INSERT INTO ticket_notes" in output   # the run was captured
    assert all(line.startswith("ts=") for line in output.splitlines() if line and not line.startswith(" "))
    for secret in SECRETS + _numbers(phone.phone) + _numbers(SMS_NUMBER) + _numbers(CAMPAIGN_NUMBER):
        assert secret not in output, secret
