"""SMS webhooks: what an inbound message, a delivery report and an opt-out do once the channel
has authenticated them (routes.py generates the URLs from the channels' declarations).

The channel parses (400 on malformed bodies, nothing stored), one service stores, and the
channel's reply answers. `request` is Flask's request or, on the fast path, a FormRequest.
"""
from __future__ import annotations

from gateway.services import inbound
from handlers.base import Channel


def answer_inbound(channel: Channel, request) -> tuple[str, str]:
    """Store the SMS a person sent (once per provider id); the channel's empty reply."""
    inbound.receive(channel.parse_inbound(request))
    return channel.reply()


def answer_status(channel: Channel, request) -> tuple[str, str]:
    """Apply delivery reports (never backwards)."""
    inbound.apply_statuses(channel.parse_status(request))
    return channel.reply()


def answer_optout(channel: Channel, request) -> tuple[str, str]:
    """Stop the numbers the provider says left."""
    inbound.opt_out(channel.name, channel.parse_optout(request))
    return channel.reply()
