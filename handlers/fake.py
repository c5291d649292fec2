"""The fake channel: records what it would have sent, and plays delivery reports back.

Used by `make run`, demos, the phone simulator and tests. The outbox lives in the app's Redis
so every process (web, worker) sees the same one.
"""
from __future__ import annotations

import json
import uuid

from flask import current_app

from handlers.auth import UNAUTHENTICATED
from handlers.base import Channel, InboundSMS, OutboundSMS, Route, SendResult, StatusUpdate, WebhookError
from handlers.errors import invalid_number

OUTBOX_KEY = "fake:outbox"
OUTBOX_TTL = 7 * 24 * 3600
# Status words a test or the simulator may play back, mapped to ours.
STATUS_MAP = {"sent": "sent", "delivered": "delivered", "failed": "failed"}


class FakeChannel(Channel):
    """Sends nowhere; remembers everything. Numbers listed in FAKE_FAIL_NUMBERS are refused."""

    name = "fake"
    title = "fake channel"
    routes = (
        Route("inbound", "/sms/fake/inbound"),
        Route("status", "/sms/fake/status"),
    )
    # No credentials: its routes are absent in production, and it cannot be production's provider.
    development_only = True
    auth = UNAUTHENTICATED
    status_map = STATUS_MAP
    error_map = {"invalid": invalid_number("fake channel refuses this number")}
    max_batch = 1000

    def _redis(self):
        return current_app.extensions["redis"]

    def refuse(self, recipient: OutboundSMS) -> SendResult | None:
        """Numbers listed in FAKE_FAIL_NUMBERS are refused as invalid."""
        if recipient.to not in current_app.config["FAKE_FAIL_NUMBERS"]:
            return None
        return SendResult(recipient.key, recipient.to, False, provider_status="Rejected",
                          error=self.send_error(code="invalid"))

    def send_request(self, text: str, recipients: list[OutboundSMS]) -> list[SendResult]:
        results, records = [], []
        for r in recipients:
            provider_id = f"fake-{uuid.uuid4().hex[:16]}"
            records.append(json.dumps({"id": provider_id, "to": r.to, "text": text, "key": str(r.key)}))
            results.append(SendResult(r.key, r.to, True, provider_id=provider_id, provider_status="Sent"))
        pipe = self._redis().pipeline()
        pipe.rpush(OUTBOX_KEY, *records)
        pipe.expire(OUTBOX_KEY, OUTBOX_TTL)
        pipe.execute()
        return results

    def outbox(self, to: str | None = None) -> list[dict]:
        """Everything sent so far, oldest first, optionally only to one number."""
        items = [json.loads(raw) for raw in self._redis().lrange(OUTBOX_KEY, 0, -1)]
        return [i for i in items if to is None or i["to"] == to]

    def clear(self) -> None:
        """Forget the outbox."""
        self._redis().delete(OUTBOX_KEY)

    def parse_inbound(self, request) -> list[InboundSMS]:
        form = request.form
        if not form.get("from") or form.get("text") is None:
            raise WebhookError(400, "fields 'from' and 'text' are required")
        return [InboundSMS(self.name, form.get("id") or None, form["from"], form["text"],
                           recipient=form.get("to"))]

    def parse_status(self, request) -> list[StatusUpdate]:
        form = request.form
        if not form.get("id") or not form.get("status"):
            raise WebhookError(400, "fields 'id' and 'status' are required")
        return [StatusUpdate(self.name, form["id"], self.our_status(form["status"]), form["status"],
                             failure_reason=form.get("reason") or None)]
