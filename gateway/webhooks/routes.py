"""Webhook route modules; each registers on `gateway.webhooks.bp` when imported."""
import importlib

MODULES: list[str] = ["gateway.webhooks.sms", "gateway.webhooks.ussd"]

for _name in MODULES:
    importlib.import_module(_name)
