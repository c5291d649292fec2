"""Africa's Talking USSD: the callback's form fields in, `CON `/`END ` plain text out.

https://developers.africastalking.com/docs/ussd/overview — `text` is "" on the first hop, then
every input of the session joined with `*`; the reply is HTTP 200 text/plain starting `CON `
(wait for input) or `END ` (close). Anything else ends the session on the phone.
"""
from __future__ import annotations

import re
from functools import lru_cache

from gateway.phone import InvalidNumber, normalize
from handlers.auth import QueryToken
from handlers.base import FormRequest, Route, WebhookError
from handlers.ussd import UssdHop, UssdProtocol, UssdReply, UssdSessionEnd

MAX_SESSION_ID = 100      # ussd_sessions.session_id
MAX_TEXT = 4000           # a whole session's input; far beyond what a handset can type in 180 s
# End-of-session notification statuses (PROVIDERS.md, unconfirmed): kept verbatim, these are known.
END_STATUSES = ("Incomplete", "Success", "Failed")
_STATUS_WORD = re.compile(r"[A-Za-z][A-Za-z_]{0,19}")
MAX_COUNT = 2 ** 31 - 1   # ussd_sessions.hops / duration_ms are integer columns (25 days in ms)


def _required(form, name: str, max_length: int) -> str:
    value = form.get(name)
    if value is None or (name != "text" and not value.strip()):
        raise WebhookError(400, f"field {name!r} is required")
    if len(value) > max_length:
        raise WebhookError(400, f"field {name!r} is too long")
    if name != "text":
        _refuse_nul(name, value)
    return value


def _optional(form, name: str) -> str | None:
    value = form.get(name) or None
    if value is not None:
        _refuse_nul(name, value)
    return value


def _refuse_nul(name: str, value: str) -> None:
    """WebhookError(400) for a NUL character: it names nothing real, and PostgreSQL cannot store
    it. (What the person types, `text`, is cleaned by the engine instead: a stray control
    character must not end their session.)"""
    if "\x00" in value:
        raise WebhookError(400, f"field {name!r} contains a NUL character")


@lru_cache(maxsize=8192)
def _normalized(raw: str) -> str:
    # Every hop of a session repeats the number: parse it once per process.
    return normalize(raw)


def _phone(raw: str) -> str:
    try:
        return _normalized(raw.strip())
    except InvalidNumber:
        raise WebhookError(400, "field 'phoneNumber' is not a valid phone number") from None


def _count(form, name: str) -> int | None:
    """A non-negative whole number the notification reports (`12000`, `12000.0`), or None when
    absent; WebhookError(400) for anything a column cannot hold (`1e400`, `1e30`, `nan`, `-1`)."""
    raw = (form.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise WebhookError(400, f"field {name!r} is not a number") from None
    if not (0 <= value <= MAX_COUNT) or not value.is_integer():
        raise WebhookError(400, f"field {name!r} must be a whole number from 0 to {MAX_COUNT}")
    return int(value)


def _status(form) -> str:
    """The provider's end status: a word, kept verbatim (an unknown one too, lowercased when
    stored); WebhookError(400) for anything else."""
    status = (form.get("status") or "").strip()
    if not status:
        raise WebhookError(400, "field 'status' is required")
    if not _STATUS_WORD.fullmatch(status):
        raise WebhookError(400, "field 'status' must be one word of letters (at most 20)")
    return status


class AfricasTalkingUssd(UssdProtocol):
    """Africa's Talking's USSD callback and end-of-session notification."""

    name = "africastalking"
    title = "Africa's Talking USSD"
    routes = (
        Route("ussd_hop", "/ussd/africastalking", fast=True),
        Route("ussd_end", "/ussd/africastalking/events"),
    )
    # No signature on Africa's Talking callbacks: a secret token in the URL, shared with SMS.
    auth = QueryToken("AT_CALLBACK_TOKEN")

    def parse_hop(self, request: FormRequest) -> UssdHop:
        form = request.form
        session_id = _required(form, "sessionId", MAX_SESSION_ID).strip()
        phone = _phone(_required(form, "phoneNumber", 40))
        text = _required(form, "text", MAX_TEXT)
        return UssdHop(channel=self.name, session_id=session_id, phone=phone, text=text,
                       service_code=_optional(form, "serviceCode"), network_code=_optional(form, "networkCode"))

    def parse_end(self, request) -> UssdSessionEnd:
        form = request.form
        for name, value in form.items():
            _refuse_nul(name, value)
        session_id = _required(form, "sessionId", MAX_SESSION_ID).strip()
        status = _status(form)
        raw_phone = form.get("phoneNumber")
        phone = None
        if raw_phone:
            try:
                phone = normalize(raw_phone)
            except InvalidNumber:
                phone = None   # the notification is informational: keep it without a contact
        # `input` and `lastAppResponse` are left out: they may carry what the person typed.
        extra = {k: form.get(k)[:40] for k in ("cost", "date") if form.get(k)}
        return UssdSessionEnd(channel=self.name, session_id=session_id, phone=phone, status=status,
                              service_code=form.get("serviceCode") or None,
                              network_code=form.get("networkCode") or None,
                              duration_ms=_count(form, "durationInMillis"), hops=_count(form, "hopsCount"),
                              error_message=(form.get("errorMessage") or None), extra=extra)

    def render(self, reply: UssdReply) -> tuple[str, str]:
        return ("END " if reply.end else "CON ") + reply.text, "text/plain; charset=utf-8"
