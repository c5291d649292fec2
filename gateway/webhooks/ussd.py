"""USSD webhooks: Africa's Talking's callback and its end-of-session notification.

Thin views: the protocol module authenticates and parses, the engine answers, the protocol
renders. Hops usually never reach the Flask view: `gateway/webhooks/fastpath.py` answers them
in front of Flask through the same `answer_hop`; the view serves what it hands over (a body
that is not a plain urlencoded form of known length).
"""
from __future__ import annotations

from urllib.parse import parse_qsl

from flask import request

from gateway.extensions import db
from gateway.webhooks import bp
from gateway.webhooks.auth import require_query_token
from handlers.base import WebhookError
from menus.engine import get_engine
from menus.protocol import HopRequest, get_protocol

# Hop URL -> protocol module name (menus/protocol.py). The events URLs stay Flask views.
HOP_PATHS = {"/ussd/africastalking": "africastalking"}
MAX_BODY = 65536          # a whole session's text (4,000 characters) percent-encoded, and the rest
MAX_FIELDS = 50


def parse_form(body: bytes) -> dict[str, str]:
    """An urlencoded body as {name: first value}, as `request.form.get` reads it;
    WebhookError(400) when it has more than MAX_FIELDS fields."""
    try:
        pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except ValueError:
        raise WebhookError(400, "too many form fields") from None
    form: dict[str, str] = {}
    for name, value in pairs:
        form.setdefault(name, value)
    return form


def answer_hop(protocol_name: str, hop_request: HopRequest) -> tuple[str, str]:
    """One hop of a USSD session, answered: (body, content type), with HTTP status 200.
    WebhookError (403 unauthenticated, 400 malformed) when nothing is to be answered."""
    protocol = get_protocol(protocol_name)
    protocol.authenticate(hop_request)
    reply = get_engine().handle(protocol.parse_hop(hop_request))
    return protocol.render(reply)


@bp.post("/ussd/africastalking")
def ussd_africastalking():
    """One hop of a USSD session: `CON …` waits for input, `END …` closes."""
    body, content_type = answer_hop("africastalking", HopRequest(request.args, request.form, request.environ))
    return body, 200, {"Content-Type": content_type}


@bp.post("/ussd/africastalking/events")
def ussd_africastalking_events():
    """End-of-session notification: logged as a `ussd_sessions` row (idempotent per session)."""
    from gateway.services import ussd_sessions
    require_query_token("AT_CALLBACK_TOKEN")
    ussd_sessions.record_end(get_protocol("africastalking").parse_end(request))
    db.session.commit()
    return "OK", 200, {"Content-Type": "text/plain; charset=utf-8"}
