"""Africa's Talking SMS: canned callbacks (inbound, delivery reports, opt-out) and sending
through the official SDK against the local fake of the messaging API."""
from __future__ import annotations

import pytest
from sqlalchemy import select

import handlers
from gateway.extensions import db
from gateway.models import Contact, Message
from gateway.services.messaging import queue_sms
from handlers.base import FinalSendError, OutboundSMS, RetryableSendError
from tests.factories import ContactFactory
from tests.fakes.harness import Case, check, post

TOKEN = "token=at-callback-token"
VALID = ("from=%2B22790123456&to=38383&text=SIGNALER+vol+de+b%C3%A9tail+%C3%A0+Diffa"
         "&date=2026-11-26+09%3A00%3A00&id=ATXid_0001&linkId=SampleLinkId123&networkCode=61402")

INBOUND = [
    Case("valid message", VALID, 200, stored=1, text="SIGNALER vol de bétail à Diffa", provider_id="ATXid_0001",
         extra={"linkId": "SampleLinkId123", "networkCode": "61402", "to": "38383"}),
    Case("provider retries: stored once", VALID, 200, stored=1, repeat=3),
    Case("missing token", VALID, 403, query=None),
    Case("wrong token", VALID, 403, query="token=guess"),
    Case("token of another provider", VALID, 403, query="token=http-callback-token"),
    Case("missing id", "from=%2B22790123456&to=38383&text=hello", 400),
    Case("missing from", "to=38383&text=hello&id=ATXid_2", 400),
    Case("missing text field", "from=%2B22790123456&to=38383&id=ATXid_3", 400),
    Case("empty text is a message", "from=%2B22790123456&to=38383&text=&id=ATXid_4", 200, stored=1, text=""),
    Case("sender not a number", "from=Safaricom&to=38383&text=hi&id=ATXid_5", 400),
    Case("Nigerian SIM in Diffa", "from=%2B2348031234567&to=38383&text=sannu&id=ATXid_6", 200, stored=1),
    Case("unknown fields are ignored", VALID + "&cost=0&newField=1", 200, stored=1),
    Case("JSON instead of a form", '{"from": "+22790123456"}', 400, content_type="application/json"),
    Case("garbage body", b"\xff\xfe\x00garbage", 400),
    Case("hausa hooks kept", "from=%2B22790123456&to=38383&text=RAHOTO+%C6%99auye&id=ATXid_7", 200, stored=1,
         text="RAHOTO ƙauye"),
]


@pytest.fixture
def at(use_channel, at_settings):
    return use_channel(**at_settings)


@pytest.mark.parametrize("case", INBOUND, ids=str)
def test_inbound_canned_requests(at, client, case):
    check(post(client, "/sms/africastalking/inbound", case, TOKEN), case)


def test_inbound_queues_processing_once(at, client, app):
    queue = app.extensions["queues"]["high"]
    for _ in range(2):
        assert client.post(f"/sms/africastalking/inbound?{TOKEN}", data=VALID,
                           content_type="application/x-www-form-urlencoded").status_code == 200
    assert queue.count == 1


def test_inbound_and_delivery_reports_are_answered_in_front_of_flask(at, client, app, flask_requests):
    """gateway/webhooks/fastpath.py answers urlencoded callbacks; any other body goes through
    Flask's view, with the same outcome."""
    message, _ = _outbound()
    fast_in = client.post(f"/sms/africastalking/inbound?{TOKEN}", data=VALID,
                          content_type="application/x-www-form-urlencoded")
    fast_dlr = client.post(f"/sms/africastalking/delivery?{TOKEN}", data="id=ATXid_out1&status=Success",
                           content_type="application/x-www-form-urlencoded")
    assert flask_requests == []
    slow_in = client.post(f"/sms/africastalking/inbound?{TOKEN}", content_type="multipart/form-data",
                          data={"from": "+22790123456", "to": "38383", "text": "bonjour", "id": "ATXid_multi"})
    assert flask_requests == [1]
    assert (fast_in.status_code, fast_in.headers["Content-Type"], fast_in.data) == \
        (slow_in.status_code, slow_in.headers["Content-Type"], slow_in.data) == (200, "text/plain; charset=utf-8", b"")
    assert fast_dlr.status_code == 200
    db.session.refresh(message)
    assert message.status == "delivered"
    stored = db.session.scalars(select(Message.provider_id).where(Message.direction == "in")).all()
    assert sorted(stored) == ["ATXid_0001", "ATXid_multi"]


def _outbound(provider_id="ATXid_out1", status="sent"):
    contact = ContactFactory()
    message = Message(direction="out", channel="africastalking", provider_id=provider_id, contact_id=contact.id,
                      text="hello", status=status, status_history=[])
    db.session.add(message)
    db.session.commit()
    return message, contact


STATUS = [
    # (form body, expected status, expected provider_status, contact stopped?)
    ("id=ATXid_out1&status=Success&phoneNumber=%2B22790000001&networkCode=61402&retryCount=0", "delivered", "Success", False),
    ("id=ATXid_out1&status=Buffered&phoneNumber=%2B22790000001", "sent", "Buffered", False),
    ("id=ATXid_out1&status=Submitted", "sent", "Submitted", False),
    ("id=ATXid_out1&status=Rejected&failureReason=InsufficientCredit", "failed", "Rejected", False),
    ("id=ATXid_out1&status=Failed&failureReason=UserInBlackList&retryCount=1", "failed", "Failed", True),
    ("id=ATXid_out1&status=Failed&failureReason=DeliveryFailure", "failed", "Failed", False),
    ("id=ATXid_out1&status=Expired", "failed", "Expired", False),
    ("id=ATXid_out1&status=SomethingNew&failureReason=AlsoNew", "sent", "SomethingNew", False),
]


@pytest.mark.parametrize("body,status,provider_status,stopped", STATUS)
def test_delivery_reports(at, client, body, status, provider_status, stopped):
    message, contact = _outbound()
    response = client.post(f"/sms/africastalking/delivery?{TOKEN}", data=body,
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    db.session.refresh(message)
    assert (message.status, message.provider_status) == (status, provider_status)
    assert message.status_history[-1]["provider_status"] == provider_status
    assert db.session.get(Contact, contact.id).stopped is stopped


def test_failure_reason_kept_verbatim(at, client):
    message, _ = _outbound()
    client.post(f"/sms/africastalking/delivery?{TOKEN}", data="id=ATXid_out1&status=Failed&failureReason=UserIsInactive",
                content_type="application/x-www-form-urlencoded")
    db.session.refresh(message)
    assert message.failure_reason == "UserIsInactive" and message.error_code == "UserIsInactive"


def test_delivery_reports_never_move_back(at, client):
    message, _ = _outbound()
    for status in ("Success", "Sent", "Failed"):
        client.post(f"/sms/africastalking/delivery?{TOKEN}", data=f"id=ATXid_out1&status={status}",
                    content_type="application/x-www-form-urlencoded")
    db.session.refresh(message)
    assert message.status == "delivered"
    assert [h["provider_status"] for h in message.status_history] == ["Success", "Sent", "Failed"]


@pytest.mark.parametrize("query,body,code", [
    (None, "id=ATXid_out1&status=Success", 403),
    ("token=nope", "id=ATXid_out1&status=Success", 403),
    (TOKEN, "status=Success", 400),
    (TOKEN, "id=ATXid_out1", 400),
    (TOKEN, "id=unknown&status=Success", 200),
])
def test_delivery_report_rejections(at, client, query, body, code):
    message, _ = _outbound()
    url = "/sms/africastalking/delivery" + (f"?{query}" if query else "")
    assert client.post(url, data=body, content_type="application/x-www-form-urlencoded").status_code == code
    db.session.refresh(message)
    assert message.status == "sent"


def test_bulk_optout_stops_the_contact(at, client):
    contact = ContactFactory(phone_number="+22790111222")
    assert client.post(f"/sms/africastalking/optout?{TOKEN}", data="senderId=MURYA&phoneNumber=%2B22790111222",
                       content_type="application/x-www-form-urlencoded").status_code == 200
    assert db.session.get(Contact, contact.id).stopped
    assert db.session.get(Contact, contact.id).stopped_via == "optout:africastalking"
    # An unknown number is remembered as stopped, so a later import cannot message it.
    client.post(f"/sms/africastalking/optout?{TOKEN}", data="senderId=MURYA&phoneNumber=%2B22790333444",
                content_type="application/x-www-form-urlencoded")
    from gateway.services.contacts import find_by_phone
    assert find_by_phone("+22790333444").stopped


@pytest.mark.parametrize("query,body,code", [
    (None, "senderId=MURYA&phoneNumber=%2B22790111222", 403),
    (TOKEN, "senderId=MURYA", 400),
    (TOKEN, "senderId=MURYA&phoneNumber=nope", 400),
])
def test_bulk_optout_rejections(at, client, query, body, code):
    url = "/sms/africastalking/optout" + (f"?{query}" if query else "")
    assert client.post(url, data=body, content_type="application/x-www-form-urlencoded").status_code == code
    assert db.session.scalar(select(Contact)) is None


# --- sending ---------------------------------------------------------------------------------

def test_reply_goes_through_the_sdk_to_the_provider(at, fake_at, drain):
    contact = ContactFactory(phone_number="+22790000101")
    message = queue_sms(contact, "Merci, reçu.")
    drain()
    db.session.refresh(message)
    assert message.status == "sent" and message.provider_id.startswith("ATXid_")
    assert float(message.cost) == 25.0
    assert fake_at.received == [("+22790000101", "Merci, reçu.", 1)]
    form = fake_at.requests[0]["form"]
    assert form["username"] == "sandbox" and form["from"] == "MURYA" and form["bulkSMSMode"] == "1"


def test_batches_follow_the_batch_size(at, fake_at, app):
    app.config["SEND_BATCH_SIZE"] = 100
    handlers.init_app(app)
    recipients = [OutboundSMS(i, f"+2279{i:07d}") for i in range(250)]
    results = handlers.get_channel("africastalking").send_batch("hello", recipients)
    assert all(r.accepted for r in results) and len(results) == 250
    assert len(fake_at.requests) == 3
    assert sorted(len(r["form"]["to"].split(",")) for r in fake_at.requests) == [50, 100, 100]
    assert len({r.provider_id for r in results}) == 250


@pytest.mark.parametrize("code,retryable,stop,invalid", [
    (406, False, True, False),     # UserInBlacklist: the person opted out
    (403, False, False, True),     # InvalidPhoneNumber
    (404, False, False, True),     # UnsupportedNumberType
    (405, True, False, False),     # InsufficientBalance: a top-up fixes it
    (402, False, False, False),    # InvalidSenderId
    (409, False, False, False),    # DoNotDisturbRejection
    (500, True, False, False),
    (501, True, False, False),
    (502, False, False, False),    # RejectedByGateway
])
def test_per_recipient_status_codes(at, fake_at, code, retryable, stop, invalid):
    fake_at.fail_number("+22790000002", code)
    results = handlers.get_channel("africastalking").send_batch(
        "hi", [OutboundSMS(1, "+22790000001"), OutboundSMS(2, "+22790000002")])
    ok, refused = results
    assert ok.accepted and not refused.accepted      # a 2xx answer with a failure inside
    assert refused.error.retryable is retryable
    assert (refused.error.stop_contact, refused.error.invalid_number) == (stop, invalid)
    assert refused.error.code == str(code)


@pytest.mark.parametrize("status,expected", [(500, RetryableSendError), (503, RetryableSendError),
                                             (429, RetryableSendError), (400, FinalSendError)])
def test_http_failures_are_typed(at, fake_at, status, expected):
    fake_at.fail_next(1, status)
    with pytest.raises(expected):
        handlers.get_channel("africastalking").send_batch("hi", [OutboundSMS(1, "+22790000001")])
    assert fake_at.received == []


def test_wrong_api_key_is_final(use_channel, at_settings, fake_at):
    use_channel(**{**at_settings, "AT_API_KEY": "wrong"})
    with pytest.raises(FinalSendError) as info:
        handlers.get_channel("africastalking").send_batch("hi", [OutboundSMS(1, "+22790000001")])
    assert info.value.code == "http_401"


def test_timeout_is_retryable(use_channel, at_settings, fake_at):
    use_channel(**at_settings, SEND_TIMEOUT=(0.5, 0.3))
    fake_at.hang_seconds = 1
    fake_at.fail_next(1, "timeout")
    with pytest.raises(RetryableSendError):
        handlers.get_channel("africastalking").send_batch("hi", [OutboundSMS(1, "+22790000001")])


def test_a_failing_later_batch_does_not_resend_the_first(at, fake_at, app):
    app.config["SEND_BATCH_SIZE"] = 2
    handlers.init_app(app)
    recipients = [OutboundSMS(i, f"+2279000000{i}") for i in range(4)]
    fake_at.fail_next(0)
    original = fake_at._next_request

    def second_fails():
        number, failure = original()
        return number, (500 if number == 2 else failure)
    fake_at._next_request = second_fails
    results = handlers.get_channel("africastalking").send_batch("hi", recipients)
    assert [r.accepted for r in results] == [True, True, False, False]
    assert all(r.error.retryable for r in results[2:])


def test_invalid_number_is_not_sent(at, fake_at):
    [result] = handlers.get_channel("africastalking").send_batch("hi", [OutboundSMS(1, "0000")])
    assert not result.accepted and result.error.invalid_number
    assert fake_at.requests == []


def test_blacklisted_recipient_stops_the_contact(at, fake_at, drain):
    contact = ContactFactory(phone_number="+22790000103")
    fake_at.fail_number("+22790000103", 406)
    message = queue_sms(contact, "hello")
    drain()
    db.session.refresh(message)
    assert message.status == "failed" and message.error_code == "406"
    assert db.session.get(Contact, contact.id).stopped
