"""Send errors: the one mapping from a provider's answer or failure to a typed error.

Every channel raises or records the errors built here (after courier's `ErrorFromResponse`):
a timeout or a dropped connection, an HTTP 5xx, 408 or 429 are worth retrying; any other
refusal is final; a provider's own error code means what the channel's literal error map says
(retry later, final, the person opted out, the number does not exist).
"""
from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import requests


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


@dataclass(frozen=True)
class ErrorMeaning:
    """What one of a provider's error codes means (a value of a channel's `error_map`)."""

    name: str | None = None
    retryable: bool = False
    stop_contact: bool = False
    invalid_number: bool = False


def final(name: str | None = None) -> ErrorMeaning:
    """A refusal that will not change by trying again."""
    return ErrorMeaning(name)


def retry(name: str | None = None) -> ErrorMeaning:
    """A failure worth trying again later."""
    return ErrorMeaning(name, retryable=True)


def opted_out(name: str | None = None) -> ErrorMeaning:
    """The person asked the provider to stop our messages: stop the contact everywhere."""
    return ErrorMeaning(name, stop_contact=True)


def invalid_number(name: str | None = None) -> ErrorMeaning:
    """The number will never receive SMS: never send to it again."""
    return ErrorMeaning(name, invalid_number=True)


# HTTP answers worth retrying whatever the provider: timeouts, throttling, server errors.
RETRY_STATUSES = frozenset({408, 429})


def is_retryable_status(status: int, retry_statuses: Collection[int] | None = None) -> bool:
    """True for an HTTP status worth retrying (`retry_statuses` replaces the default rule)."""
    if retry_statuses is not None:
        return status in retry_statuses
    return status in RETRY_STATUSES or status >= 500


def send_error(provider: str, error_map: Mapping[str, ErrorMeaning], *, code=None, http_status: int | None = None,
               name: str | None = None, retry_statuses: Collection[int] | None = None) -> SendError:
    """The typed error for a provider's error `code` and/or HTTP status.

    A code in `error_map` means what the map says; otherwise the HTTP status decides (5xx, 408,
    429 retry), and a code with no status is final. `name` is the provider's word for an
    unmapped code."""
    code = str(code) if code not in (None, "") else None
    meaning = error_map.get(code) if code is not None else None
    if meaning is not None:
        name = meaning.name or name
        retryable = meaning.retryable
    else:
        retryable = http_status is not None and is_retryable_status(http_status, retry_statuses)
    if code is not None:
        message = f"{provider} error {code}" + (f" ({name})" if name else "")
    else:
        message = f"{provider} answered HTTP {http_status}"
    cls = RetryableSendError if retryable else FinalSendError
    return cls(message, code=code or f"http_{http_status}",
               stop_contact=bool(meaning and meaning.stop_contact),
               invalid_number=bool(meaning and meaning.invalid_number))


def transport_error(provider: str, exc: BaseException) -> SendError | None:
    """A request that got no answer (timeout, refused or dropped connection) is retryable;
    None for any other exception (a bug, which must surface)."""
    if isinstance(exc, (requests.Timeout, requests.ConnectionError)):
        return RetryableSendError(f"{provider} unreachable: {type(exc).__name__}", code="timeout")
    return None


def malformed_answer(provider: str, what: str = "no JSON") -> RetryableSendError:
    """A success status with a body that cannot be read: nothing is known, so retry."""
    return RetryableSendError(f"{provider} answered {what}", code="bad_response")


def not_configured(provider: str, settings: Collection[str]) -> FinalSendError:
    """The channel lacks what it needs to send."""
    return FinalSendError(f"{provider} is not configured ({', '.join(settings)})", code="config")
