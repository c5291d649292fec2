"""Per-channel send rates shared by every worker (SEND_RATES, SEND_RATE_PER_SECOND): a GCRA
reservation in Redis, so workers on several hosts keep one rate between them."""
from __future__ import annotations

from flask import current_app

from gateway import queue

# Each call books `units` slots after the last booked one and answers how long to wait before
# sending. Redis' own clock keeps workers on several hosts consistent. Refuses (books nothing)
# when the wait would exceed ARGV[3].
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local wait = tat - now
if wait > tonumber(ARGV[3]) then return {0, wait} end
local new_tat = tat + tonumber(ARGV[1]) * tonumber(ARGV[2])
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', math.floor((new_tat - now) / 1000) + 1000)
return {1, wait}
"""


def send_rate(channel: str) -> float:
    """Units per second allowed on `channel` (0 = unthrottled)."""
    config = current_app.config
    return config["SEND_RATES"].get(channel, config["SEND_RATE_PER_SECOND"])


def reserve(channel: str, units: int, max_wait: float) -> tuple[bool, float]:
    """Book `units` messages/segments on the channel's shared rate limiter.

    Returns (booked, seconds to wait before sending). Not booked when the wait exceeds `max_wait`.
    """
    rate = send_rate(channel)
    if rate <= 0 or units <= 0:
        return True, 0.0
    script = current_app.extensions.setdefault("campaign_rate_script",
                                               queue.connection().register_script(_RESERVE))
    booked, wait_us = script(keys=[f"murya:rate:{channel}"],
                             args=[1_000_000 / rate, units, int(max_wait * 1_000_000)])
    return bool(booked), int(wait_us) / 1_000_000


class Throttled(Exception):
    """The channel's rate is booked further ahead than a job should sleep."""

    def __init__(self, wait: float):
        super().__init__(f"throttled for {wait:.1f}s")
        self.wait = wait


def throttle(channel: str, units: int, max_wait: float) -> None:
    """Wait for the channel's rate limiter, or raise Throttled when the wait exceeds `max_wait`."""
    booked, wait = reserve(channel, units, max_wait)
    if not booked:
        raise Throttled(wait)
    if wait > 0:
        queue.pause(wait)
