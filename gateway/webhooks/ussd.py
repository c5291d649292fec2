"""USSD webhooks: a hop and the end-of-session notification, once the protocol authenticated
them (routes.py generates the URLs from the protocols' declarations).

Thin: the protocol module parses, the engine answers, the protocol renders. Hops are usually
answered in front of Flask by fastpath.py through this same `answer_hop`; Flask serves what it
hands over (a body that is not a plain urlencoded form of known length).
"""
from __future__ import annotations

from gateway.extensions import db
from gateway.services import ussd_sessions
from handlers.ussd import UssdProtocol
from menus.engine import get_engine

TEXT = "text/plain; charset=utf-8"


def answer_hop(protocol: UssdProtocol, request) -> tuple[str, str]:
    """One hop of a USSD session, answered: (body, content type), with HTTP status 200.
    WebhookError(400) when malformed. `request` is Flask's request or a FormRequest."""
    reply = get_engine().handle(protocol.parse_hop(request))
    return protocol.render(reply)


def answer_end(protocol: UssdProtocol, request) -> tuple[str, str]:
    """End-of-session notification: logged as a `ussd_sessions` row (idempotent per session)."""
    ussd_sessions.record_end(protocol.parse_end(request))
    db.session.commit()
    return "OK", TEXT
