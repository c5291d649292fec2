"""Twilio SMS: signed webhooks (canned requests), status callbacks out of order, sending through
the official SDK against the local fake of the Messages API."""
from __future__ import annotations

from urllib.parse import parse_qsl

import pytest
from twilio.request_validator import RequestValidator

import handlers
from gateway.extensions import db
from gateway.models import Contact, Message
from gateway.services.messaging import queue_sms
from handlers.base import FinalSendError, OutboundSMS, RetryableSendError
from tests.factories import ContactFactory
from tests.fakes.fixtures import TWILIO_SETTINGS
from tests.fakes.harness import Case, check, post

SID = TWILIO_SETTINGS["TWILIO_ACCOUNT_SID"]
PUBLIC = TWILIO_SETTINGS["PUBLIC_BASE_URL"]
VALID = (f"ToCountry=NE&ToState=&SmsMessageSid=SM0001&NumMedia=0&ToCity=&FromZip=&SmsSid=SM0001"
         f"&FromState=&SmsStatus=received&FromCity=&Body=ARRET&FromCountry=NE&To=%2B15005550006"
         f"&ToZip=&NumSegments=1&MessageSid=SM0001&AccountSid={SID}&From=%2B22790123456&ApiVersion=2010-04-01")


def test_signature_test_vector_from_the_docs():
    params = {"CallSid": "CA1234567890ABCDE", "Caller": "+14158675310", "Digits": "1234",
              "From": "+14158675310", "To": "+18005551212"}
    url = "https://example.com/myapp.php?foo=1&bar=2"
    validator = RequestValidator("12345")
    assert validator.compute_signature(url, params) == "L/OH5YylLD5NRKLltdqwSvS0BnU="
    assert validator.validate(url, params, "L/OH5YylLD5NRKLltdqwSvS0BnU=")


def signer(url: str, case: Case) -> dict:
    """Sign as Twilio would: over the public URL it called (the app sits behind a TLS proxy)."""
    params = dict(parse_qsl(case.body if isinstance(case.body, str) else "", keep_blank_values=True))
    token = TWILIO_SETTINGS["TWILIO_AUTH_TOKEN"]
    public_url = PUBLIC + url
    if case.sign == "forged":
        token = "not-the-token"
    if case.sign == "wrong-url":
        public_url = "http://localhost" + url     # what the app sees behind the proxy
    if case.sign == "tampered":
        params["Body"] = "something else"
    return {"X-Twilio-Signature": RequestValidator(token).compute_signature(public_url, params)}


INBOUND = [
    Case("valid", VALID, 200, stored=1, text="ARRET", provider_id="SM0001", sign="valid",
         response_has="<Response", extra={"NumSegments": "1", "FromCountry": "NE"}),
    Case("duplicate delivery", VALID, 200, stored=1, sign="valid", repeat=2),
    Case("missing signature", VALID, 403),
    Case("forged signature", VALID, 403, sign="forged"),
    Case("signed for the internal URL", VALID, 403, sign="wrong-url"),
    Case("body changed after signing", VALID, 403, sign="tampered"),
    Case("signed, query string kept", VALID, 200, stored=1, sign="valid", query="source=ne"),
    Case("signed but no MessageSid", "From=%2B22790123456&Body=hi", 400, sign="valid"),
    Case("signed but no From", "MessageSid=SM2&Body=hi", 400, sign="valid"),
    Case("signed but no Body", "MessageSid=SM3&From=%2B22790123456", 400, sign="valid"),
    Case("signed, sender not a number", "MessageSid=SM4&From=whatsapp%3Anope&Body=hi", 400, sign="valid"),
    Case("new parameters appear", VALID + "&AddOns=%7B%7D&NewThing=1", 200, stored=1, sign="valid"),
]


@pytest.fixture
def twilio(use_channel, twilio_settings):
    return use_channel(**twilio_settings)


@pytest.mark.parametrize("case", INBOUND, ids=str)
def test_inbound_canned_requests(twilio, client, case):
    response = post(client, "/sms/twilio/inbound", case, None, signer)
    check(response, case)
    if case.status == 200:
        assert response.mimetype == "text/xml"


def test_no_auth_token_configured_fails_closed(use_channel, twilio_settings, client):
    use_channel(**{**twilio_settings, "TWILIO_AUTH_TOKEN": None})
    case = Case("valid", VALID, 403, sign="valid")
    check(post(client, "/sms/twilio/inbound", case, None, signer), case)


def _outbound(sid="SMout1"):
    contact = ContactFactory()
    message = Message(direction="out", channel="twilio", provider_id=sid, contact_id=contact.id, text="x",
                      status="sent", status_history=[])
    db.session.add(message)
    db.session.commit()
    return message, contact


def _status(client, body: str, sign: str | None = "valid"):
    case = Case("status", body, 200, sign=sign)
    return post(client, "/sms/twilio/status", case, None, signer)


def test_status_callbacks_out_of_order_never_move_back(twilio, client):
    message, _ = _outbound()
    for status in ("delivered", "sending", "sent", "queued"):
        assert _status(client, f"MessageSid=SMout1&MessageStatus={status}&AccountSid={SID}").status_code == 200
    db.session.refresh(message)
    assert message.status == "delivered"
    assert [h["provider_status"] for h in message.status_history] == ["delivered", "sending", "sent", "queued"]


@pytest.mark.parametrize("body,status,stopped,invalid", [
    ("MessageSid=SMout1&MessageStatus=undelivered&ErrorCode=30003", "failed", False, False),
    ("MessageSid=SMout1&MessageStatus=failed&ErrorCode=21610", "failed", True, False),
    ("MessageSid=SMout1&MessageStatus=failed&ErrorCode=30005", "failed", False, True),
    ("MessageSid=SMout1&MessageStatus=read", "delivered", False, False),
    ("MessageSid=SMout1&MessageStatus=brand_new_status", "sent", False, False),
])
def test_status_callbacks(twilio, client, body, status, stopped, invalid):
    message, contact = _outbound()
    assert _status(client, body).status_code == 200
    db.session.refresh(message)
    contact = db.session.get(Contact, contact.id)
    assert message.status == status
    assert (contact.stopped, contact.invalid) == (stopped, invalid)


@pytest.mark.parametrize("body,sign,code", [
    ("MessageSid=SMout1&MessageStatus=delivered", None, 403),
    ("MessageSid=SMout1&MessageStatus=delivered", "forged", 403),
    ("MessageStatus=delivered", "valid", 400),
    ("MessageSid=SMout1", "valid", 400),
])
def test_status_rejections(twilio, client, body, sign, code):
    message, _ = _outbound()
    assert _status(client, body, sign).status_code == code
    db.session.refresh(message)
    assert message.status == "sent"


# --- sending ---------------------------------------------------------------------------------

def test_reply_goes_through_the_sdk(twilio, fake_twilio, drain):
    contact = ContactFactory(phone_number="+22790000201")
    message = queue_sms(contact, "Sannu")
    drain()
    db.session.refresh(message)
    assert message.status == "sent" and message.provider_id.startswith("SM")
    assert fake_twilio.received == [("+22790000201", "Sannu", 1)]
    form = fake_twilio.requests[0]["form"]
    assert form["From"] == TWILIO_SETTINGS["TWILIO_FROM"]
    assert form["StatusCallback"] == PUBLIC + "/sms/twilio/status"


def test_21610_marks_the_contact_stopped(twilio, fake_twilio, drain):
    contact = ContactFactory(phone_number="+22790000202")
    fake_twilio.fail_number("+22790000202", 21610)
    message = queue_sms(contact, "hello")
    drain()
    db.session.refresh(message)
    assert message.status == "failed" and message.error_code == "21610"
    assert db.session.get(Contact, contact.id).stopped
    later = queue_sms(db.session.get(Contact, contact.id), "campaign")
    assert later.status == "skipped"


@pytest.mark.parametrize("code,retryable,invalid", [(21211, False, True), (21614, False, True),
                                                    (21408, False, False), (20429, True, False)])
def test_error_codes_are_typed(twilio, fake_twilio, code, retryable, invalid):
    fake_twilio.fail_number("+22790000203", code)
    channel = handlers.get_channel("twilio")
    if retryable:
        with pytest.raises(RetryableSendError):
            channel.send_batch("x", [OutboundSMS(1, "+22790000203")])
        return
    [result] = channel.send_batch("x", [OutboundSMS(1, "+22790000203")])
    assert not result.accepted and result.error.invalid_number is invalid and result.error.code == str(code)


@pytest.mark.parametrize("status", [500, 503, 429])
def test_server_errors_are_retryable(twilio, fake_twilio, status):
    fake_twilio.fail_next(1, status)
    with pytest.raises(RetryableSendError):
        handlers.get_channel("twilio").send_batch("x", [OutboundSMS(1, "+22790000204")])


def test_a_retryable_error_mid_batch_stops_it(twilio, fake_twilio):
    fake_twilio.fail_number("+22790000206", 20429)
    results = handlers.get_channel("twilio").send_batch(
        "x", [OutboundSMS(i, f"+2279000020{i}") for i in (5, 6, 7)])
    assert [r.accepted for r in results] == [True, False, False]
    assert fake_twilio.counts() == {"+22790000205": 1}


def test_wrong_credentials_are_final(use_channel, twilio_settings, fake_twilio):
    use_channel(**{**twilio_settings, "TWILIO_AUTH_TOKEN": "wrong"})
    [result] = handlers.get_channel("twilio").send_batch("x", [OutboundSMS(1, "+22790000204")])
    assert isinstance(result.error, FinalSendError) and result.error.code == "20003"


def test_timeout_is_retryable(use_channel, twilio_settings, fake_twilio):
    use_channel(**twilio_settings, SEND_TIMEOUT=0.3)
    fake_twilio.hang_seconds = 1
    fake_twilio.fail_next(1, "timeout")
    with pytest.raises(RetryableSendError):
        handlers.get_channel("twilio").send_batch("x", [OutboundSMS(1, "+22790000204")])
