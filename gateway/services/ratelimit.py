"""Per-sender rate limiting on Redis: a fixed window counter per key.

Flooding a short code must not flood replies or hotline tickets: the inbound job stores every
message (nothing is dropped) but stops replying and ticketing for a sender beyond
INBOUND_RATE_LIMIT messages per INBOUND_RATE_WINDOW seconds.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from gateway import queue


@dataclass
class Decision:
    """`allowed` is False beyond the limit; `first_refusal` is True exactly once per window
    (to tell the person once, not every time)."""

    allowed: bool
    count: int
    limit: int
    first_refusal: bool = False


def hit(key: str, limit: int | None = None, window: int | None = None) -> Decision:
    """Count one event for `key` (e.g. `sms:contact:42`) and decide whether it is within the limit."""
    limit = limit if limit is not None else current_app.config["INBOUND_RATE_LIMIT"]
    window = window if window is not None else current_app.config["INBOUND_RATE_WINDOW"]
    name = f"ratelimit:{key}"
    pipe = queue.connection().pipeline()
    pipe.incr(name)
    pipe.expire(name, window, nx=True)   # the window starts at the first event
    count = pipe.execute()[0]
    if limit <= 0:
        return Decision(True, count, limit)
    return Decision(count <= limit, count, limit, first_refusal=count == limit + 1)


def reset(key: str) -> None:
    """Forget the counter for `key`."""
    queue.connection().delete(f"ratelimit:{key}")
