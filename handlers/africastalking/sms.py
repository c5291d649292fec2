"""Africa's Talking SMS: inbound messages, delivery reports, bulk opt-outs, bulk sending.

Provider docs: https://developers.africastalking.com/docs/sms/overview (callbacks) and
https://developers.africastalking.com/docs/sms/sending/bulk (sending). Callbacks carry no
signature, so they are authenticated by a secret token in the callback URL (`?token=`).
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

from africastalking.Service import Service, validate_phone
from africastalking.SMS import SMSService

from handlers.auth import QueryToken
from handlers.base import (Channel, InboundSMS, OutboundSMS, RetryableSendError, Route, SendError, SendResult,
                           StatusUpdate, WebhookError)
from handlers.errors import final, invalid_number, malformed_answer, opted_out, retry

# Delivery report `status` → ours. Sent/Submitted/Buffered are on their way; Success is the
# handset's receipt; Rejected/Failed/Expired are final. Anything else is kept verbatim in
# `provider_status` and counts as "sent" (it reached the provider; nothing more is known).
STATUS_MAP = {
    "Sent": "sent", "Submitted": "sent", "Buffered": "sent", "Queued": "sent",
    "Success": "delivered",
    "Rejected": "failed", "Failed": "failed", "Expired": "failed", "AbsentSubscriber": "failed",
}
# Per-recipient `statusCode` of a send (100/101/102 = accepted) and delivery reports'
# `failureReason`s, with what they mean for the retry and for the person.
ERROR_MAP = {
    "401": final("RiskHold"),
    "402": final("InvalidSenderId"),
    "403": invalid_number("InvalidPhoneNumber"),
    "404": invalid_number("UnsupportedNumberType"),
    # Insufficient balance is fixed by a top-up, not by the recipient: retry (RQ's Retry gives
    # up after its last interval and the message then ends "failed").
    "405": retry("InsufficientBalance"),
    "406": opted_out("UserInBlacklist"),
    "407": final("CouldNotRoute"),
    "409": final("DoNotDisturbRejection"),
    "500": retry("InternalServerError"),
    "501": retry("GatewayError"),
    "502": final("RejectedByGateway"),
    "UserInBlackList": opted_out(), "UserInBlacklist": opted_out(),
    "UserDoesNotExist": invalid_number(), "NotNetworkSubscriber": invalid_number(),
}
ACCEPTED_CODES = frozenset({100, 101, 102})
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
    title = "Africa's Talking"
    routes = (
        Route("inbound", "/sms/africastalking/inbound", fast=True),
        Route("status", "/sms/africastalking/delivery", fast=True),
        Route("optout", "/sms/africastalking/optout"),
    )
    auth = QueryToken("AT_CALLBACK_TOKEN")
    production_settings = ("AT_USERNAME", "AT_API_KEY")
    status_map = STATUS_MAP
    error_map = ERROR_MAP

    def __init__(self, config):
        super().__init__(config)
        self.max_batch = config["SEND_BATCH_SIZE"]
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
    def parse_inbound(self, request) -> list[InboundSMS]:
        """Fields: from, to, text, date, id, linkId, networkCode; `id` de-duplicates."""
        form = request.form
        missing = [f for f in ("from", "id") if not form.get(f)] + (["text"] if "text" not in form else [])
        if missing:
            raise WebhookError(400, f"missing field(s): {', '.join(missing)}")
        extra = {k: form[k] for k in ("date", "linkId", "networkCode") if form.get(k)}
        return [InboundSMS(self.name, form["id"].strip(), form["from"].strip(), form["text"],
                           recipient=form.get("to") or None, received_at=_parse_date(form.get("date")),
                           extra=extra)]

    def parse_status(self, request) -> list[StatusUpdate]:
        """Fields: id, status, phoneNumber, networkCode, failureReason, retryCount."""
        form = request.form
        if not form.get("id") or not form.get("status"):
            raise WebhookError(400, "missing field(s): id and status are required")
        provider_status = form["status"].strip()
        reason = (form.get("failureReason") or "").strip() or None
        extra = {k: form[k] for k in ("networkCode", "retryCount") if form.get(k)}
        extra.update(self.report_flags(reason))
        return [StatusUpdate(self.name, form["id"].strip(), self.our_status(provider_status),
                             provider_status, error_code=reason, failure_reason=reason,
                             phone=form.get("phoneNumber") or None, extra=extra)]

    def parse_optout(self, request) -> list[str]:
        """Bulk SMS opt-out notification (fields senderId, phoneNumber): the numbers that left."""
        number = (request.form.get("phoneNumber") or "").strip()
        if not number:
            raise WebhookError(400, "missing field: phoneNumber")
        return [number]

    # --- sending ---------------------------------------------------------------------------
    def refuse(self, recipient: OutboundSMS) -> SendResult | None:
        """The SDK refuses numbers not matching `^\\+\\d{1,3}\\d{3,}$`: never sent."""
        if validate_phone(recipient.to):
            return None
        return SendResult(recipient.key, recipient.to, False, provider_status="InvalidPhoneNumber",
                          error=self.send_error(code="403"))

    def exception_error(self, exc: Exception) -> SendError | None:
        if isinstance(exc, ProviderHTTPError):
            return self.send_error(http_status=exc.status)
        return super().exception_error(exc)

    def send_request(self, text: str, chunk: list[OutboundSMS]) -> list[SendResult]:
        """One bulk request; the provider may answer 2xx with refusals inside, so every
        recipient's `statusCode` is read."""
        body = self.service.send(text, [r.to for r in chunk], sender_id=self.sender_id,
                                 enqueue=len(chunk) > 1, timeout=self.timeout)
        if isinstance(body, str):   # the SDK parses JSON only for exactly "application/json"
            try:
                body = json.loads(body)
            except ValueError:
                raise malformed_answer(self.title) from None
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
                          error=self.send_error(code=code, name=status_word or f"status_{code}"))


def _cost(raw) -> float | None:
    """"XOF 25.0000" → 25.0."""
    try:
        return float(str(raw).split()[-1])
    except (ValueError, IndexError):
        return None
