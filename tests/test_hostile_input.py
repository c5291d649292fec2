"""Hostile input (issue 11, finding 10): every case answers 4xx and stores nothing, on SQLite and
PostgreSQL alike — NUL bytes, numbers too big for any column, JSON nested to the recursion limit,
impossible dates, oversized CSV fields and provider words, and the XLSX row limit counted while
streaming (finding 11)."""
from __future__ import annotations

import io
import json
import re
import time
import zipfile

import pytest
import sqlalchemy.exc
from sqlalchemy import func, select

from gateway.extensions import db
from gateway.models import Campaign, Contact, Message, TicketNote, UssdSession
from gateway.services.inbound import MAX_TEXT
from tests.factories import ContactFactory
from tests.test_imports import upload, xlsx_file

AT = "token=at-callback-token"
AT_INBOUND = {"from": "+22790123456", "to": "38383", "text": "bonjour", "date": "2026-11-26 09:00:00",
              "id": "ATXid_h1", "linkId": "L1", "networkCode": "61402"}
HUGE = str(10 ** 30)
FAR_DATE = "9999-12-31T23:59:59-23:59"


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def at(use_channel, at_settings):
    return use_channel(**at_settings)


# --- NUL bytes -----------------------------------------------------------------------------

@pytest.mark.parametrize("field", sorted(AT_INBOUND))
def test_nul_byte_in_any_inbound_sms_field_is_refused(at, client, field):
    form = {**AT_INBOUND, field: AT_INBOUND[field] + "\x00"}
    response = client.post(f"/sms/africastalking/inbound?{AT}", data=form)
    assert response.status_code == 400, response.data
    assert count(Message) == 0


@pytest.mark.parametrize("path, form", [
    ("/sms/fake/inbound", {"from": "+22790123456", "text": "salut\x00"}),
    ("/sms/fake/inbound", {"from": "+22790123456\x00", "text": "salut"}),
    ("/sms/fake/inbound", {"from": "+22790123456", "text": "salut", "id": "x\x00"}),
    ("/sms/fake/status", {"id": "fake-1", "status": "failed", "reason": "no\x00"}),
])
def test_nul_bytes_on_the_fake_channel(client, path, form):
    response = client.post(path, data=form)
    assert response.status_code == 400
    assert count(Message) == 0


def test_nul_byte_through_the_multipart_path_too(at, client):
    """Not answered on the fast path (multipart): Flask's view refuses it the same way."""
    response = client.post(f"/sms/africastalking/inbound?{AT}", content_type="multipart/form-data",
                           data={**AT_INBOUND, "text": "a\x00b"})
    assert response.status_code == 400
    assert count(Message) == 0


@pytest.mark.parametrize("field", ["id", "status", "failureReason", "phoneNumber", "networkCode"])
def test_nul_byte_in_a_delivery_report_is_refused(at, client, field):
    message = _outbound()
    form = {"id": "ATXid_out1", "status": "Failed", "phoneNumber": "+22790123456", "networkCode": "61402",
            "failureReason": "DeliveryFailure"}
    form[field] += "\x00"
    response = client.post(f"/sms/africastalking/delivery?{AT}", data=form)
    assert response.status_code == 400
    db.session.refresh(message)
    assert message.status == "sent" and message.status_history == []


def test_nul_byte_in_an_opt_out_is_refused(at, client):
    response = client.post(f"/sms/africastalking/optout?{AT}", data={"phoneNumber": "+22790123456\x00"})
    assert response.status_code == 400
    assert count(Contact) == 0


def test_nul_byte_in_a_json_webhook_is_refused(use_channel, client):
    config = {"inbound": {"format": "json", "from": "sender", "text": "message", "id": "id"}}
    use_channel(SMS_PROVIDER="http", HTTP_CALLBACK_TOKEN="t", HTTP_CHANNEL_CONFIG=json.dumps(config))
    response = client.post("/sms/http/inbound?token=t",
                           json={"sender": "+22790123456", "message": "a\u0000b", "id": "g1"})
    assert response.status_code == 400
    assert count(Message) == 0


@pytest.mark.parametrize("field", ["sessionId", "serviceCode", "networkCode", "phoneNumber"])
def test_nul_byte_in_a_ussd_hop_is_refused(client, seeded, app, field):
    """What the person types (`text`) is cleaned instead, so a stray control character does not
    end their session (test_ussd_sessions.py: test_free_text_junk_is_cut_and_stored_once)."""
    form = {"sessionId": "ATUid_n1", "serviceCode": "*384*1010#", "phoneNumber": "+22790111222",
            "networkCode": "99999", "text": "1"}
    form[field] += "\x00"
    response = client.post("/ussd/africastalking", data=form)
    assert response.status_code == 400
    assert count(Contact) == 0
    assert app.extensions["redis"].keys("ussd:session:*") == []


def test_nul_byte_in_a_session_end_is_refused(client):
    response = client.post("/ussd/africastalking/events", data={
        "sessionId": "ATUid_e1", "status": "Success", "phoneNumber": "+22790111222", "errorMessage": "x\x00"})
    assert response.status_code == 400
    assert count(UssdSession) == 0


def test_the_database_refuses_nul_bytes_on_every_backend(app):
    """PostgreSQL refuses NUL in text; SQLite is made to refuse it too, with the same error, so a
    test on either finds what production would do."""
    contact = ContactFactory()
    db.session.add(Message(direction="in", channel="fake", contact_id=contact.id, status="received",
                           provider_status="x\x00y"))
    with pytest.raises(sqlalchemy.exc.DataError):
        db.session.flush()
    db.session.rollback()


# --- Numbers too big for any column ----------------------------------------------------------

@pytest.mark.parametrize("field", ["durationInMillis", "hopsCount"])
@pytest.mark.parametrize("value", ["1e400", "1e30", str(2 ** 31), "-1", "nan", "inf", "12abc"])
def test_ussd_event_numbers_out_of_range_are_refused(client, field, value):
    response = client.post("/ussd/africastalking/events", data={
        "sessionId": "ATUid_big", "status": "Success", "phoneNumber": "+22790111222", field: value})
    assert response.status_code == 400, response.data
    assert field in response.get_data(as_text=True)
    assert count(UssdSession) == 0


def test_ussd_event_numbers_in_range_are_kept(client):
    response = client.post("/ussd/africastalking/events", data={
        "sessionId": "ATUid_ok", "status": "Success", "phoneNumber": "+22790111222",
        "durationInMillis": "12000.0", "hopsCount": "7"})
    assert response.status_code == 200
    row = db.session.scalars(select(UssdSession)).one()
    assert (row.duration_ms, row.hops) == (12000, 7)


@pytest.mark.parametrize("path", ["/api/v1/tickets/{n}", "/api/v1/activities/{n}", "/api/v1/campaigns/{n}",
                                  "/api/v1/activities/{n}/registrations", "/api/v1/campaigns/{n}/preview"])
def test_ids_too_big_for_a_column_are_not_found(api, path):
    response = api.get(path.format(n=HUGE))
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("path", ["/api/v1/tickets/{n}/claim", "/api/v1/tickets/{n}/note",
                                  "/api/v1/campaigns/{n}/send", "/api/v1/campaigns/{n}/test-send"])
def test_ids_too_big_in_actions_are_not_found(api, path):
    assert api.post(path.format(n=HUGE), json={}).status_code == 404


@pytest.mark.parametrize("path, name", [
    ("/api/v1/tickets", "after"), ("/api/v1/tickets", "assignee"), ("/api/v1/tickets", "priority"),
    ("/api/v1/messages", "after"), ("/api/v1/reports", "after"), ("/api/v1/audit", "after"),
    ("/api/v1/activities", "after"), ("/api/v1/campaigns", "after"), ("/api/v1/tickets", "limit"),
])
def test_query_numbers_too_big_are_400(api, path, name):
    response = api.get(f"{path}?{name}={HUGE}")
    assert response.status_code == 400, response.data
    assert name in response.get_json()["error"]["message"]


def test_console_ids_too_big_are_not_found(client, login):
    login("admin")
    assert client.get(f"/console/inbox/{HUGE}").status_code == 404
    assert client.get(f"/console/campaigns/{HUGE}").status_code == 404


@pytest.mark.parametrize("path", ["/api/v1/tickets", "/api/v1/messages", "/api/v1/reports", "/api/v1/audit",
                                  "/api/v1/reports/summary", "/api/v1/exports/reports.csv"])
def test_a_since_beyond_the_calendar_is_400(api, path):
    response = api.get(f"{path}?since={FAR_DATE.replace('+', '%2B')}")
    assert response.status_code == 400, response.data
    assert "since" in response.get_json()["error"]["message"]


def test_a_since_at_the_edge_of_the_calendar_still_works(api):
    assert api.get("/api/v1/messages?since=0001-01-01T00:00:00%2B00:00").status_code == 200
    assert api.get("/api/v1/messages?since=9999-12-30T00:00:00").status_code == 200


# --- JSON nested to the recursion limit ---------------------------------------------------------

def _api_writes(app) -> list[str]:
    paths = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") and {"POST", "PATCH", "PUT"} & rule.methods:
            path = rule.rule
            for arg in rule.arguments:
                path = path.replace(f"<int:{arg}>", "1").replace(f"<any(send, pause, resume, cancel):{arg}>", "send")
            paths.append(path)
    return sorted(paths)


def test_deeply_nested_json_on_every_api_route_is_400(app, api, seeded):
    deep = "[" * 100_000 + "]" * 100_000
    nested_object = '{"a":' * 5000 + "1" + "}" * 5000
    paths = _api_writes(app)
    assert len(paths) >= 15
    for path in paths:
        for body in (deep, nested_object):
            response = api.post(path, data=body, content_type="application/json")
            assert response.status_code in (400, 404), (path, response.status_code, response.data[:200])
            assert response.get_json()["error"]["code"], path
    assert count(Campaign) == 0


def test_json_deeper_than_the_api_allows_but_under_the_recursion_limit(api, seeded):
    """Deep enough to be a weapon against code walking it, shallow enough for Python's parser."""
    body = {"name": "x", "default_language": "fra", "texts": {"fra": "x"},
            "audience": {"adm1": json.loads("[" * 200 + "]" * 200)}}
    response = api.post("/api/v1/campaigns", role="staff", json=body)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_json"


def test_deep_json_on_a_json_webhook_is_400(use_channel, client):
    config = {"inbound": {"format": "json", "from": "sender", "text": "message", "id": "id"}}
    use_channel(SMS_PROVIDER="http", HTTP_CALLBACK_TOKEN="t", HTTP_CHANNEL_CONFIG=json.dumps(config))
    response = client.post("/sms/http/inbound?token=t", data="[" * 100_000 + "]" * 100_000,
                           content_type="application/json")
    assert response.status_code == 400
    assert count(Message) == 0


# --- Provider words and CSV fields too long ---------------------------------------------------------

def _outbound():
    contact = ContactFactory(phone_number="+22790123456")
    message = Message(direction="out", channel="africastalking", contact_id=contact.id, text="hello",
                      status="sent", provider_id="ATXid_out1")
    db.session.add(message)
    db.session.commit()
    return message


@pytest.mark.parametrize("field", ["status", "failureReason"])
def test_delivery_report_words_over_40_characters_are_refused(at, client, field):
    message = _outbound()
    form = {"id": "ATXid_out1", "status": "Failed", "failureReason": "DeliveryFailure"}
    form[field] = "W" * 41
    response = client.post(f"/sms/africastalking/delivery?{AT}", data=form)
    assert response.status_code == 400, response.data
    db.session.refresh(message)
    assert message.status == "sent" and message.status_history == []


def test_a_long_twilio_error_message_is_refused(use_channel, twilio_settings, client):
    from tests.test_channels_twilio import PUBLIC
    from twilio.request_validator import RequestValidator
    use_channel(**twilio_settings)
    message = _outbound()
    form = {"MessageSid": "ATXid_out1", "MessageStatus": "failed", "ErrorCode": "30003", "ErrorMessage": "E" * 300}
    signature = RequestValidator(twilio_settings["TWILIO_AUTH_TOKEN"]).compute_signature(
        PUBLIC + "/sms/twilio/status", form)
    response = client.post("/sms/twilio/status", data=form, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 400
    db.session.refresh(message)
    assert message.status_history == []


def test_a_csv_field_over_128_kb_is_400(api, seeded):
    data = ("phone,name\n+22790700001," + "a" * (200 * 1024) + "\n").encode()
    response = upload(api, data)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_file"
    assert count(Contact) == 0


def test_a_long_inbound_text_is_truncated_not_refused(at, client):
    response = client.post(f"/sms/africastalking/inbound?{AT}", data={**AT_INBOUND, "text": "a" * (MAX_TEXT + 50)})
    assert response.status_code == 200
    assert len(db.session.scalars(select(Message)).one().text) == MAX_TEXT


# --- Campaigns and notes ------------------------------------------------------------------------

CAMPAIGN = {"name": "Paix", "default_language": "fra", "texts": {"fra": "Dialogue samedi."}, "audience": {}}


@pytest.mark.parametrize("change", [{"texts": {"fra": "Dialogue\x00 samedi."}}, {"name": "P\x00aix"},
                                    {"texts": {"fra": "ok", "hau": "a\x00"}}])
def test_campaign_text_with_nul_is_refused(api, seeded, change):
    response = api.post("/api/v1/campaigns", role="staff", json={**CAMPAIGN, **change})
    assert response.status_code == 400
    assert count(Campaign) == 0


def test_campaign_preview_and_test_send_with_nul_are_refused(api, seeded):
    body = {**CAMPAIGN, "texts": {"fra": "a\x00b"}}
    assert api.post("/api/v1/campaigns/preview", role="staff", json=body).status_code == 400
    assert api.post("/api/v1/campaigns/transliterate", role="staff", json={"text": "a\x00b"}).status_code == 400


def test_a_ticket_note_with_nul_is_refused(api, app):
    from gateway.services.ticket_intake import open_ticket
    contact = ContactFactory()
    ticket = open_ticket("feedback", contact_id=contact.id, summary="x")
    db.session.commit()
    response = api.post(f"/api/v1/tickets/{ticket.id}/note", role="operator",
                        json={"text": "la victime habite chez son oncle\x00"})
    assert response.status_code == 400
    assert count(TicketNote) == 0


# --- USSD session statuses ---------------------------------------------------------------------

@pytest.mark.parametrize("status", ["x" * 21, "Suc;cess", "<script>", "Incomplete\nFailed"])
def test_arbitrary_session_statuses_are_refused(client, status):
    response = client.post("/ussd/africastalking/events", data={
        "sessionId": "ATUid_st", "status": status, "phoneNumber": "+22790111222"})
    assert response.status_code == 400
    assert count(UssdSession) == 0


def test_an_unknown_session_status_word_is_kept_verbatim(client):
    response = client.post("/ussd/africastalking/events", data={
        "sessionId": "ATUid_st2", "status": "Timeout", "phoneNumber": "+22790111222"})
    assert response.status_code == 200
    assert db.session.scalars(select(UssdSession.status)).one() == "timeout"


def test_the_database_refuses_a_session_status_longer_than_its_column(app):
    db.session.add(UssdSession(session_id="s-long", channel="africastalking", status="x" * 25))
    with pytest.raises((sqlalchemy.exc.DataError, sqlalchemy.exc.IntegrityError)):
        db.session.flush()
    db.session.rollback()


# --- XLSX row limit while streaming (finding 11) ---------------------------------------------------

def _xlsx_with_rows_then_garbage(rows: int) -> bytes:
    """A workbook of `rows` data rows whose sheet turns into broken XML thousands of rows later:
    an import that reads the whole sheet before counting fails on the garbage (or takes the
    whole file's time); one that counts while streaming stops at the limit first."""
    base = zipfile.ZipFile(io.BytesIO(xlsx_file([["phone"], ["+22790700001"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in base.infolist():
            data = base.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                head, _, _ = data.decode().partition("<sheetData>")
                head = re.sub(r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="A1:A{rows + 1}"/>', head)
                body = "".join(f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>+2279{i:07d}</t></is></c></row>'
                               for i in range(2, rows + 2))
                data = (head + '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>phone</t></is></c></row>'
                        + body + "<row <<< not xml").encode()
            target.writestr(item, data)
    return out.getvalue()


def test_xlsx_row_limit_is_counted_while_streaming(api, seeded):
    data = _xlsx_with_rows_then_garbage(60_000)
    started = time.perf_counter()
    response = upload(api, data, filename="big.xlsx")
    elapsed = time.perf_counter() - started
    assert response.status_code == 400
    assert "at most 50000 rows" in response.get_json()["error"]["message"]
    assert count(Contact) == 0
    assert elapsed < 30


def test_a_console_note_with_nul_is_refused(client, login):
    from gateway.services.ticket_intake import open_ticket
    from tests.conftest import csrf
    login("operator")
    contact = ContactFactory()
    ticket = open_ticket("feedback", contact_id=contact.id, summary="x")
    db.session.commit()
    response = client.post(f"/console/inbox/{ticket.id}/note",
                           data={"text": "chez son oncle\x00", "csrf_token": csrf(client)})
    assert response.status_code == 400
    assert count(TicketNote) == 0
