"""SMS webhooks: inbound messages and delivery reports per provider (names in CONTRACT.md).

Every route authenticates in `authenticated(...)` (fails closed: 403, nothing stored), parses
with the channel (400 on malformed bodies, nothing stored), calls one service and answers.
"""
from __future__ import annotations

from flask import abort, current_app

from gateway.services import inbound
from gateway.webhooks import bp
from gateway.webhooks.auth import authenticated
from handlers.base import Channel


def _inbound(channel: Channel):
    from flask import request
    inbound.receive(channel.parse_inbound(request))
    return channel.render_reply()


def _status(channel: Channel):
    from flask import request
    inbound.apply_statuses(channel.parse_status(request))
    return channel.render_reply()


@bp.post("/sms/africastalking/inbound")
@authenticated("africastalking")
def africastalking_inbound(channel):
    """Incoming SMS from Africa's Talking."""
    return _inbound(channel)


@bp.post("/sms/africastalking/delivery")
@authenticated("africastalking")
def africastalking_delivery(channel):
    """Africa's Talking delivery reports."""
    return _status(channel)


@bp.post("/sms/africastalking/optout")
@authenticated("africastalking")
def africastalking_optout(channel):
    """Africa's Talking bulk SMS opt-out notification."""
    from flask import request
    inbound.opt_out(channel.name, channel.parse_optout(request))
    return channel.render_reply()


@bp.post("/sms/twilio/inbound")
@authenticated("twilio")
def twilio_inbound(channel):
    """Incoming SMS from Twilio (answered with empty TwiML)."""
    return _inbound(channel)


@bp.post("/sms/twilio/status")
@authenticated("twilio")
def twilio_status(channel):
    """Twilio status callbacks."""
    return _status(channel)


@bp.post("/sms/http/inbound")
@authenticated("http")
def http_inbound(channel):
    """Incoming SMS from the generic HTTP channel."""
    return _inbound(channel)


@bp.post("/sms/http/status")
@authenticated("http")
def http_status(channel):
    """Status callbacks from the generic HTTP channel."""
    return _status(channel)


def _development_only():
    # The fake channel has no credentials: it must never accept messages in production.
    if current_app.config.get("GATEWAY_ENV") == "production":
        abort(404)


@bp.post("/sms/fake/inbound")
@authenticated("fake")
def fake_inbound(channel):
    """Simulated incoming SMS (phone simulator, demos, tests); absent in production."""
    _development_only()
    return _inbound(channel)


@bp.post("/sms/fake/status")
@authenticated("fake")
def fake_status(channel):
    """Simulated delivery reports; absent in production."""
    _development_only()
    return _status(channel)
