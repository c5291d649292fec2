"""Twilio SMS: inbound webhook and status callbacks (signed), sending through the `twilio` SDK.

Provider docs: https://www.twilio.com/docs/usage/webhooks/webhooks-security (signatures),
https://www.twilio.com/docs/messaging/guides/track-outbound-message-status (status callbacks),
https://www.twilio.com/docs/api/errors (error codes).
"""
from __future__ import annotations

from collections.abc import Mapping

from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml.messaging_response import MessagingResponse

from handlers.auth import WebhookAuth
from handlers.base import (Channel, InboundSMS, OutboundSMS, RetryableSendError, Route, SendError, SendResult,
                           StatusUpdate, WebhookError)
from handlers.errors import invalid_number, opted_out, retry

# MessageStatus → ours. Twilio's own queue counts as "sent" (the provider has it); callbacks
# arrive out of order, and Message.record_status never moves back from a final status.
STATUS_MAP = {
    "accepted": "sent", "scheduled": "sent", "queued": "sent", "sending": "sent", "sent": "sent",
    "delivered": "delivered", "read": "delivered",
    "undelivered": "failed", "failed": "failed", "canceled": "failed",
}
# Error codes (of an API answer or a status callback's ErrorCode) with a meaning for the
# contact or the retry policy; any other code is final unless its HTTP status is 5xx or 429.
ERROR_MAP = {
    "21610": opted_out("recipient replied STOP to Twilio"),
    "21211": invalid_number("invalid 'To' number"),
    "21614": invalid_number("not a mobile number"),
    "30005": invalid_number("unknown destination handset"),
    "30006": invalid_number("landline or unreachable carrier"),
    "20429": retry("too many requests"),
    "30001": retry("queue overflow"),
    "30003": retry("unreachable destination handset"),
    "20500": retry("internal server error"),
    "20503": retry("service unavailable"),
}


def public_url(request, public_base_url: str | None) -> str:
    """The URL as Twilio called it: behind a TLS proxy the app sees another scheme/host."""
    if not public_base_url:
        return request.url
    query = request.query_string.decode("latin-1")
    return public_base_url + request.path + (f"?{query}" if query else "")


class TwilioSignature(WebhookAuth):
    """`X-Twilio-Signature` over the public URL and the form; a missing header or an unset
    auth token rejects (fails closed)."""

    settings = ("TWILIO_AUTH_TOKEN",)

    def check(self, request, config: Mapping) -> None:
        token, signature = config.get("TWILIO_AUTH_TOKEN"), request.headers.get("X-Twilio-Signature")
        if not token or not signature:
            raise WebhookError(403, "missing signature")
        url = public_url(request, (config.get("PUBLIC_BASE_URL") or "").rstrip("/") or None)
        if not RequestValidator(token).validate(url, request.form, signature):
            raise WebhookError(403, "invalid signature")


class TwilioChannel(Channel):
    """Twilio Programmable Messaging; one API request per recipient."""

    name = "twilio"
    title = "Twilio"
    routes = (
        Route("inbound", "/sms/twilio/inbound"),
        Route("status", "/sms/twilio/status"),
    )
    auth = TwilioSignature()
    # PUBLIC_BASE_URL: signatures are computed over the URL Twilio called.
    production_settings = ("TWILIO_ACCOUNT_SID", "TWILIO_FROM", "PUBLIC_BASE_URL")
    status_map = STATUS_MAP
    error_map = ERROR_MAP
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
    def parse_inbound(self, request) -> list[InboundSMS]:
        """Fields MessageSid, From, To, Body (+ NumSegments, FromCountry … kept in `extra`)."""
        form = request.form
        missing = [f for f in ("MessageSid", "From") if not form.get(f)] + (["Body"] if "Body" not in form else [])
        if missing:
            raise WebhookError(400, f"missing field(s): {', '.join(missing)}")
        extra = {k: form[k] for k in ("NumSegments", "NumMedia", "FromCountry", "AccountSid",
                                      "MessagingServiceSid") if form.get(k)}
        return [InboundSMS(self.name, form["MessageSid"], form["From"], form["Body"],
                           recipient=form.get("To") or None, extra=extra)]

    def parse_status(self, request) -> list[StatusUpdate]:
        """Fields MessageSid, MessageStatus, ErrorCode."""
        form = request.form
        sid = form.get("MessageSid") or form.get("SmsSid")
        provider_status = (form.get("MessageStatus") or form.get("SmsStatus") or "").strip()
        if not sid or not provider_status:
            raise WebhookError(400, "missing field(s): MessageSid and MessageStatus are required")
        error_code = (form.get("ErrorCode") or "").strip() or None
        return [StatusUpdate(self.name, sid, self.our_status(provider_status), provider_status,
                             error_code=error_code, failure_reason=form.get("ErrorMessage") or error_code,
                             phone=form.get("To") or None, extra=self.report_flags(error_code))]

    def reply(self, text: str | None = None) -> tuple[str, str]:
        """TwiML: an empty <Response/> (replies go through the queue, never inline)."""
        twiml = MessagingResponse()
        if text:
            twiml.message(text)
        return str(twiml), "text/xml; charset=utf-8"

    # --- sending ---------------------------------------------------------------------------
    def send_request(self, text: str, chunk: list[OutboundSMS]) -> list[SendResult]:
        [r] = chunk
        options = {"status_callback": f"{self.public_base_url}/sms/twilio/status"} if self.public_base_url else {}
        message = self.client.messages.create(to=r.to, from_=self.sender, body=text, **options)
        price = abs(float(message.price)) if message.price else None
        return [SendResult(r.key, r.to, True, provider_id=message.sid, provider_status=message.status, cost=price)]

    def exception_error(self, exc: Exception) -> SendError | None:
        if isinstance(exc, TwilioRestException):
            return self.send_error(code=exc.code, http_status=exc.status)
        if isinstance(exc, TwilioException):
            return RetryableSendError(f"Twilio client error: {type(exc).__name__}", code="client")
        return super().exception_error(exc)
