"""Webhook route modules; each registers on `gateway.webhooks.bp` when imported."""
import importlib

MODULES: list[str] = []

for _name in MODULES:
    importlib.import_module(_name)
