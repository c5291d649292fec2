"""Channels, one module per provider, registered by name. Nothing provider-specific lives elsewhere.

Each registered class declares its webhook routes, auth, production settings, status and error
maps and its send function (handlers/base.py); from these the app generates its webhook views
and fast-path table (gateway/webhooks/) and its production check (`check_production` below).
Adding a provider: one module and one line here (docs/ARCHITECTURE.md, "Adding a provider").
"""
from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping

from flask import Flask, current_app

from gateway.config import ConfigError
from handlers.base import Channel, Endpoint
from handlers.ussd import UssdProtocol

# SMS channels: name -> "module:Class" (or the class); modules are imported when the app is built.
CHANNELS: dict[str, str | type[Channel]] = {
    "fake": "handlers.fake:FakeChannel",
    "africastalking": "handlers.africastalking:AfricasTalkingChannel",
    "twilio": "handlers.twilio:TwilioChannel",
    "http": "handlers.http:HttpChannel",
}
# USSD protocols (aggregators' wire formats), the same way.
USSD_PROTOCOLS: dict[str, str | type[UssdProtocol]] = {
    "africastalking": "handlers.africastalking.ussd:AfricasTalkingUssd",
}


def _load(entry: str | type[Endpoint]) -> type[Endpoint]:
    if not isinstance(entry, str):
        return entry
    module, _, cls = entry.partition(":")
    return getattr(importlib.import_module(module), cls)


def _classes(registry: Mapping[str, str | type[Endpoint]]) -> dict[str, type[Endpoint]]:
    classes = {}
    for name, entry in registry.items():
        cls = _load(entry)
        if cls.name != name:
            raise TypeError(f"{cls.__name__} is registered as {name!r} but named {cls.name!r}")
        problems = cls.declaration_problems()
        if problems:
            raise TypeError("; ".join(problems))
        classes[name] = cls
    return classes


def init_app(app: Flask) -> None:
    """Build every channel and USSD protocol (parsing webhooks needs no credentials);
    SMS_PROVIDER sends by default. Production refuses to start without what they declare."""
    channels, protocols = _classes(CHANNELS), _classes(USSD_PROTOCOLS)
    check_production(app.config, channels, protocols)
    if app.config["SMS_PROVIDER"] not in channels:
        raise ConfigError(f"SMS_PROVIDER must be one of {', '.join(channels)}, got {app.config['SMS_PROVIDER']!r}")
    app.extensions["channels"] = {name: cls(app.config) for name, cls in channels.items()}
    app.extensions["ussd_protocols"] = {name: cls(app.config) for name, cls in protocols.items()}


def check_production(config: Mapping, channels: Mapping[str, type[Channel]],
                     protocols: Mapping[str, type[UssdProtocol]]) -> None:
    """In production: SMS_PROVIDER names a channel that is not development-only, and every
    setting it and every USSD protocol (whose routes are always live) require is set.
    Raises ConfigError naming the first gap."""
    if config.get("GATEWAY_ENV") != "production":
        return
    provider = config.get("SMS_PROVIDER")
    allowed = [name for name, cls in channels.items() if not cls.development_only]
    if provider not in allowed:
        raise ConfigError(f"SMS_PROVIDER must be one of {', '.join(allowed)} in production, got {provider!r}")
    for name in channels[provider].required_settings():
        if not config.get(name):
            raise ConfigError(f"{name} is required in production with SMS_PROVIDER={provider}")
    for protocol, cls in protocols.items():
        for name in cls.required_settings():
            if not config.get(name):
                raise ConfigError(f"{name} is required in production (USSD through {protocol})")


def endpoints(app: Flask) -> Iterator[tuple[str, Endpoint]]:
    """Every built endpoint with the `app.extensions` key it lives under."""
    for family in ("channels", "ussd_protocols"):
        for endpoint in app.extensions[family].values():
            yield family, endpoint


def get_channel(name: str) -> Channel:
    """A channel by name (KeyError when unknown)."""
    return current_app.extensions["channels"][name]


def get_protocol(name: str) -> UssdProtocol:
    """A USSD protocol by name (KeyError when unknown)."""
    return current_app.extensions["ussd_protocols"][name]


def sending_channel(preferred: str | None = None) -> Channel:
    """The channel to send on: `preferred` (e.g. where the person wrote from) if it can send,
    else the configured SMS_PROVIDER."""
    channels = current_app.extensions["channels"]
    if preferred in channels and channels[preferred].can_send():
        return channels[preferred]
    return channels[current_app.config["SMS_PROVIDER"]]
