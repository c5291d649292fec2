"""The busiest webhooks answered in front of Flask: a WSGI layer around the app's `wsgi_app`.

USSD hops must answer in milliseconds, and Africa's Talking's inbound SMS and delivery reports
arrive by the thousand during a campaign. For such requests Flask's machinery — request
context, routing, Request and Response objects, session — cost about a third of the CPU
(measured in-process on a USSD hop: ~0.65 ms through the Flask view, ~0.40 ms here;
bench/ussd_bench.py and bench/sms_inbound_bench.py measure the whole). For a route a channel
declares `fast` (handlers/base.py `Route`; the table is built by routes.py), this layer reads a
`POST` whose body is an urlencoded form of known length itself and calls the route's answer
function — the very function the Flask view calls — inside an app context (database session and
teardown as in a request), with the same answers and errors. What runs around every request is
declared once (gateway/web/hooks.py) and run here as by Flask: the before, after and teardown
hooks and the error handlers. Every other request, and any such request it does not read
plainly (another content type, no or a too large Content-Length), goes to Flask unchanged.
"""
from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Callable
from urllib.parse import parse_qsl

from flask import Flask

from gateway.web.hooks import Hooks, RequestInfo, hooks, undeclared
from handlers.base import FormRequest, WebhookError

log = logging.getLogger(__name__)

TEXT = "text/plain; charset=utf-8"
MAX_BODY = 65536          # a USSD session's text (4,000 characters) percent-encoded, and the rest
MAX_FIELDS = 50

# path -> answer(FormRequest) -> (body, content type), status 200; an exception otherwise.
Routes = dict[str, Callable[[FormRequest], tuple[str, str]]]


def parse_form(body: bytes) -> dict[str, str]:
    """An urlencoded body as {name: first value}, as `request.form.get` reads it;
    WebhookError(400) when it has more than MAX_FIELDS fields."""
    try:
        pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except ValueError:
        raise WebhookError(400, "too many form fields") from None
    return _first_values(pairs)


def _first_values(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """{name: first value}: what werkzeug's MultiDict.get gives for a repeated name."""
    first: dict[str, str] = {}
    for name, value in pairs:
        first.setdefault(name, value)
    return first


class FastPath:
    """WSGI middleware: the URLs in `routes` here, everything else to `wsgi_app` (Flask's)."""

    def __init__(self, app: Flask, wsgi_app, routes: Routes, request_hooks: Hooks):
        self.app, self.wsgi_app, self.routes, self.hooks = app, wsgi_app, routes, request_hooks

    def __call__(self, environ, start_response):
        answer = self.routes.get(environ.get("PATH_INFO", ""))
        if answer is None or environ.get("REQUEST_METHOD") != "POST":
            return self.wsgi_app(environ, start_response)
        length = self._length(environ)
        if length is None:
            return self.wsgi_app(environ, start_response)
        body = environ["wsgi.input"].read(length) if length else b""
        status, content_type, text = self._answer(answer, environ, body)
        data = text.encode("utf-8")
        start_response(f"{status} {HTTPStatus(status).phrase}",
                       [("Content-Type", content_type), ("Content-Length", str(len(data)))])
        return [data]

    @staticmethod
    def _length(environ) -> int | None:
        """The body's length when this layer reads it: an urlencoded form, at most MAX_BODY."""
        if not environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
            return None
        try:
            length = int(environ.get("CONTENT_LENGTH") or "")
        except ValueError:
            return None
        return length if 0 <= length <= MAX_BODY else None

    def _answer(self, answer, environ, body: bytes) -> tuple[int, str, str]:
        """As Flask would: before hooks, the answer, error handlers, after hooks, teardown."""
        request_hooks = self.hooks
        info = RequestInfo("POST", environ.get("PATH_INFO", ""), environ)
        unhandled = None
        with self.app.app_context():
            try:
                try:
                    for hook in request_hooks.before:
                        hook(info)
                    args = _first_values(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
                    text, content_type = answer(FormRequest(args, parse_form(body), environ))
                    status = 200
                except Exception as exc:
                    text, status, content_type, unhandled = self._error(exc, info)
                try:
                    for hook in request_hooks.after:
                        hook(info, status)
                except Exception as exc:
                    text, status, content_type, unhandled = self._error(exc, info)
            finally:
                for hook in request_hooks.teardown:
                    hook(info, unhandled)
        return status, content_type, text

    def _error(self, exc: Exception, info: RequestInfo):
        """The declared error handlers' answer; without one, a logged 500 (as Flask's own)."""
        answer = self.hooks.error_answer(exc, info)
        if answer is not None:
            return (*answer, None)
        log.exception("unhandled error on POST %s", info.path)
        return "internal error", 500, TEXT, exc


def install(app: Flask) -> None:
    """Put the layer in front of the app's WSGI callable, for the routes declared `fast`.
    Refuses while a request hook is registered with Flask alone: the layer would skip it."""
    skipped = undeclared(app, ("webhooks",))
    if skipped:
        raise RuntimeError("request hooks registered with Flask alone would not run on the fast path "
                           f"(declare them with gateway.web.hooks): {', '.join(skipped)}")
    app.wsgi_app = FastPath(app, app.wsgi_app, app.extensions["fast_routes"], hooks(app))
