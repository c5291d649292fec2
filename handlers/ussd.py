"""The provider-neutral USSD interface. A USSD aggregator is one module in `handlers/`.

The engine (menus/engine.py) sees only `UssdHop` in and `UssdReply` out; a protocol module
declares its routes and auth like any channel (handlers/base.py), turns a hop's request into a
hop (from Flask's request or a `FormRequest`, query string and form, when hops are answered in
front of Flask by gateway/webhooks/fastpath.py), a reply into the provider's answer, and its
end-of-session notification into a `UssdSessionEnd`. Africa's Talking's is
`handlers/africastalking/ussd.py`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from handlers.base import Endpoint, FormRequest, placeholder


@dataclass
class UssdHop:
    """One request of a USSD session.

    `text` is the whole session's input so far joined with `*` when `accumulated` (Africa's
    Talking); aggregators that send only the latest input set `accumulated=False` and a
    `hop_key` that is unique per hop (their sequence number), for idempotency.
    """

    channel: str
    session_id: str
    phone: str                         # E.164, already validated by the protocol module
    text: str
    service_code: str | None = None
    network_code: str | None = None
    accumulated: bool = True
    hop_key: str | None = None


@dataclass
class UssdReply:
    """What to show: `end` closes the session."""

    text: str
    end: bool = False


@dataclass
class UssdSessionEnd:
    """The provider's end-of-session notification, fields kept as given."""

    channel: str
    session_id: str
    phone: str | None
    status: str                        # provider's word, verbatim (Incomplete, Success, Failed …)
    service_code: str | None = None
    network_code: str | None = None
    duration_ms: int | None = None
    hops: int | None = None
    error_message: str | None = None
    extra: dict = field(default_factory=dict)


class UssdProtocol(Endpoint):
    """A USSD aggregator's wire format. Its routes are live in every environment, so what it
    requires in production is always required."""

    @placeholder
    def parse_hop(self, request: FormRequest) -> UssdHop:
        """The hop in a callback request; WebhookError(400) when malformed."""
        raise NotImplementedError

    @placeholder
    def parse_end(self, request) -> UssdSessionEnd:
        """The end-of-session notification; WebhookError(400) when malformed."""
        raise NotImplementedError

    def render(self, reply: UssdReply) -> tuple[str, str]:
        """The HTTP answer carrying `reply`: (body, content type); the status is 200."""
        raise NotImplementedError
