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


def require_query_token(setting: str) -> None:
    """Raise 403 unless `?token=` equals the configured `setting` (when one is configured)."""
    expected = current_app.config.get(setting)
    production = current_app.config.get("GATEWAY_ENV") == "production"
    if not token_matches(request.args.get("token"), expected, required=production):
        raise WebhookError(403, "invalid or missing token")
