"""Twilio SMS: inbound webhook and status callbacks (signed), sending through the `twilio` SDK.

Provider docs: https://www.twilio.com/docs/usage/webhooks/webhooks-security (signatures),
https://www.twilio.com/docs/messaging/guides/track-outbound-message-status (status callbacks),
https://www.twilio.com/docs/api/errors (error codes).
"""
from __future__ import annotations

import requests
from flask import Request
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml.messaging_response import MessagingResponse

from handlers.base import (Channel, FinalSendError, InboundSMS, OutboundSMS, RetryableSendError,
                           SendError, SendResult, StatusUpdate, WebhookError)

# MessageStatus → ours. Twilio's own queue counts as "sent" (the provider has it); callbacks
# arrive out of order, and Message.record_status never moves back from a final status.
STATUS_MAP = {
    "accepted": "sent", "scheduled": "sent", "queued": "sent", "sending": "sent", "sent": "sent",
    "delivered": "delivered", "read": "delivered",
    "undelivered": "failed", "failed": "failed", "canceled": "failed",
}
# Error codes with a meaning for the contact or the retry policy.
STOP_CODES = frozenset({"21610"})                   # recipient replied STOP to Twilio
INVALID_CODES = frozenset({"21211", "21614", "30005", "30006"})
RETRY_CODES = frozenset({"20429", "30001", "30003", "20500", "20503"})


def send_error(status: int | None, code) -> SendError:
    """The typed error for a Twilio API error (HTTP `status`, Twilio `code`)."""
    code = str(code) if code is not None else None
    message = f"Twilio error {code or status}"
    if code in STOP_CODES:
        return FinalSendError(message, code=code, stop_contact=True)
    if code in INVALID_CODES:
        return FinalSendError(message, code=code, invalid_number=True)
    if code in RETRY_CODES or status == 429 or (status or 0) >= 500:
        return RetryableSendError(message, code=code or f"http_{status}")
    return FinalSendError(message, code=code or f"http_{status}")


class TwilioChannel(Channel):
    """Twilio Programmable Messaging; one API request per recipient."""

    name = "twilio"
    max_batch = 1

    def __init__(self, config):
        super().__init__(config)
        self.account_sid = config.get("TWILIO_ACCOUNT_SID")
        self.auth_token = config.get("TWILIO_AUTH_TOKEN")
        self.sender = config.get("TWILIO_FROM")
        self.public_base_url = (config.get("PUBLIC_BASE_URL") or "").rstrip("/") or None
        self.client: Client | None = None
        if self.account_sid and self.auth_token:
            timeout = config.get("SEND_TIMEOUT") or 10
            if isinstance(timeout, (tuple, list)):
                timeout = max(timeout)
            self.client = Client(self.account_sid, self.auth_token,
                                 http_client=TwilioHttpClient(timeout=timeout))
            if config.get("TWILIO_API_URL"):
                self.client.api.base_url = config["TWILIO_API_URL"].rstrip("/")

    def can_send(self) -> bool:
        return self.client is not None and bool(self.sender)

    # --- webhooks --------------------------------------------------------------------------
    def public_url(self, request: Request) -> str:
        """The URL as Twilio called it: behind a TLS proxy the app sees another scheme/host."""
        if not self.public_base_url:
            return request.url
        query = request.query_string.decode("latin-1")
        return self.public_base_url + request.path + (f"?{query}" if query else "")

    def authenticate(self, request: Request) -> None:
        """Check X-Twilio-Signature; a missing header or unset auth token rejects (fails closed)."""
        signature = request.headers.get("X-Twilio-Signature")
        if not self.auth_token or not signature:
            raise WebhookError(403, "missing signature")
        if not RequestValidator(self.auth_token).validate(self.public_url(request), request.form, signature):
            raise WebhookError(403, "invalid signature")

    def parse_inbound(self, request: Request) -> list[InboundSMS]:
        """Fields MessageSid, From, To, Body (+ NumSegments, FromCountry … kept in `extra`)."""
        form = request.form
        missing = [f for f in ("MessageSid", "From") if not form.get(f)] + (["Body"] if "Body" not in form else [])
        if missing:
            raise WebhookError(400, f"missing field(s): {', '.join(missing)}")
        extra = {k: form[k] for k in ("NumSegments", "NumMedia", "FromCountry", "AccountSid",
                                      "MessagingServiceSid") if form.get(k)}
        return [InboundSMS(self.name, form["MessageSid"], form["From"], form["Body"],
                           recipient=form.get("To") or None, extra=extra)]

    def parse_status(self, request: Request) -> list[StatusUpdate]:
        """Fields MessageSid, MessageStatus, ErrorCode."""
        form = request.form
        sid = form.get("MessageSid") or form.get("SmsSid")
        provider_status = (form.get("MessageStatus") or form.get("SmsStatus") or "").strip()
        if not sid or not provider_status:
            raise WebhookError(400, "missing field(s): MessageSid and MessageStatus are required")
        error_code = (form.get("ErrorCode") or "").strip() or None
        extra = {}
        if error_code in STOP_CODES:
            extra["stop_contact"] = True
        if error_code in INVALID_CODES:
            extra["invalid_number"] = True
        return [StatusUpdate(self.name, sid, STATUS_MAP.get(provider_status.lower(), "sent"),
                             provider_status, error_code=error_code,
                             failure_reason=form.get("ErrorMessage") or error_code,
                             phone=form.get("To") or None, extra=extra)]

    def reply(self, text: str | None = None) -> tuple[str, str]:
        """TwiML: an empty <Response/> (replies go through the queue, never inline)."""
        twiml = MessagingResponse()
        if text:
            twiml.message(text)
        return str(twiml), "text/xml; charset=utf-8"

    # --- sending ---------------------------------------------------------------------------
    def send_batch(self, text: str, recipients: list[OutboundSMS]) -> list[SendResult]:
        """One request per recipient. A retryable failure stops the batch: the first recipient
        raises, later ones get per-recipient retryable errors (nothing is sent twice)."""
        if self.client is None or not self.sender:
            raise FinalSendError("Twilio is not configured (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM)",
                                 code="config")
        callback = f"{self.public_base_url}/sms/twilio/status" if self.public_base_url else None
        results: list[SendResult] = []
        for index, r in enumerate(recipients):
            try:
                options = {"status_callback": callback} if callback else {}
                message = self.client.messages.create(to=r.to, from_=self.sender, body=text, **options)
            except TwilioRestException as exc:
                error = send_error(exc.status, exc.code)
            except (requests.Timeout, requests.ConnectionError) as exc:
                error = RetryableSendError(f"Twilio unreachable: {type(exc).__name__}", code="timeout")
            except TwilioException as exc:
                error = RetryableSendError(f"Twilio client error: {type(exc).__name__}", code="client")
            else:
                price = abs(float(message.price)) if message.price else None
                results.append(SendResult(r.key, r.to, True, provider_id=message.sid,
                                          provider_status=message.status, cost=price))
                continue
            if error.retryable:
                if index == 0:
                    raise error
                results.extend(SendResult(o.key, o.to, False, error=error) for o in recipients[index:])
                break
            results.append(SendResult(r.key, r.to, False, provider_status="failed", error=error))
        return results
