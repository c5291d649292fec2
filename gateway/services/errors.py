"""Domain errors: what the business rules refuse, and why, with no word of HTTP.

A service raises one of these kinds; each web layer translates them in one place (the JSON API's
error handler and the console's `refused` in gateway/errors.py, the webhook answer in
gateway/webhooks/sms.py). `code` is the machine-readable reason the API shows, `message` the
human one, `details` anything that helps the caller fix the request.
"""
from __future__ import annotations


class DomainError(Exception):
    """A request the business rules cannot honour."""

    code = "invalid_request"

    def __init__(self, message: str, code: str | None = None, **details):
        super().__init__(message)
        self.message = message
        self.code = code or self.code
        self.details = details


class Invalid(DomainError):
    """The request itself is wrong (a missing or malformed field, an unknown value)."""


class NotFound(DomainError):
    """What the request names does not exist (or the caller may not know it exists)."""

    code = "not_found"


class Forbidden(DomainError):
    """The caller may not do this."""

    code = "forbidden"


class Conflict(DomainError):
    """The object's state forbids the request (closed, held by someone else, already done)."""

    code = "conflict"
