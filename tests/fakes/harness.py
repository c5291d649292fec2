"""The canned-request harness (after courier's): one provider quirk is one table row.

A row is a raw request body as the provider sends it, the status code expected back, and what
must be stored: how many inbound messages, their text and external id. Bad and missing
signatures or tokens are rows too. `run_inbound` / `run_status` execute a row against the app.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import func, select

from gateway.extensions import db
from gateway.models import Message


@dataclass
class Case:
    """One canned request and what it must produce."""

    label: str
    body: str | bytes                           # raw body, exactly as the provider posts it
    status: int                                 # expected HTTP status
    stored: int = 0                             # inbound messages stored after the request
    text: str | None = None                     # text of the stored message
    provider_id: str | None = None              # its external id
    query: str | None = "default"               # query string; "default" = the valid token
    headers: dict = field(default_factory=dict)
    content_type: str = "application/x-www-form-urlencoded"
    sign: str | None = None                     # "valid", "forged", "wrong-url" (Twilio rows)
    repeat: int = 1                             # post the same request this many times
    response_has: str | None = None             # substring expected in the response body
    extra: dict = field(default_factory=dict)   # expected subset of the stored message's extra

    def __str__(self) -> str:
        return self.label


def inbound_count() -> int:
    """Inbound messages stored."""
    return db.session.scalar(select(func.count()).select_from(Message).where(Message.direction == "in"))


def post(client, path: str, case: Case, default_query: str, signer: Callable | None = None):
    """Post a case's body (signed if asked) and return the response of the last repetition."""
    query = default_query if case.query == "default" else case.query
    url = path + (f"?{query}" if query else "")
    headers = dict(case.headers)
    if case.sign and signer is not None:
        headers.update(signer(url, case))
    response = None
    for _ in range(case.repeat):
        response = client.post(url, data=case.body, content_type=case.content_type, headers=headers)
    return response


def check(response, case: Case) -> None:
    """Assert the response status and what was stored."""
    body = response.get_data(as_text=True)
    assert response.status_code == case.status, f"{case.label}: {response.status_code} {body!r}"
    assert response.status_code != 500
    if case.response_has is not None:
        assert case.response_has in body, body
    assert inbound_count() == case.stored, f"{case.label}: stored {inbound_count()}"
    if case.stored:
        message = db.session.scalars(select(Message).where(Message.direction == "in")).first()
        if case.text is not None:
            assert message.text == case.text
        if case.provider_id is not None:
            assert message.provider_id == case.provider_id
        # The sender travels encrypted until the job links the contact: never in the clear.
        assert message.contact_id is not None or message.extra.get("sender")
        assert "+227" not in str(message.extra) and "+234" not in str(message.extra)
        for key, value in case.extra.items():
            assert message.extra.get(key) == value, (key, message.extra)
