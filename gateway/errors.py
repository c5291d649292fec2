"""Error handling: JSON under /api, short plain text on webhooks, pages in the console's layout
elsewhere; never a stack trace to a caller."""
from __future__ import annotations

import json
import logging

from flask import Flask, jsonify, request
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException

from gateway.extensions import db
from gateway.services.errors import Conflict, DomainError, Forbidden, NotFound
from gateway.web import hooks
from gateway.web.hooks import RequestInfo
from handlers.base import WebhookError

log = logging.getLogger(__name__)
TEXT = "text/plain; charset=utf-8"
WEBHOOK_PREFIXES = ("/sms/", "/ussd/")


class APIError(Exception):
    """An API error with an HTTP status, a machine code and a human message."""

    def __init__(self, status: int, code: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


def api_error_response(status: int, code: str, message: str, details: dict | None = None):
    """`{"error": {"code", "message"}}` with `status`."""
    body = {"error": {"code": code, "message": message}}
    if details:
        body["error"]["details"] = details
    return jsonify(body), status


# The HTTP status of each kind of domain error (gateway/services/errors.py); anything else is 400.
DOMAIN_STATUS = ((NotFound, 404), (Forbidden, 403), (Conflict, 409))


def domain_status(exc: DomainError) -> int:
    """The HTTP status that answers a refused request."""
    return next((status for kind, status in DOMAIN_STATUS if isinstance(exc, kind)), 400)


def domain_error(exc: DomainError, info: RequestInfo) -> hooks.Answer:
    """A request the services refused, the one way for the API and the webhooks: the API's
    `{"error": {"code", "message"}}` with the kind's status; a webhook's short reason with 400.
    Whatever the view had started is rolled back."""
    db.session.rollback()
    if info.path.startswith(WEBHOOK_PREFIXES):
        return exc.message, 400, TEXT
    body = {"error": {"code": exc.code, "message": exc.message}}
    if exc.details:
        body["error"]["details"] = exc.details
    return json.dumps(body), domain_status(exc), "application/json"


def _is_api() -> bool:
    return request.path.startswith("/api/")


def _is_webhook() -> bool:
    return request.path.startswith(WEBHOOK_PREFIXES)


def webhook_error(exc: WebhookError, info: RequestInfo) -> hooks.Answer:
    """A refused webhook: its short reason, 400 or 403."""
    return exc.reason, exc.status, TEXT


def data_error(exc: DataError, info: RequestInfo) -> hooks.Answer | None:
    """A value the database refused (a NUL character, a number out of range) that no check caught
    before: the caller's mistake, so 400 — JSON under /api, plain text on webhooks; None elsewhere
    (the console's 400 page). Logged without the value, which may be personal data."""
    db.session.rollback()
    log.warning("database refused a value on %s %s: %s", info.method, info.path, type(exc.orig).__name__)
    if info.path.startswith("/api/"):
        body = {"error": {"code": "invalid_value", "message": "a value is not allowed here "
                          "(a NUL character, or a number out of range)"}}
        return json.dumps(body), 400, "application/json"
    if info.path.startswith(WEBHOOK_PREFIXES):
        return "a value is not allowed here", 400, TEXT
    return None


def unexpected_error(exc: Exception, info: RequestInfo) -> hooks.Answer | None:
    """Anything else: logged with its trace (redacted), answered 500 without one — JSON under
    /api, plain text on webhooks; None elsewhere: the console's page (`_unexpected_page`)."""
    log.exception("unhandled error on %s %s", info.method, info.path)
    if info.path.startswith("/api/"):
        return json.dumps({"error": {"code": "internal_error", "message": "internal error"}}), 500, "application/json"
    if info.path.startswith(WEBHOOK_PREFIXES):
        return "internal error", 500, TEXT
    return None


def register(app: Flask, error_page) -> None:
    """Install the handlers. Those a webhook answer can meet are declared with gateway/web/hooks.py,
    so the fast path answers them alike; API and routing errors arise only through Flask.
    `error_page(status, exc)` renders the pages' error page (the console's, handed over by the
    app factory: the console imports the API, which imports this module)."""

    def _page(status: int, exc: HTTPException | None = None):
        return error_page(status, exc)

    def _unexpected_page(exc: Exception):
        db.session.rollback()      # the page reads the signed-in user: a broken transaction must not stop it
        return _page(500)

    hooks.errorhandler(app, WebhookError, webhook_error)
    hooks.errorhandler(app, DomainError, domain_error)
    hooks.errorhandler(app, DataError, data_error, otherwise=lambda exc: _page(400))
    hooks.errorhandler(app, Exception, unexpected_error, otherwise=_unexpected_page)

    @app.errorhandler(APIError)
    def handle_api_error(exc: APIError):
        return api_error_response(exc.status, exc.code, exc.message, exc.details)

    @app.errorhandler(HTTPException)
    def handle_http(exc: HTTPException):
        if _is_api():
            code = getattr(exc, "error_code", None) or (exc.name or "error").lower().replace(" ", "_")
            return api_error_response(exc.code or 500, code, exc.description or exc.name)
        if _is_webhook():
            return exc.name, exc.code, {"Content-Type": TEXT}
        if exc.code is None or exc.code < 400:
            return exc
        return _page(exc.code, exc)

