"""USSD webhooks: Africa's Talking's callback and its end-of-session notification.

Thin views: the protocol module authenticates and parses, the engine answers, the protocol
renders. Hops usually never reach the Flask view: `gateway/webhooks/fastpath.py` answers them
in front of Flask through the same `answer_hop`; the view serves what it hands over (a body
that is not a plain urlencoded form of known length).
"""
from __future__ import annotations

from functools import partial

from flask import request

from gateway.extensions import db
from gateway.webhooks import bp, fastpath
from gateway.webhooks.auth import require_query_token
from menus.engine import get_engine
from menus.protocol import get_protocol


def answer_hop(protocol_name: str, hop_request) -> tuple[str, str]:
    """One hop of a USSD session, answered: (body, content type), with HTTP status 200.
    WebhookError (403 unauthenticated, 400 malformed) when nothing is to be answered.
    `hop_request` is Flask's request or a FormRequest."""
    protocol = get_protocol(protocol_name)
    protocol.authenticate(hop_request)
    reply = get_engine().handle(protocol.parse_hop(hop_request))
    return protocol.render(reply)


fastpath.route("/ussd/africastalking", partial(answer_hop, "africastalking"))


@bp.post("/ussd/africastalking")
def ussd_africastalking():
    """One hop of a USSD session: `CON …` waits for input, `END …` closes."""
    body, content_type = answer_hop("africastalking", request)
    return body, 200, {"Content-Type": content_type}


@bp.post("/ussd/africastalking/events")
def ussd_africastalking_events():
    """End-of-session notification: logged as a `ussd_sessions` row (idempotent per session)."""
    from gateway.services import ussd_sessions
    require_query_token("AT_CALLBACK_TOKEN")
    ussd_sessions.record_end(get_protocol("africastalking").parse_end(request))
    db.session.commit()
    return "OK", 200, {"Content-Type": "text/plain; charset=utf-8"}
