"""Error handling: JSON under /api, short plain text on webhooks, pages in the console's layout
elsewhere; never a stack trace to a caller."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from gateway.extensions import db
from handlers.base import WebhookError

log = logging.getLogger(__name__)


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


def _is_api() -> bool:
    return request.path.startswith("/api/")


def _is_webhook() -> bool:
    return request.path.startswith(("/sms/", "/ussd/"))


def _page(status: int, exc: HTTPException | None = None):
    # Imported here: the console imports the API's modules, which import this one.
    from gateway.console.errors import error_page
    return error_page(status, exc)


def register(app: Flask) -> None:
    """Install the handlers."""

    @app.errorhandler(APIError)
    def handle_api_error(exc: APIError):
        return api_error_response(exc.status, exc.code, exc.message, exc.details)

    @app.errorhandler(WebhookError)
    def handle_webhook_error(exc: WebhookError):
        return exc.reason, exc.status, {"Content-Type": "text/plain; charset=utf-8"}

    @app.errorhandler(HTTPException)
    def handle_http(exc: HTTPException):
        if _is_api():
            code = (exc.name or "error").lower().replace(" ", "_")
            return api_error_response(exc.code or 500, code, exc.description or exc.name)
        if _is_webhook():
            return exc.name, exc.code, {"Content-Type": "text/plain; charset=utf-8"}
        if exc.code is None or exc.code < 400:
            return exc
        return _page(exc.code, exc)

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        if _is_api():
            return api_error_response(500, "internal_error", "internal error")
        if _is_webhook():
            return "internal error", 500, {"Content-Type": "text/plain; charset=utf-8"}
        db.session.rollback()      # the page reads the signed-in user: a broken transaction must not stop it
        return _page(500)
