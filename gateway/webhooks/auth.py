"""Webhook token checks: constant-time, failing closed in production."""
from __future__ import annotations

import hmac

from flask import current_app, request

from handlers.base import WebhookError


def token_matches(given: str | None, expected: str | None, required: bool) -> bool:
    """Constant-time token check. With no token configured, only non-production may pass."""
    if not expected:
        return not required
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def check_query_token(req, config, setting: str) -> None:
    """Raise 403 unless `?token=` of `req` (Flask's request or a FormRequest) equals the
    configured `setting`; without one configured, only outside production may pass."""
    production = config.get("GATEWAY_ENV") == "production"
    if not token_matches(req.args.get("token"), config.get(setting), required=production):
        raise WebhookError(403, "invalid or missing token")


def require_query_token(setting: str) -> None:
    """`check_query_token` on the current Flask request."""
    check_query_token(request, current_app.config, setting)
