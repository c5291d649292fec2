"""A new provider is one module, one registry entry and its tests.

`TinyChannel` below is a made-up SMS provider declared the way every channel in handlers/ is:
its routes (one answered on the fast path), auth, production settings, status map, error map
and send function. Registered in the test's app by one registry entry, it gets its Flask views,
its fast-path route, its production check, the shared batch loop and the shared error mapping
without any other file knowing about it.
"""
from __future__ import annotations

import pytest
import requests
from pydantic import Field
from sqlalchemy import select

import handlers
from gateway.config import TestConfig
from gateway.extensions import db
from gateway.models import Contact, Message
from gateway.services.messaging import queue_sms
from handlers.auth import QueryToken
from handlers.base import (Channel, FinalSendError, InboundSMS, OutboundSMS, RetryableSendError, Route, SendResult,
                           StatusUpdate, WebhookError)
from handlers.errors import invalid_number, opted_out, retry
from tests.factories import ContactFactory
from tests.fakes.harness import Case, check, post


class TinyChannel(Channel):
    """A made-up provider: form callbacks with `?token=`, a JSON bulk send API."""

    name = "tiny"
    title = "Tiny"
    routes = (
        Route("inbound", "/sms/tiny/inbound", fast=True),
        Route("status", "/sms/tiny/status"),
    )
    auth = QueryToken("TINY_TOKEN")
    production_settings = ("TINY_URL",)
    status_map = {"ACK": "sent", "DLVRD": "delivered", "UNDLV": "failed"}
    error_map = {"OPTOUT": opted_out(), "NOSUCH": invalid_number("no such subscriber"), "BUSY": retry()}
    max_batch = 2

    def __init__(self, config):
        super().__init__(config)
        self.url = config.get("TINY_URL")
        self.session = requests.Session()

    def can_send(self) -> bool:
        return bool(self.url)

    def parse_inbound(self, request) -> list[InboundSMS]:
        form = request.form
        if not form.get("msisdn") or not form.get("ref"):
            raise WebhookError(400, "msisdn and ref are required")
        return [InboundSMS(self.name, form["ref"], form["msisdn"], form.get("msg", ""))]

    def parse_status(self, request) -> list[StatusUpdate]:
        form = request.form
        if not form.get("ref") or not form.get("state"):
            raise WebhookError(400, "ref and state are required")
        error = form.get("err") or None
        return [StatusUpdate(self.name, form["ref"], self.our_status(form["state"]), form["state"],
                             error_code=error, failure_reason=error, extra=self.report_flags(error))]

    def send_request(self, text: str, chunk: list[OutboundSMS]) -> list[SendResult]:
        response = self.session.post(f"{self.url}/send", json={"to": [r.to for r in chunk], "text": text},
                                     timeout=0.5)
        if response.status_code != 200:
            raise self.send_error(http_status=response.status_code)
        answers = {item["to"]: item for item in response.json()["results"]}
        return [SendResult(r.key, r.to, True, provider_id=answers[r.to]["id"]) if "id" in answers[r.to]
                else SendResult(r.key, r.to, False, error=self.send_error(code=answers[r.to]["error"]))
                for r in chunk]


class TinySettings(TestConfig):
    """Tiny's settings: the lines its module would add to gateway/config.py's schema."""

    TINY_URL: str | None = Field(None, description="Tiny's API origin")
    TINY_TOKEN: str | None = Field(None, description="the `?token=` of Tiny's webhooks", repr=False)


TOKEN = "token=tiny-token"


@pytest.fixture(autouse=True)
def registered(monkeypatch):
    """The one registry entry (before any app of this module is built)."""
    monkeypatch.setitem(handlers.CHANNELS, "tiny", TinyChannel)


@pytest.fixture
def tiny(use_channel, fake_http):
    """The app with Tiny configured, sending to a fake of its API that answers per recipient:
    `fake_http.refusals[number] = "NOSUCH"`; `fake_http.down_on = {2}` fails request 2 with 503."""
    fake_http.refusals, fake_http.down_on = {}, set()

    def answer(numbers, text, request_no):
        if request_no in fake_http.down_on:
            return 503, {"error": "down"}
        return 200, {"results": [{"to": n, "error": fake_http.refusals[n]} if n in fake_http.refusals
                                 else {"to": n, "id": f"tiny-{request_no}-{n[-3:]}"} for n in numbers]}
    fake_http.response = answer
    use_channel(TINY_URL=fake_http.url, TINY_TOKEN="tiny-token", SMS_PROVIDER="tiny")
    return fake_http


INBOUND = [
    Case("valid", "msisdn=%2B22790123456&msg=Bonjour&ref=t-1", 200, stored=1, text="Bonjour", provider_id="t-1"),
    Case("retried: stored once", "msisdn=%2B22790123456&msg=Bonjour&ref=t-1", 200, stored=1, repeat=2),
    Case("multipart body: through Flask", {"msisdn": "+22790123456", "msg": "Salut", "ref": "t-2"}, 200, stored=1,
         text="Salut", content_type="multipart/form-data"),
    Case("no token", "msisdn=%2B22790123456&msg=x&ref=t-3", 403, query=None),
    Case("wrong token", "msisdn=%2B22790123456&msg=x&ref=t-3", 403, query="token=guess"),
    Case("no ref", "msisdn=%2B22790123456&msg=x", 400),
]


@pytest.mark.parametrize("case", INBOUND, ids=str)
def test_its_inbound_route_answers(tiny, client, case):
    check(post(client, "/sms/tiny/inbound", case, TOKEN), case)


def test_its_fast_route_skips_flask_and_its_other_route_does_not(tiny, app, client, flask_requests):
    fast = client.post(f"/sms/tiny/inbound?{TOKEN}", data="msisdn=%2B22790123456&msg=x&ref=t-9",
                       content_type="application/x-www-form-urlencoded")
    assert (fast.status_code, flask_requests) == (200, [])
    slow = client.post(f"/sms/tiny/status?{TOKEN}", data="ref=none&state=ACK",
                       content_type="application/x-www-form-urlencoded")
    assert (slow.status_code, flask_requests) == (200, [1])
    assert "/sms/tiny/inbound" in app.extensions["fast_routes"]


def _outbound(provider_id="tiny-out-1"):
    contact = ContactFactory()
    message = Message(direction="out", channel="tiny", provider_id=provider_id, contact_id=contact.id, text="x",
                      status="sent", status_history=[])
    db.session.add(message)
    db.session.commit()
    return message, contact


@pytest.mark.parametrize("body,status,stopped,invalid", [
    ("ref=tiny-out-1&state=DLVRD", "delivered", False, False),
    ("ref=tiny-out-1&state=UNDLV&err=OPTOUT", "failed", True, False),
    ("ref=tiny-out-1&state=UNDLV&err=NOSUCH", "failed", False, True),
    ("ref=tiny-out-1&state=SOMETHING_NEW", "sent", False, False),
])
def test_its_status_map_and_error_map_apply_to_reports(tiny, client, body, status, stopped, invalid):
    message, contact = _outbound()
    response = client.post(f"/sms/tiny/status?{TOKEN}", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    db.session.refresh(message)
    contact = db.session.get(Contact, contact.id)
    assert (message.status, contact.stopped, contact.invalid) == (status, stopped, invalid)


def test_its_status_route_is_authenticated(tiny, client):
    message, _ = _outbound()
    assert client.post("/sms/tiny/status", data={"ref": "tiny-out-1", "state": "DLVRD"}).status_code == 403
    db.session.refresh(message)
    assert message.status == "sent"


PRODUCTION = {"GATEWAY_ENV": "production", "SMS_PROVIDER": "tiny", "AT_CALLBACK_TOKEN": "at",
              "TINY_URL": "http://127.0.0.1:9", "TINY_TOKEN": "tiny-token"}


@pytest.mark.parametrize("missing", ["TINY_URL", "TINY_TOKEN"])
def test_its_production_settings_are_required_at_start_up(make_app, missing):
    with pytest.raises(SystemExit, match=f"configuration error: {missing} is required in production"):
        make_app(TinySettings, **{**PRODUCTION, missing: None})


def test_with_its_settings_production_starts_and_serves_its_routes(make_app):
    app = make_app(TinySettings, **PRODUCTION)
    assert app.test_client().post("/sms/tiny/status?token=wrong", data={"ref": "x"}).status_code == 403


def test_its_send_goes_through_the_shared_batch_loop(tiny):
    """Two recipients per request; the second request fails as a whole: those sent stay sent,
    the rest are retryable one by one, and no third request is made."""
    tiny.refusals["+22790000002"] = "NOSUCH"
    tiny.down_on.add(2)
    recipients = [OutboundSMS(i, f"+2279000000{i}") for i in range(1, 6)]
    results = handlers.get_channel("tiny").send_batch("hi", recipients)
    assert [r.accepted for r in results] == [True, False, False, False, False]
    assert results[0].provider_id == "tiny-1-001"
    refused = results[1].error
    assert isinstance(refused, FinalSendError) and refused.invalid_number and refused.code == "NOSUCH"
    assert all(isinstance(r.error, RetryableSendError) and r.error.code == "http_503" for r in results[2:])
    assert len(tiny.requests) == 2


@pytest.mark.parametrize("failure,expected", [(503, RetryableSendError), (429, RetryableSendError),
                                              ("timeout", RetryableSendError), ("drop", RetryableSendError),
                                              (401, FinalSendError)])
def test_a_failing_first_request_raises_the_shared_typed_error(tiny, failure, expected):
    tiny.hang_seconds = 1
    tiny.fail_next(1, failure)
    with pytest.raises(expected):
        handlers.get_channel("tiny").send_batch("hi", [OutboundSMS(1, "+22790000001"), OutboundSMS(2, "+22790000002")])


def test_a_reply_is_sent_by_the_worker_and_an_opt_out_stops_the_contact(tiny, drain):
    happy, leaving = ContactFactory(phone_number="+22790000011"), ContactFactory(phone_number="+22790000012")
    tiny.refusals["+22790000012"] = "OPTOUT"
    sent, refused = queue_sms(happy, "Merci"), queue_sms(leaving, "Merci")
    drain()
    db.session.expire_all()
    assert (sent.status, sent.channel, sent.provider_id) == ("sent", "tiny", "tiny-1-011")
    assert refused.status == "failed" and db.session.get(Contact, leaving.id).stopped
    stored = db.session.scalars(select(Message.status).where(Message.direction == "out")).all()
    assert sorted(stored) == ["failed", "sent"]
