"""Channels, one module per provider, registered by name. Nothing provider-specific lives elsewhere."""
from __future__ import annotations

import importlib

from flask import Flask, current_app

from handlers.base import Channel

# name -> "module:Class"; modules are imported when the app is built.
REGISTRY = {
    "fake": "handlers.fake:FakeChannel",
    "africastalking": "handlers.africastalking:AfricasTalkingChannel",
    "twilio": "handlers.twilio:TwilioChannel",
    "http": "handlers.http:HttpChannel",
}


def _load(path: str) -> type[Channel]:
    module, _, cls = path.partition(":")
    return getattr(importlib.import_module(module), cls)


def init_app(app: Flask) -> None:
    """Build every channel (parsing webhooks needs no credentials); SMS_PROVIDER sends by default."""
    channels: dict[str, Channel] = {name: _load(path)(app.config) for name, path in REGISTRY.items()}
    if app.config["SMS_PROVIDER"] not in channels:
        raise RuntimeError(f"unknown SMS_PROVIDER {app.config['SMS_PROVIDER']!r}")
    app.extensions["channels"] = channels


def get_channel(name: str) -> Channel:
    """A channel by name (KeyError when unknown)."""
    return current_app.extensions["channels"][name]


def sending_channel(preferred: str | None = None) -> Channel:
    """The channel to send on: `preferred` (e.g. where the person wrote from) if it can send,
    else the configured SMS_PROVIDER."""
    channels = current_app.extensions["channels"]
    if preferred in channels and channels[preferred].can_send():
        return channels[preferred]
    return channels[current_app.config["SMS_PROVIDER"]]
