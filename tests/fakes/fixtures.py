"""pytest fixtures starting the fake provider servers (registered by tests/conftest.py).

Each yields the running fake: `.url`, `.received` [(number, message, request_no)], `.counts()`,
`.count(number)`, `.fail_next(n, status)`, `.fail_number(number, code)`, `.reset()`.
Credentials the fakes expect are in AT_SETTINGS / TWILIO_SETTINGS: pass them to `make_app`.
"""
from __future__ import annotations

import pytest

from tests.fakes.at_server import AtFake
from tests.fakes.http_server import HttpGatewayFake
from tests.fakes.twilio_server import TwilioFake

AT_SETTINGS = {"AT_USERNAME": "sandbox", "AT_API_KEY": "test-at-key", "AT_SENDER_ID": "MURYA",
               "AT_CALLBACK_TOKEN": "at-callback-token"}
TWILIO_SETTINGS = {"TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": "test-twilio-token",
                   "TWILIO_FROM": "+15005550006", "PUBLIC_BASE_URL": "https://murya.example.org"}


@pytest.fixture
def fake_at():
    """A running fake of Africa's Talking's SMS API; point AT_API_URL at `fake_at.url`."""
    with AtFake(api_key=AT_SETTINGS["AT_API_KEY"], username=AT_SETTINGS["AT_USERNAME"]) as fake:
        yield fake


@pytest.fixture
def fake_twilio():
    """A running fake of Twilio's Messages API; point TWILIO_API_URL at `fake_twilio.url`."""
    with TwilioFake(account_sid=TWILIO_SETTINGS["TWILIO_ACCOUNT_SID"],
                    auth_token=TWILIO_SETTINGS["TWILIO_AUTH_TOKEN"]) as fake:
        yield fake


@pytest.fixture
def fake_http():
    """A running fake SMS gateway (Android gateway app / local aggregator)."""
    with HttpGatewayFake() as fake:
        yield fake


@pytest.fixture
def at_settings(fake_at):
    """App settings sending through Africa's Talking to `fake_at`."""
    return {**AT_SETTINGS, "SMS_PROVIDER": "africastalking", "AT_API_URL": fake_at.url}


@pytest.fixture
def twilio_settings(fake_twilio):
    """App settings sending through Twilio to `fake_twilio`."""
    return {**TWILIO_SETTINGS, "SMS_PROVIDER": "twilio", "TWILIO_API_URL": fake_twilio.url}


@pytest.fixture
def use_channel(app):
    """`use_channel(**settings)`: reconfigure the test app and rebuild its channels with them."""
    import handlers

    def configure(**settings):
        app.config.update(settings)
        handlers.init_app(app)
        return app
    return configure
