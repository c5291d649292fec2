"""Webhook routes generated from the channel registry (handlers/__init__.py).

Each route a channel or USSD protocol declares becomes a Flask view and, when declared `fast`,
an entry of the fast path's table (fastpath.py) — the same answer function for both: the
endpoint authenticates (the one place every webhook is authenticated; fails closed: 403,
nothing read), then the answer for the route's kind parses, stores and replies. Routes of a
development-only channel (the fake one) are absent in production.
"""
from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Flask, current_app, request

import handlers
from gateway.webhooks import sms, ussd

# A route's kind -> what is done once the endpoint authenticated it: answer(endpoint, request)
# -> (body, content type), HTTP status 200; WebhookError (400) when malformed.
ANSWERS = {
    "inbound": sms.answer_inbound,
    "status": sms.answer_status,
    "optout": sms.answer_optout,
    "ussd_hop": ussd.answer_hop,
    "ussd_end": ussd.answer_end,
}

Answer = Callable[[object], tuple[str, str]]


def answer_for(family: str, name: str, kind: str) -> Answer:
    """The answer function of one route: `answer(request)` with Flask's request or a FormRequest.
    The endpoint is looked up per request (tests rebuild channels with other settings)."""
    handle = ANSWERS[kind]

    def answer(req) -> tuple[str, str]:
        endpoint = current_app.extensions[family][name]
        endpoint.authenticate(req)
        return handle(endpoint, req)
    answer.__qualname__ = f"answer[{name}:{kind}]"
    return answer


def _view(answer: Answer):
    def view():
        body, content_type = answer(request)
        return body, 200, {"Content-Type": content_type}
    return view


def blueprint(app: Flask) -> Blueprint:
    """The webhooks blueprint for `app`, and its fast-path table in `app.extensions["fast_routes"]`
    ({path: answer})."""
    bp = Blueprint("webhooks", __name__)
    production = app.config.get("GATEWAY_ENV") == "production"
    fast: dict[str, Answer] = {}
    seen: dict[tuple[str, str], str] = {}
    for family, endpoint in handlers.endpoints(app):
        if endpoint.development_only and production:
            continue
        for route in endpoint.routes:
            key = (route.method, route.path)
            if key in seen:
                raise TypeError(f"{route.method} {route.path} is declared by {seen[key]!r} and {endpoint.name!r}")
            seen[key] = endpoint.name
            answer = answer_for(family, endpoint.name, route.kind)
            bp.add_url_rule(route.path, endpoint=f"{endpoint.name}_{route.kind}", view_func=_view(answer),
                            methods=[route.method])
            if route.fast:
                fast[route.path] = answer
    app.extensions["fast_routes"] = fast
    return bp
