"""The generic HTTP channel: configuration, canned callbacks, and the two worked examples of
docs/http-channel.md (Android SMS gateway app, local aggregator) against the local fake gateway."""
from __future__ import annotations

import base64
import json

import pytest
from sqlalchemy import select

import handlers
from gateway.config import ConfigError
from gateway.extensions import db
from gateway.models import Message
from gateway.services.messaging import queue_sms
from handlers.base import FinalSendError, OutboundSMS, RetryableSendError
from handlers.http import dig, fill, parse_config
from tests.factories import ContactFactory
from tests.fakes.harness import Case, check, post

TOKEN = "token=http-callback-token"


def android_config(url: str) -> dict:
    """Worked example 1 of docs/http-channel.md, pointed at the fake gateway."""
    return {
        "send": {"url": f"{url}/message", "method": "POST", "format": "json", "basic_auth": ["sms", "pw"],
                 "body": {"textMessage": {"text": "{text}"}, "phoneNumbers": ["{to}"]},
                 "success_status": [200, 201, 202], "id_field": "id"},
        "inbound": {"format": "json", "when": {"event": "sms:received"}, "from": "payload.phoneNumber",
                    "text": "payload.message", "id": "payload.messageId"},
        "status": {"format": "json", "id": "payload.messageId", "status": "event", "error": "payload.reason",
                   "map": {"sms:sent": "sent", "sms:delivered": "delivered", "sms:failed": "failed"}},
    }


def aggregator_config(url: str) -> dict:
    """Worked example 2 of docs/http-channel.md, pointed at the fake gateway."""
    return {
        "send": {"url": f"{url}/v1/sms", "method": "POST", "format": "form",
                 "headers": {"X-Api-Key": "agg-key"}, "from": "MURYA",
                 "body": {"sender": "{from}", "msisdn": "{to}", "message": "{text}", "ref": "{id}",
                          "dlr_url": "https://murya.example.org/sms/http/status?token=SECRET"},
                 "success_status": [200]},
        "inbound": {"format": "form", "from": "msisdn", "text": "message", "id": "smsId", "to": "shortcode"},
        "status": {"format": "form", "id": "ref", "status": "state", "error": "err",
                   "map": {"ACCEPTD": "sent", "DELIVRD": "delivered", "UNDELIV": "failed",
                           "REJECTD": "failed", "EXPIRED": "failed"}},
    }


def test_docs_examples_are_the_tested_ones():
    """The JSON blocks in the docs parse, and are the configurations tested here."""
    import re
    from pathlib import Path
    text = (Path(__file__).resolve().parent.parent / "docs" / "http-channel.md").read_text()
    blocks = [json.loads(b) for b in re.findall(r"```json\n(.*?)```", text, re.S)[1:]]
    assert len(blocks) == 2
    for block in blocks:
        parse_config(block)
    assert blocks[0]["inbound"] == android_config("x")["inbound"]
    assert blocks[1]["status"] == aggregator_config("x")["status"]


@pytest.mark.parametrize("raw,problem", [
    ("{not json", "not valid JSON"),
    ("[1]", "must be a JSON object"),
    ('{"sending": {}}', "unknown section"),
    ('{"send": {"url": "ftp://x"}}', "send.url"),
    ('{"send": {"url": "http://x", "method": "DELETE"}}', "send.method"),
    ('{"send": {"url": "http://x", "format": "xml"}}', "send.format"),
    ('{"inbound": {"format": "xml"}}', "inbound.format"),
    ('{"status": {"map": {"ok": "great"}}}', "status.map"),
])
def test_invalid_configuration_is_refused(raw, problem):
    with pytest.raises(ConfigError, match=problem):
        parse_config(raw)


def test_placeholders_are_filled_once():
    assert fill({"a": ["{to}"], "b": "x{text}y"}, {"to": "+227", "text": "{to}"}) == {"a": ["+227"], "b": "x{to}y"}
    assert dig({"a": {"b": [{"c": 1}]}}, "a.b.0.c") == 1 and dig({"a": 1}, "a.b") is None


@pytest.fixture
def default_http(use_channel):
    return use_channel(HTTP_CALLBACK_TOKEN="http-callback-token", HTTP_CHANNEL_CONFIG=None)


DEFAULT_INBOUND = [
    Case("valid", "from=%2B22790123456&text=Bonjour&id=gw-1", 200, stored=1, text="Bonjour", provider_id="gw-1"),
    Case("duplicate", "from=%2B22790123456&text=Bonjour&id=gw-1", 200, stored=1, repeat=3),
    Case("no token", "from=%2B22790123456&text=Bonjour&id=gw-1", 403, query=None),
    Case("wrong token", "from=%2B22790123456&text=Bonjour&id=gw-1", 403, query="token=at-callback-token"),
    Case("no id", "from=%2B22790123456&text=Bonjour", 400),
    Case("no sender", "text=Bonjour&id=gw-2", 400),
    Case("no text", "from=%2B22790123456&id=gw-3", 400),
    Case("bad sender", "from=12&text=x&id=gw-4", 400),
]


@pytest.mark.parametrize("case", DEFAULT_INBOUND, ids=str)
def test_default_mapping_canned_requests(default_http, client, case):
    check(post(client, "/sms/http/inbound", case, TOKEN), case)


# --- worked example 1: Android SMS gateway app ---------------------------------------------------

@pytest.fixture
def android(use_channel, fake_http):
    fake_http.expect_headers = {"authorization": "Basic " + base64.b64encode(b"sms:pw").decode()}
    return use_channel(SMS_PROVIDER="http", HTTP_CALLBACK_TOKEN="http-callback-token",
                       HTTP_CHANNEL_CONFIG=json.dumps(android_config(fake_http.url)))


def _json_case(label, payload, status, **kw):
    return Case(label, json.dumps(payload), status, content_type="application/json", **kw)


RECEIVED = {"event": "sms:received", "id": "evt1", "deviceId": "dev1", "webhookId": "wh1",
            "payload": {"messageId": "abc123", "message": "RAHOTO an sace shanu", "phoneNumber": "+22796123456",
                        "simNumber": 1, "receivedAt": "2026-11-26T10:00:00.000+01:00"}}
ANDROID_INBOUND = [
    _json_case("sms:received", RECEIVED, 200, stored=1, text="RAHOTO an sace shanu", provider_id="abc123"),
    _json_case("redelivered webhook", RECEIVED, 200, stored=1, repeat=2),
    _json_case("another event on the inbound URL is ignored", {**RECEIVED, "event": "sms:sent"}, 200, stored=0),
    _json_case("missing payload", {"event": "sms:received"}, 400),
    Case("not JSON", "event=sms:received", 400, content_type="application/json"),
    _json_case("JSON list", [RECEIVED], 400),
    _json_case("no token", RECEIVED, 403, query=None),
]


@pytest.mark.parametrize("case", ANDROID_INBOUND, ids=str)
def test_android_inbound(android, client, case):
    check(post(client, "/sms/http/inbound", case, TOKEN), case)


def test_android_send_and_delivery(android, fake_http, client, drain):
    contact = ContactFactory(phone_number="+22796000001")
    message = queue_sms(contact, "Sannu da zuwa")
    drain()
    db.session.refresh(message)
    assert message.status == "sent" and fake_http.received == [("+22796000001", "Sannu da zuwa", 1)]
    assert fake_http.requests[0]["payload"] == {"textMessage": {"text": "Sannu da zuwa"},
                                                "phoneNumbers": ["+22796000001"]}
    for event in ("sms:delivered", "sms:sent"):   # out of order
        body = {"event": event, "payload": {"messageId": message.provider_id, "phoneNumber": "+22796000001"}}
        assert client.post(f"/sms/http/status?{TOKEN}", json=body).status_code == 200
    db.session.refresh(message)
    assert message.status == "delivered" and message.provider_status == "sms:delivered"


def test_android_failed_report(android, fake_http, client):
    contact = ContactFactory()
    message = Message(direction="out", channel="http", provider_id="m1", contact_id=contact.id, text="x",
                      status="sent", status_history=[])
    db.session.add(message)
    db.session.commit()
    body = {"event": "sms:failed", "payload": {"messageId": "m1", "reason": "RESULT_ERROR_NO_SERVICE"}}
    assert client.post(f"/sms/http/status?{TOKEN}", json=body).status_code == 200
    db.session.refresh(message)
    assert message.status == "failed" and message.failure_reason == "RESULT_ERROR_NO_SERVICE"


def test_android_wrong_password_is_final(use_channel, fake_http):
    fake_http.expect_headers = {"authorization": "Basic nope"}
    use_channel(HTTP_CHANNEL_CONFIG=json.dumps(android_config(fake_http.url)))
    [result] = handlers.get_channel("http").send_batch("x", [OutboundSMS(1, "+22796000001")])
    assert isinstance(result.error, FinalSendError) and result.error.code == "http_401"


@pytest.mark.parametrize("failure", [500, 503, 429, "timeout", "drop"])
def test_android_unreachable_is_retryable(use_channel, fake_http, failure):
    config = android_config(fake_http.url)
    config["send"]["timeout"] = 0.3
    fake_http.hang_seconds = 1
    use_channel(HTTP_CHANNEL_CONFIG=json.dumps(config))
    fake_http.fail_next(1, failure)
    with pytest.raises(RetryableSendError):
        handlers.get_channel("http").send_batch("x", [OutboundSMS(1, "+22796000001")])


# --- worked example 2: local aggregator ------------------------------------------------------------

@pytest.fixture
def aggregator(use_channel, fake_http):
    fake_http.expect_headers = {"x-api-key": "agg-key"}
    fake_http.response = lambda numbers, text, n: (200, {"status": "ACCEPTED"})
    return use_channel(SMS_PROVIDER="http", HTTP_CALLBACK_TOKEN="http-callback-token",
                       HTTP_CHANNEL_CONFIG=json.dumps(aggregator_config(fake_http.url)))


AGGREGATOR_INBOUND = [
    Case("mo", "msisdn=%2B22790123456&message=SIGNALER+attaque&smsId=77&shortcode=38383", 200, stored=1,
         text="SIGNALER attaque", provider_id="77", extra={"to": "38383"}),
    Case("mo twice", "msisdn=%2B22790123456&message=x&smsId=78", 200, stored=1, repeat=2),
    Case("mo without smsId", "msisdn=%2B22790123456&message=x", 400),
]


@pytest.mark.parametrize("case", AGGREGATOR_INBOUND, ids=str)
def test_aggregator_inbound(aggregator, client, case):
    check(post(client, "/sms/http/inbound", case, TOKEN), case)


def test_aggregator_send_and_dlr_by_our_reference(aggregator, fake_http, client, drain):
    contact = ContactFactory(phone_number="+22790000301")
    message = queue_sms(contact, "Merci")
    drain()
    db.session.refresh(message)
    assert message.status == "sent" and message.provider_id == str(message.id)
    sent = fake_http.requests[0]["payload"]
    assert sent["ref"] == str(message.id) and sent["sender"] == "MURYA" and sent["msisdn"] == "+22790000301"
    for state in ("DELIVRD", "ACCEPTD"):
        client.post(f"/sms/http/status?{TOKEN}", data={"ref": str(message.id), "state": state})
    db.session.refresh(message)
    assert message.status == "delivered"


def test_aggregator_refusal_is_final(aggregator, fake_http):
    fake_http.fail_number("+22790000302", 400)
    results = handlers.get_channel("http").send_batch(
        "x", [OutboundSMS(1, "+22790000302"), OutboundSMS(2, "+22790000303")])
    assert [r.accepted for r in results] == [False, True]
    assert not results[0].error.retryable


def test_status_unknown_word_kept_verbatim(aggregator, client):
    contact = ContactFactory()
    db.session.add(Message(direction="out", channel="http", provider_id="9", contact_id=contact.id, text="x",
                           status="sent", status_history=[]))
    db.session.commit()
    assert client.post(f"/sms/http/status?{TOKEN}", data={"ref": "9", "state": "ENROUTE"}).status_code == 200
    message = db.session.scalar(select(Message).where(Message.provider_id == "9"))
    assert message.provider_status == "ENROUTE" and message.status == "sent"
    assert client.post(f"/sms/http/status?{TOKEN}", data={"state": "DELIVRD"}).status_code == 400
