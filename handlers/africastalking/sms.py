"""Africa's Talking SMS: inbound messages, delivery reports, bulk opt-outs, bulk sending.

Provider docs: https://developers.africastalking.com/docs/sms/overview (callbacks) and
https://developers.africastalking.com/docs/sms/sending/bulk (sending). Callbacks carry no
signature, so they are authenticated by a secret token in the callback URL (`?token=`).
"""
from __future__ import annotations

from datetime import datetime, timezone

import requests
from africastalking.Service import Service, validate_phone
from africastalking.SMS import SMSService
from flask import Request

from gateway.webhooks.auth import check_query_token
from handlers.base import (Channel, FinalSendError, FormRequest, InboundSMS, OutboundSMS, RetryableSendError,
                           SendError, SendResult, StatusUpdate, WebhookError)

# Delivery report `status` → ours. Sent/Submitted/Buffered are on their way; Success is the
# handset's receipt; Rejected/Failed/Expired are final. Anything else is kept verbatim in
# `provider_status` and counts as "sent" (it reached the provider; nothing more is known).
STATUS_MAP = {
    "Sent": "sent", "Submitted": "sent", "Buffered": "sent", "Queued": "sent",
    "Success": "delivered",
    "Rejected": "failed", "Failed": "failed", "Expired": "failed", "AbsentSubscriber": "failed",
}
# Delivery report `failureReason`s that mean the person does not want our messages.
STOP_REASONS = frozenset({"UserInBlackList", "UserInBlacklist"})
# … and those that mean the number will never receive SMS.
INVALID_REASONS = frozenset({"UserDoesNotExist", "NotNetworkSubscriber"})

# Per-recipient `statusCode` of a send → (typed error, retryable, flags). 100/101/102 accepted.
ACCEPTED_CODES = frozenset({100, 101, 102})
RECIPIENT_ERRORS = {
    401: ("RiskHold", False, {}),
    402: ("InvalidSenderId", False, {}),
    403: ("InvalidPhoneNumber", False, {"invalid_number": True}),
    404: ("UnsupportedNumberType", False, {"invalid_number": True}),
    # Insufficient balance is fixed by a top-up, not by the recipient: retry (RQ's Retry gives
    # up after its last interval and the message then ends "failed").
    405: ("InsufficientBalance", True, {}),
    406: ("UserInBlacklist", False, {"stop_contact": True}),   # the person opted out
    407: ("CouldNotRoute", False, {}),
    409: ("DoNotDisturbRejection", False, {}),
    500: ("InternalServerError", True, {}),
    501: ("GatewayError", True, {}),
    502: ("RejectedByGateway", False, {}),
}
DEFAULT_TIMEOUT = (3.05, 9.05)


class ProviderHTTPError(Exception):
    """A non-2xx answer from the messaging API, with its status (the SDK keeps only the text)."""

    def __init__(self, status: int, text: str):
        super().__init__(f"HTTP {status}")
        self.status, self.text = status, text


class _SMSService(SMSService):
    """The official SDK's SMSService, raising ProviderHTTPError with the HTTP status.

    The SDK (africastalking 2.0.3, Service._make_request) turns every non-2xx answer into an
    AfricasTalkingException holding only the body, so 500/429 (retry) could not be told from
    401 (never retry). Its POST helper is a private static method: this wraps it and raises
    before the SDK discards the status.
    """

    @staticmethod
    def _Service__make_post_request(url, headers, data, params, callback=None, timeout=DEFAULT_TIMEOUT):  # noqa: N802
        response = Service._Service__make_post_request(url, headers, data, params, callback, timeout)
        if response is not None and not 200 <= response.status_code < 300:
            raise ProviderHTTPError(response.status_code, response.text[:200])
        return response


def _error_for_http(status: int) -> SendError:
    if status in (408, 429) or status >= 500:
        return RetryableSendError(f"Africa's Talking answered HTTP {status}", code=f"http_{status}")
    return FinalSendError(f"Africa's Talking refused the request (HTTP {status})", code=f"http_{status}")


def _recipient_error(code: int, status_word: str | None) -> SendError:
    name, retryable, flags = RECIPIENT_ERRORS.get(code, (status_word or f"status_{code}", False, {}))
    cls = RetryableSendError if retryable else FinalSendError
    return cls(f"Africa's Talking refused the recipient: {name}", code=str(code), **flags)


def _parse_date(raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


class AfricasTalkingChannel(Channel):
    """Africa's Talking SMS through the official `africastalking` SDK."""

    name = "africastalking"

    def __init__(self, config):
        super().__init__(config)
        self.max_batch = max(1, int(config.get("SEND_BATCH_SIZE") or 100))
        self.sender_id = config.get("AT_SENDER_ID") or None
        self.timeout = config.get("SEND_TIMEOUT") or DEFAULT_TIMEOUT
        self.service: SMSService | None = None
        if config.get("AT_USERNAME") and config.get("AT_API_KEY"):
            # Built here, not with africastalking.initialize(), which sets module globals.
            self.service = _SMSService(config["AT_USERNAME"], config["AT_API_KEY"])
            if config.get("AT_API_URL"):
                self.service._baseUrl = config["AT_API_URL"].rstrip("/") + "/version1"

    def can_send(self) -> bool:
        return self.service is not None

    # --- webhooks --------------------------------------------------------------------------
    def authenticate(self, request: Request | FormRequest) -> None:
        """`?token=` must equal AT_CALLBACK_TOKEN (required in production)."""
        check_query_token(request, self.config, "AT_CALLBACK_TOKEN")

    def parse_inbound(self, request: Request) -> list[InboundSMS]:
        """Fields: from, to, text, date, id, linkId, networkCode; `id` de-duplicates."""
        form = request.form
        missing = [f for f in ("from", "id") if not form.get(f)] + (["text"] if "text" not in form else [])
        if missing:
            raise WebhookError(400, f"missing field(s): {', '.join(missing)}")
        extra = {k: form[k] for k in ("date", "linkId", "networkCode") if form.get(k)}
        return [InboundSMS(self.name, form["id"].strip(), form["from"].strip(), form["text"],
                           recipient=form.get("to") or None, received_at=_parse_date(form.get("date")),
                           extra=extra)]

    def parse_status(self, request: Request) -> list[StatusUpdate]:
        """Fields: id, status, phoneNumber, networkCode, failureReason, retryCount."""
        form = request.form
        if not form.get("id") or not form.get("status"):
            raise WebhookError(400, "missing field(s): id and status are required")
        provider_status = form["status"].strip()
        reason = (form.get("failureReason") or "").strip() or None
        extra = {k: form[k] for k in ("networkCode", "retryCount") if form.get(k)}
        if reason in STOP_REASONS:
            extra["stop_contact"] = True
        if reason in INVALID_REASONS:
            extra["invalid_number"] = True
        return [StatusUpdate(self.name, form["id"].strip(), STATUS_MAP.get(provider_status, "sent"),
                             provider_status, error_code=reason, failure_reason=reason,
                             phone=form.get("phoneNumber") or None, extra=extra)]

    def parse_optout(self, request: Request) -> list[str]:
        """Bulk SMS opt-out notification (fields senderId, phoneNumber): the numbers that left."""
        number = (request.form.get("phoneNumber") or "").strip()
        if not number:
            raise WebhookError(400, "missing field: phoneNumber")
        return [number]

    # --- sending ---------------------------------------------------------------------------
    def send_batch(self, text: str, recipients: list[OutboundSMS]) -> list[SendResult]:
        """One provider request per SEND_BATCH_SIZE recipients.

        A whole-request failure on the first request raises (nothing was sent); on a later
        request the recipients not yet sent get a per-recipient error of the same type, so
        what was already accepted is never sent twice by a retry.
        """
        if self.service is None:
            raise FinalSendError("Africa's Talking is not configured (AT_USERNAME, AT_API_KEY)", code="config")
        results: list[SendResult] = []
        valid = []
        for r in recipients:
            if validate_phone(r.to):
                valid.append(r)
            else:
                results.append(SendResult(r.key, r.to, False, provider_status="InvalidPhoneNumber",
                                          error=FinalSendError("invalid number", code="403", invalid_number=True)))
        for start in range(0, len(valid), self.max_batch):
            chunk = valid[start:start + self.max_batch]
            try:
                results.extend(self._send_chunk(text, chunk))
            except SendError as exc:
                if not results and start == 0:
                    raise
                results.extend(SendResult(r.key, r.to, False, error=exc) for r in valid[start:])
                break
        return results

    def _send_chunk(self, text: str, chunk: list[OutboundSMS]) -> list[SendResult]:
        try:
            body = self.service.send(text, [r.to for r in chunk], sender_id=self.sender_id,
                                     enqueue=len(chunk) > 1, timeout=self.timeout)
        except ProviderHTTPError as exc:
            raise _error_for_http(exc.status) from None
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise RetryableSendError(f"Africa's Talking unreachable: {type(exc).__name__}", code="timeout") from None
        if isinstance(body, str):   # the SDK parses JSON only for exactly "application/json"
            import json
            try:
                body = json.loads(body)
            except ValueError:
                raise RetryableSendError("Africa's Talking answered no JSON", code="bad_response") from None
        entries = ((body or {}).get("SMSMessageData") or {}).get("Recipients") or []
        by_number: dict[str, list[dict]] = {}
        for entry in entries:
            by_number.setdefault(str(entry.get("number")), []).append(entry)
        results = []
        for r in chunk:
            queue = by_number.get(r.to)
            if not queue:
                # The provider said nothing about this recipient (it may answer 2xx with a
                # partial list): not accepted, and retryable since it was never refused.
                results.append(SendResult(r.key, r.to, False, error=RetryableSendError(
                    "no status for this recipient", code="missing")))
                continue
            results.append(self._result(r, queue.pop(0)))
        return results

    def _result(self, r: OutboundSMS, entry: dict) -> SendResult:
        try:
            code = int(entry.get("statusCode"))
        except (TypeError, ValueError):
            code = 0
        status_word = entry.get("status")
        if code in ACCEPTED_CODES:
            return SendResult(r.key, r.to, True, provider_id=str(entry.get("messageId")),
                              provider_status=status_word, cost=_cost(entry.get("cost")))
        return SendResult(r.key, r.to, False, provider_status=status_word,
                          error=_recipient_error(code, status_word))


def _cost(raw) -> float | None:
    """"XOF 25.0000" → 25.0."""
    try:
        return float(str(raw).split()[-1])
    except (ValueError, IndexError):
        return None
