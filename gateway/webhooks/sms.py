"""SMS webhooks: inbound messages and delivery reports per provider (names in CONTRACT.md).

Every route goes through `answer`: the channel authenticates (fails closed: 403, nothing
stored) and parses (400 on malformed bodies, nothing stored), one service stores, and the
channel's reply answers. Africa's Talking's inbound and delivery URLs, the busiest, are answered
in front of Flask by `gateway/webhooks/fastpath.py` through the same `answer`.
"""
from __future__ import annotations

from functools import partial

from flask import abort, current_app, request

import handlers
from gateway.services import inbound
from gateway.webhooks import bp, fastpath

# What each kind of callback does once the channel has authenticated it.
KINDS = {
    "inbound": lambda channel, req: inbound.receive(channel.parse_inbound(req)),
    "status": lambda channel, req: inbound.apply_statuses(channel.parse_status(req)),
    "optout": lambda channel, req: inbound.opt_out(channel.name, channel.parse_optout(req)),
}


def answer(channel_name: str, kind: str, req) -> tuple[str, str]:
    """Authenticate, parse and store one callback of `kind`; returns the channel's reply as
    (body, content type), with HTTP status 200. `req` is Flask's request or a FormRequest."""
    channel = handlers.get_channel(channel_name)
    channel.authenticate(req)
    KINDS[kind](channel, req)
    return channel.reply()


def _respond(channel_name: str, kind: str):
    body, content_type = answer(channel_name, kind, request)
    return body, 200, {"Content-Type": content_type}


fastpath.route("/sms/africastalking/inbound", partial(answer, "africastalking", "inbound"))
fastpath.route("/sms/africastalking/delivery", partial(answer, "africastalking", "status"))


@bp.post("/sms/africastalking/inbound")
def africastalking_inbound():
    """Incoming SMS from Africa's Talking."""
    return _respond("africastalking", "inbound")


@bp.post("/sms/africastalking/delivery")
def africastalking_delivery():
    """Africa's Talking delivery reports."""
    return _respond("africastalking", "status")


@bp.post("/sms/africastalking/optout")
def africastalking_optout():
    """Africa's Talking bulk SMS opt-out notification."""
    return _respond("africastalking", "optout")


@bp.post("/sms/twilio/inbound")
def twilio_inbound():
    """Incoming SMS from Twilio (answered with empty TwiML)."""
    return _respond("twilio", "inbound")


@bp.post("/sms/twilio/status")
def twilio_status():
    """Twilio status callbacks."""
    return _respond("twilio", "status")


@bp.post("/sms/http/inbound")
def http_inbound():
    """Incoming SMS from the generic HTTP channel."""
    return _respond("http", "inbound")


@bp.post("/sms/http/status")
def http_status():
    """Status callbacks from the generic HTTP channel."""
    return _respond("http", "status")


def _development_only():
    # The fake channel has no credentials: it must never accept messages in production.
    if current_app.config.get("GATEWAY_ENV") == "production":
        abort(404)


@bp.post("/sms/fake/inbound")
def fake_inbound():
    """Simulated incoming SMS (phone simulator, demos, tests); absent in production."""
    _development_only()
    return _respond("fake", "inbound")


@bp.post("/sms/fake/status")
def fake_status():
    """Simulated delivery reports; absent in production."""
    _development_only()
    return _respond("fake", "status")
