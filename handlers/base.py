"""The interface every channel implements, and the types that cross it."""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from flask import Request


@dataclass
class FormRequest:
    """A webhook request reduced to what form-posting providers send: the query string and the
    posted form (first value of each name), and the WSGI environ for anything else. Webhooks
    answered in front of Flask (gateway/webhooks/fastpath.py) pass one; Flask's `request` offers
    the same attributes, so a channel's methods read either."""

    args: Mapping[str, str]
    form: Mapping[str, str]
    environ: Mapping = field(default_factory=dict)


class WebhookError(Exception):
    """A webhook request that must be refused; `status` is 400 (malformed) or 403 (auth)."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


class SendError(Exception):
    """A provider refused or failed a send. `retryable` decides between retry and final failure."""

    retryable = False

    def __init__(self, message: str, code: str | None = None, stop_contact: bool = False,
                 invalid_number: bool = False):
        super().__init__(message)
        self.code = code
        self.stop_contact = stop_contact      # provider says the person opted out
        self.invalid_number = invalid_number  # never send to this number again


class RetryableSendError(SendError):
    """Timeouts, 5xx, 429 and throttling: try again later."""

    retryable = True


class FinalSendError(SendError):
    """Invalid number, opted out, insufficient balance …: do not retry."""


@dataclass
class InboundSMS:
    """An SMS a person sent, as the channel delivered it."""

    channel: str
    provider_id: str | None
    sender: str                 # as given by the provider; normalised by the pipeline
    text: str
    recipient: str | None = None
    received_at: datetime | None = None
    extra: dict = field(default_factory=dict)


@dataclass
class StatusUpdate:
    """A delivery report. `status` is ours (sent, delivered, failed); `provider_status` verbatim."""

    channel: str
    provider_id: str
    status: str
    provider_status: str
    error_code: str | None = None
    failure_reason: str | None = None
    phone: str | None = None
    extra: dict = field(default_factory=dict)


@dataclass
class OutboundSMS:
    """One recipient of a send: `key` is ours (a message id), `to` is E.164."""

    key: int | str
    to: str


@dataclass
class SendResult:
    """What the provider said about one recipient of a batch."""

    key: int | str
    to: str
    accepted: bool
    provider_id: str | None = None
    provider_status: str | None = None
    cost: float | None = None
    error: SendError | None = None


class Channel(ABC):
    """A provider: parse inbound, parse status, send a batch, reply."""

    name: str = ""
    #: the most recipients one provider request may carry
    max_batch: int = 1

    def __init__(self, config: dict):
        self.config = config

    def authenticate(self, request: Request | FormRequest) -> None:
        """Raise WebhookError(403) unless the request comes from the provider. Fails closed."""

    @abstractmethod
    def parse_inbound(self, request: Request | FormRequest) -> list[InboundSMS]:
        """Inbound SMS in a webhook request; WebhookError(400) when malformed."""

    @abstractmethod
    def parse_status(self, request: Request | FormRequest) -> list[StatusUpdate]:
        """Delivery reports in a webhook request; WebhookError(400) when malformed."""

    @abstractmethod
    def send_batch(self, text: str, recipients: list[OutboundSMS]) -> list[SendResult]:
        """Send one text to many recipients in as few provider requests as it can.

        Returns one result per recipient. Raises RetryableSendError when the whole request
        failed in a way worth retrying (timeout, 5xx, 429), FinalSendError when it never will.
        """

    def reply(self, text: str | None = None) -> tuple[str, str]:
        """The answer to a webhook, (body, content type) with status 200 (some providers
        accept a reply inline)."""
        return "", "text/plain; charset=utf-8"

    def can_send(self) -> bool:
        """True when the channel has what it needs to send (credentials)."""
        return True
