"""The channel registry (handlers/): declarations checked at start-up, webhook routes and the
production check generated from them, one mapping from provider answers to typed send errors."""
from __future__ import annotations

import json

import pytest
import requests

import handlers
from handlers.auth import QueryToken
from handlers.base import Channel, FinalSendError, OutboundSMS, RetryableSendError, Route
from handlers.errors import ErrorMeaning, opted_out, retry, send_error, transport_error
from tests.fakes.fixtures import AT_SETTINGS, TWILIO_SETTINGS


# --- routes generated from the declarations ------------------------------------------------

def test_every_contract_url_is_a_declared_route(app):
    rules = {(rule.rule, tuple(sorted(rule.methods - {"OPTIONS"}))) for rule in app.url_map.iter_rules()
             if rule.endpoint.startswith("webhooks.")}
    assert rules == {(path, ("POST",)) for path in (
        "/ussd/africastalking", "/ussd/africastalking/events",
        "/sms/africastalking/inbound", "/sms/africastalking/delivery", "/sms/africastalking/optout",
        "/sms/twilio/inbound", "/sms/twilio/status", "/sms/http/inbound", "/sms/http/status",
        "/sms/fake/inbound", "/sms/fake/status")}
    assert sorted(app.extensions["fast_routes"]) == ["/sms/africastalking/delivery", "/sms/africastalking/inbound",
                                                     "/ussd/africastalking"]


class _Declared(Channel):
    name = "declared"
    routes = (Route("inbound", "/sms/declared/inbound"),)
    auth = QueryToken("DECLARED_TOKEN")

    def parse_inbound(self, request):
        return []


class _NoAuth(_Declared):
    auth = None


class _NoParser(Channel):
    name = "declared"
    routes = (Route("optout", "/sms/declared/optout"),)
    auth = QueryToken("DECLARED_TOKEN")


class _SamePath(_Declared):
    routes = (Route("inbound", "/sms/twilio/inbound"),)


class _LongName(_Declared):
    name = "a-provider-name-too-long"


@pytest.mark.parametrize("cls,problem", [
    (_NoAuth, "declares no auth"),
    (_NoParser, "optout route but no parse_optout()"),
    (_SamePath, "POST /sms/twilio/inbound is declared by 'twilio' and 'declared'"),
    (_LongName, "name must be 1 to 20 characters"),
])
def test_a_channel_declared_wrong_stops_start_up(monkeypatch, make_app, cls, problem):
    monkeypatch.setitem(handlers.CHANNELS, cls.name, cls)
    with pytest.raises(TypeError, match=problem):
        make_app()


def test_a_registry_entry_must_carry_the_channels_name(monkeypatch, make_app):
    monkeypatch.setitem(handlers.CHANNELS, "other", _Declared)
    with pytest.raises(TypeError, match="registered as 'other' but named 'declared'"):
        make_app()


def test_routes_and_fast_routes_need_post():
    with pytest.raises(ValueError, match="only POST"):
        Route("inbound", "/x", method="GET", fast=True)
    with pytest.raises(ValueError, match="unknown kind"):
        Route("delivery", "/x")


# --- the production check, from what each channel declares ---------------------------------

HTTP_CONFIG = json.dumps({"send": {"url": "http://127.0.0.1:9/send"}})
PROVIDERS = {
    "africastalking": {**AT_SETTINGS},
    "twilio": {**TWILIO_SETTINGS, "AT_CALLBACK_TOKEN": "at"},
    "http": {"HTTP_CHANNEL_CONFIG": HTTP_CONFIG, "HTTP_CALLBACK_TOKEN": "h", "AT_CALLBACK_TOKEN": "at"},
}


@pytest.mark.parametrize("provider,missing", [
    ("africastalking", "AT_USERNAME"), ("africastalking", "AT_API_KEY"), ("africastalking", "AT_CALLBACK_TOKEN"),
    ("twilio", "TWILIO_ACCOUNT_SID"), ("twilio", "TWILIO_AUTH_TOKEN"), ("twilio", "TWILIO_FROM"),
    ("twilio", "PUBLIC_BASE_URL"), ("twilio", "AT_CALLBACK_TOKEN"),
    ("http", "HTTP_CHANNEL_CONFIG"), ("http", "HTTP_CALLBACK_TOKEN"), ("http", "AT_CALLBACK_TOKEN"),
])
def test_production_requires_what_the_provider_and_ussd_declare(make_app, provider, missing):
    settings = {**PROVIDERS[provider], "GATEWAY_ENV": "production", "SMS_PROVIDER": provider, missing: None}
    with pytest.raises(SystemExit, match=f"^murya: configuration error: {missing} is required in production"):
        make_app(**settings)


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_production_starts_with_what_the_provider_declares(make_app, provider):
    app = make_app(**PROVIDERS[provider], GATEWAY_ENV="production", SMS_PROVIDER=provider)
    assert app.extensions["channels"][provider].can_send()
    assert "/sms/fake/inbound" not in {rule.rule for rule in app.url_map.iter_rules()}


def test_other_channels_settings_are_not_required_but_their_routes_fail_closed(make_app):
    app = make_app(**PROVIDERS["africastalking"], GATEWAY_ENV="production", SMS_PROVIDER="africastalking")
    client = app.test_client()
    assert client.post("/sms/http/inbound", data={"from": "+22790123456", "text": "x", "id": "1"}).status_code == 403
    assert client.post("/sms/http/inbound?token=guess", data={"from": "+22790123456", "text": "x",
                                                            "id": "2"}).status_code == 403


# --- one mapping from provider answers to typed errors -------------------------------------

MEANINGS = {"21610": opted_out("STOP"), "BUSY": retry(), "7": ErrorMeaning("Odd", invalid_number=True)}


@pytest.mark.parametrize("code,status,cls,expected_code,flags", [
    (None, 500, RetryableSendError, "http_500", ()),
    (None, 503, RetryableSendError, "http_503", ()),
    (None, 429, RetryableSendError, "http_429", ()),
    (None, 408, RetryableSendError, "http_408", ()),
    (None, 400, FinalSendError, "http_400", ()),
    (None, 401, FinalSendError, "http_401", ()),
    ("21610", 400, FinalSendError, "21610", ("stop_contact",)),
    ("BUSY", 400, RetryableSendError, "BUSY", ()),          # the map wins over the HTTP status
    (7, None, FinalSendError, "7", ("invalid_number",)),
    ("99999", 503, RetryableSendError, "99999", ()),        # unmapped code: the status decides
    ("99999", None, FinalSendError, "99999", ()),
])
def test_send_errors_are_typed_in_one_place(code, status, cls, expected_code, flags):
    error = send_error("Provider", MEANINGS, code=code, http_status=status)
    assert type(error) is cls and error.code == expected_code
    assert {f for f in ("stop_contact", "invalid_number") if getattr(error, f)} == set(flags)


def test_a_channel_may_name_its_own_retryable_statuses():
    assert send_error("Gateway", {}, http_status=503, retry_statuses={500}).retryable is False
    assert send_error("Gateway", {}, http_status=500, retry_statuses={500}).retryable is True


@pytest.mark.parametrize("exc", [requests.ConnectTimeout(), requests.ReadTimeout(), requests.ConnectionError()])
def test_no_answer_is_retryable(exc):
    error = transport_error("Provider", exc)
    assert error.retryable and error.code == "timeout"


def test_a_bug_is_not_a_send_error():
    assert transport_error("Provider", KeyError("x")) is None


def test_the_http_channels_retry_status_setting_applies(use_channel, fake_http):
    config = {"send": {"url": fake_http.url + "/message", "retry_status": [500]}}
    use_channel(HTTP_CHANNEL_CONFIG=json.dumps(config))
    fake_http.fail_next(1, 503)
    [result] = handlers.get_channel("http").send_batch("x", [OutboundSMS(1, "+22790000001")])
    assert isinstance(result.error, FinalSendError) and result.error.code == "http_503"
    fake_http.fail_next(1, 500)
    with pytest.raises(RetryableSendError):
        handlers.get_channel("http").send_batch("x", [OutboundSMS(2, "+22790000001")])
