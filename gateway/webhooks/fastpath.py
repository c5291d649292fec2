"""USSD hops answered in front of Flask: a WSGI layer around the app's `wsgi_app`.

A hop is the gateway's most frequent request and must answer in milliseconds. Flask's request
machinery — request context, routing, Request and Response objects, session, teardown — cost
about a third of a hop's CPU (measured in-process: ~0.65 ms a hop through the Flask view,
~0.40 ms here; bench/ussd_bench.py measures the whole). This layer answers `POST` to a hop URL
(`HOP_PATHS`) whose body is an urlencoded form of known length itself, inside an app context
(database session and teardown as in a request) and through the same `answer_hop` as the Flask
view, with the same answers and errors. Every other request, and any hop it does not read
plainly (another content type, no or a too large Content-Length), goes to Flask unchanged.
"""
from __future__ import annotations

import logging
from http import HTTPStatus
from urllib.parse import parse_qsl

from flask import Flask

from handlers.base import WebhookError

log = logging.getLogger(__name__)

TEXT = "text/plain; charset=utf-8"


class HopFastPath:
    """WSGI middleware: USSD hops here, everything else to `wsgi_app` (Flask's)."""

    def __init__(self, app: Flask, wsgi_app):
        from gateway.webhooks.ussd import HOP_PATHS
        self.app, self.wsgi_app, self.paths = app, wsgi_app, HOP_PATHS

    def __call__(self, environ, start_response):
        name = self.paths.get(environ.get("PATH_INFO", ""))
        if name is None or environ.get("REQUEST_METHOD") != "POST":
            return self.wsgi_app(environ, start_response)
        length = self._length(environ)
        if length is None:
            return self.wsgi_app(environ, start_response)
        body = environ["wsgi.input"].read(length) if length else b""
        status, content_type, text = self._answer(name, environ, body)
        data = text.encode("utf-8")
        start_response(f"{status} {HTTPStatus(status).phrase}",
                       [("Content-Type", content_type), ("Content-Length", str(len(data)))])
        return [data]

    @staticmethod
    def _length(environ) -> int | None:
        """The body's length when this layer reads it: an urlencoded form, at most MAX_BODY."""
        from gateway.webhooks.ussd import MAX_BODY
        if not environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
            return None
        try:
            length = int(environ.get("CONTENT_LENGTH") or "")
        except ValueError:
            return None
        return length if 0 <= length <= MAX_BODY else None

    def _answer(self, name: str, environ, body: bytes) -> tuple[int, str, str]:
        from gateway import queue
        from gateway.webhooks.ussd import answer_hop, parse_form
        from menus.protocol import HopRequest
        app = self.app
        if app.extensions.get("embedded_worker_wanted") and app.extensions.get("embedded_worker") is None:
            queue.start_embedded_worker(app)      # what Flask's before_request does for other requests
        with app.app_context():
            try:
                args = dict(reversed(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)))
                body_text, content_type = answer_hop(name, HopRequest(args, parse_form(body), environ))
                return 200, content_type, body_text
            except WebhookError as exc:
                return exc.status, TEXT, exc.reason
            except Exception:
                # As gateway/errors.py does for a request through Flask: logged, never a trace.
                log.exception("unhandled error on POST %s", environ.get("PATH_INFO"))
                return 500, TEXT, "internal error"


def install(app: Flask) -> None:
    """Put the hop layer in front of the app's WSGI callable."""
    app.wsgi_app = HopFastPath(app, app.wsgi_app)
