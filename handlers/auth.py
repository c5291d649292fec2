"""How a provider's webhooks prove where they come from: each channel declares one of these
as its `auth`, and the generated webhook routes check it before anything else is read.

Checks fail closed: a missing or wrong token or signature is refused (WebhookError 403); with
no secret configured only a non-production app lets a request through, and production refuses
to start without the secret (every auth's `settings` are required in production).
"""
from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from handlers.base import WebhookError


class WebhookAuth:
    """A way of authenticating webhook requests."""

    #: settings holding its secrets: required in production wherever the routes are live
    settings: tuple[str, ...] = ()

    def check(self, request, config: Mapping) -> None:
        """Raise WebhookError(403) unless `request` (Flask's or a FormRequest) is genuine."""
        raise NotImplementedError


def token_matches(given: str | None, expected: str | None, required: bool) -> bool:
    """Constant-time token check. With no token configured, only non-production may pass."""
    if not expected:
        return not required
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


@dataclass(frozen=True)
class QueryToken(WebhookAuth):
    """`?token=` must equal the setting (providers that sign nothing, e.g. Africa's Talking)."""

    setting: str

    @property
    def settings(self) -> tuple[str, ...]:
        return (self.setting,)

    def check(self, request, config: Mapping) -> None:
        production = config.get("GATEWAY_ENV") == "production"
        if not token_matches(request.args.get("token"), config.get(self.setting), required=production):
            raise WebhookError(403, "invalid or missing token")


class Unauthenticated(WebhookAuth):
    """No check at all: only a channel declared `development_only` may use it (its routes are
    absent in production)."""

    def check(self, request, config: Mapping) -> None:
        return None


UNAUTHENTICATED = Unauthenticated()
