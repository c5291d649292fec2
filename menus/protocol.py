"""The provider-neutral USSD interface. A USSD aggregator is one module in `handlers/`.

The engine sees only `UssdHop` in and `UssdReply` out; a protocol module authenticates a hop's
request and turns it into a hop (from Flask's request or a `handlers.base.FormRequest`, query
string and form, when hops are answered in front of Flask by gateway/webhooks/fastpath.py), a
reply into the provider's answer, and its end-of-session notification into a `UssdSessionEnd`. Africa's
Talking's is `handlers/africastalking/ussd.py`.
"""
from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from flask import Request, current_app

from handlers.base import FormRequest

# name -> "module:Class". Adding an aggregator: write the module, add a line, add its routes.
PROTOCOLS = {
    "africastalking": "handlers.africastalking.ussd:AfricasTalkingUssd",
}


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


class UssdProtocol(ABC):
    """A USSD aggregator's wire format."""

    name: str = ""

    def __init__(self, config):
        self.config = config

    @abstractmethod
    def authenticate(self, request: Request | FormRequest) -> None:
        """WebhookError(403) unless the hop comes from the aggregator (token, signature)."""

    @abstractmethod
    def parse_hop(self, request: Request | FormRequest) -> UssdHop:
        """The hop in a callback request; WebhookError(400) when malformed."""

    @abstractmethod
    def parse_end(self, request: Request) -> UssdSessionEnd:
        """The end-of-session notification (a Flask request); WebhookError(400) when malformed."""

    @abstractmethod
    def render(self, reply: UssdReply) -> tuple[str, str]:
        """The HTTP answer carrying `reply`: (body, content type); the status is 200."""


def get_protocol(name: str) -> UssdProtocol:
    """The protocol module registered as `name`, built once per app."""
    built = current_app.extensions.setdefault("ussd_protocols", {})
    if name not in built:
        module, _, cls = PROTOCOLS[name].partition(":")
        built[name] = getattr(importlib.import_module(module), cls)(current_app.config)
    return built[name]
