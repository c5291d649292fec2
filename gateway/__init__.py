"""Murya, the community feedback gateway. `create_app` (gateway/app.py) builds the app."""
from __future__ import annotations


def __getattr__(name: str):
    """`from gateway import create_app`, resolved on first use."""
    if name == "create_app":
        # Not at the top: this file runs on every `import gateway.x`, and the factory imports
        # the whole app (web layers, workers, channels) — a channel importing gateway.phone must
        # not pull in the web layers.
        from gateway.app import create_app
        return create_app
    raise AttributeError(f"module 'gateway' has no attribute {name!r}")
