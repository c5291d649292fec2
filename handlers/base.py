"""The interface every channel implements, what each declares about itself, and the types that
cross it.

A channel module (courier's shape) is a class stating, as literal class attributes: its webhook
`routes` (method, path, kind, answered on the fast path or not), its `auth`, the
`production_settings` it needs, its `status_map` and `error_map`, and its send function
(`send_request`, one provider request). Everything else — the Flask views, the fast-path table,
the production check, the batch loop and the meaning of HTTP failures — is generated or shared.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from handlers.errors import (ErrorMeaning, FinalSendError, RetryableSendError, SendError,  # noqa: F401
                             not_configured, send_error, transport_error)

if TYPE_CHECKING:   # for annotations only: handlers.auth imports this module
    from handlers.auth import WebhookAuth


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


# A route's kind -> the endpoint method that parses it. The web layer (gateway/webhooks/)
# knows what each kind does once parsed (store an inbound SMS, apply a report, answer a hop).
ROUTE_KINDS = {
    "inbound": "parse_inbound",     # an SMS a person sent
    "status": "parse_status",       # delivery reports
    "optout": "parse_optout",       # the provider's own opt-out notification
    "ussd_hop": "parse_hop",        # one request of a USSD session
    "ussd_end": "parse_end",        # the end-of-session notification
}


@dataclass(frozen=True)
class Route:
    """A webhook URL a provider calls. `fast`: answered in front of Flask when the body is a plain
    urlencoded form (gateway/webhooks/fastpath.py), through the same answer function."""

    kind: str
    path: str
    method: str = "POST"
    fast: bool = False

    def __post_init__(self):
        if self.kind not in ROUTE_KINDS:
            raise ValueError(f"route {self.path}: unknown kind {self.kind!r}")
        if self.fast and self.method != "POST":
            raise ValueError(f"route {self.path}: only POST routes can be answered on the fast path")


MAX_NAME = 20            # messages.channel, contacts.channel …


def placeholder(method):
    """Marks an interface method a class must override before declaring a route that uses it."""
    method.placeholder = True
    return method


class Endpoint:
    """What receives a provider's webhooks (an SMS channel, a USSD protocol), as declared."""

    name: str = ""
    #: how errors name the provider ("Africa's Talking")
    title: str = ""
    routes: tuple[Route, ...] = ()
    #: how its webhooks authenticate (handlers/auth.py); required unless development_only
    auth: WebhookAuth | None = None
    #: settings production cannot do without (the auth's secrets are added to these)
    production_settings: tuple[str, ...] = ()
    #: routes absent in production, and never a production SMS_PROVIDER (the fake channel)
    development_only: bool = False

    def __init__(self, config: Mapping):
        self.config = config

    def authenticate(self, request) -> None:
        """Raise WebhookError(403) unless the request comes from the provider. Fails closed."""
        if self.auth is None:
            raise WebhookError(403, "this channel declares no webhook authentication")
        self.auth.check(request, self.config)

    @classmethod
    def required_settings(cls) -> tuple[str, ...]:
        """Settings production requires for this endpoint: its own and its auth's secrets."""
        declared = tuple(cls.production_settings) + tuple(cls.auth.settings if cls.auth else ())
        return tuple(dict.fromkeys(declared))

    @classmethod
    def declaration_problems(cls) -> list[str]:
        """What is wrong with the class's declaration (checked when the app is built)."""
        problems = []
        if not cls.name or len(cls.name) > MAX_NAME:
            problems.append(f"{cls.__name__}: name must be 1 to {MAX_NAME} characters (it is stored on messages)")
        if cls.auth is None and not cls.development_only:
            problems.append(f"channel {cls.name!r} declares no auth (only development_only channels may go without)")
        for route in cls.routes:
            method = getattr(cls, ROUTE_KINDS[route.kind], None)
            if method is None or getattr(method, "placeholder", False):
                problems.append(f"channel {cls.name!r} declares a {route.kind} route but no "
                                f"{ROUTE_KINDS[route.kind]}()")
        return problems


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


class Channel(Endpoint):
    """An SMS provider: parse inbound, parse status, send a batch, reply."""

    #: the most recipients one provider request may carry
    max_batch: int = 1
    #: the provider's status word -> ours (sent, delivered, failed); unknown words count as sent
    status_map: Mapping[str, str] = {}
    #: the provider's error codes -> what they mean (handlers/errors.py)
    error_map: Mapping[str, ErrorMeaning] = {}
    #: HTTP statuses worth retrying; None = 408, 429 and 5xx
    retry_statuses: frozenset[int] | None = None

    # --- webhooks --------------------------------------------------------------------------
    @placeholder
    def parse_inbound(self, request) -> list[InboundSMS]:
        """Inbound SMS in a webhook request; WebhookError(400) when malformed."""
        raise NotImplementedError

    @placeholder
    def parse_status(self, request) -> list[StatusUpdate]:
        """Delivery reports in a webhook request; WebhookError(400) when malformed."""
        raise NotImplementedError

    @placeholder
    def parse_optout(self, request) -> list[str]:
        """The numbers a provider's opt-out notification names; WebhookError(400) when malformed."""
        raise NotImplementedError

    def reply(self, text: str | None = None) -> tuple[str, str]:
        """The answer to a webhook, (body, content type) with status 200 (some providers
        accept a reply inline)."""
        return "", "text/plain; charset=utf-8"

    def our_status(self, provider_status: str) -> str:
        """Our status for the provider's word: as written, else lower-cased, else "sent" (the
        provider has the message; nothing more is known). The word itself is kept verbatim."""
        return self.status_map.get(provider_status) or self.status_map.get(provider_status.lower()) or "sent"

    def report_flags(self, code: str | None) -> dict:
        """`StatusUpdate.extra` flags for a report's error code: the person opted out, or the
        number does not exist (from the error map)."""
        meaning = self.error_map.get(code) if code else None
        flags = {}
        if meaning is not None and meaning.stop_contact:
            flags["stop_contact"] = True
        if meaning is not None and meaning.invalid_number:
            flags["invalid_number"] = True
        return flags

    # --- sending ---------------------------------------------------------------------------
    def can_send(self) -> bool:
        """True when the channel has what it needs to send (credentials)."""
        return True

    @placeholder
    def send_request(self, text: str, recipients: list[OutboundSMS]) -> list[SendResult]:
        """One provider request for at most `max_batch` recipients: one result per recipient.

        A whole-request failure raises a SendError (`self.send_error(...)`), or lets the SDK's or
        the HTTP library's exception through for `exception_error` to type."""
        raise NotImplementedError

    def refuse(self, recipient: OutboundSMS) -> SendResult | None:
        """A result for a recipient the provider would refuse anyway (not sent), else None."""
        return None

    def send_error(self, code=None, http_status: int | None = None, name: str | None = None) -> SendError:
        """The typed error for a provider error code and/or HTTP status (handlers/errors.py)."""
        return send_error(self.title or self.name, self.error_map, code=code, http_status=http_status,
                          name=name, retry_statuses=self.retry_statuses)

    def exception_error(self, exc: Exception) -> SendError | None:
        """The typed error for an exception a provider request raised; None re-raises it."""
        return transport_error(self.title or self.name, exc)

    def send_batch(self, text: str, recipients: list[OutboundSMS]) -> list[SendResult]:
        """Send one text to many recipients, `max_batch` per provider request; one result each.

        The first request failing as a whole raises (RetryableSendError: try the batch again;
        FinalSendError: it never will). A later one failing gives the recipients not yet sent a
        per-recipient error of the same kind, so a retry never resends what was accepted. With one
        recipient per request, a final refusal is that recipient's and the batch goes on.
        """
        if not self.can_send():
            raise not_configured(self.title or self.name, self.required_settings())
        results: list[SendResult] = []
        pending: list[OutboundSMS] = []
        for recipient in recipients:
            refused = self.refuse(recipient)
            if refused is not None:
                results.append(refused)
            else:
                pending.append(recipient)
        size = max(1, int(self.max_batch))
        for start in range(0, len(pending), size):
            chunk = pending[start:start + size]
            error = self._request(text, chunk, results)
            if error is None:
                continue
            if not error.retryable and size == 1:
                results.append(SendResult(chunk[0].key, chunk[0].to, False, provider_status="failed", error=error))
                continue
            if not results:
                raise error
            results.extend(SendResult(r.key, r.to, False, error=error) for r in pending[start:])
            break
        return results

    def _request(self, text: str, chunk: list[OutboundSMS], results: list[SendResult]) -> SendError | None:
        """One provider request; its results appended, or the typed error of its failure."""
        try:
            results.extend(self.send_request(text, chunk))
            return None
        except SendError as exc:
            return exc
        except Exception as exc:
            error = self.exception_error(exc)
            if error is None:
                raise
            return error
