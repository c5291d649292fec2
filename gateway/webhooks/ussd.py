"""USSD webhooks: Africa's Talking's callback and its end-of-session notification.

Thin views: authenticate, let the protocol module parse, let the engine answer, render.
"""
from __future__ import annotations

from flask import request

from gateway.extensions import db
from gateway.webhooks import bp
from gateway.webhooks.auth import require_query_token
from menus.engine import get_engine
from menus.protocol import get_protocol


@bp.post("/ussd/africastalking")
def ussd_africastalking():
    """One hop of a USSD session: `CON …` waits for input, `END …` closes."""
    require_query_token("AT_CALLBACK_TOKEN")
    protocol = get_protocol("africastalking")
    hop = protocol.parse_hop(request)
    return protocol.render(get_engine().handle(hop))


@bp.post("/ussd/africastalking/events")
def ussd_africastalking_events():
    """End-of-session notification: logged as a `ussd_sessions` row (idempotent per session)."""
    from gateway.services import ussd_sessions
    require_query_token("AT_CALLBACK_TOKEN")
    ussd_sessions.record_end(get_protocol("africastalking").parse_end(request))
    db.session.commit()
    return "OK", 200, {"Content-Type": "text/plain; charset=utf-8"}
