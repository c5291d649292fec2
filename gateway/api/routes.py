"""Route modules of the API; each registers on `gateway.api.bp` when imported."""
import importlib

from gateway.api import auth, openapi  # noqa: F401  (the token routes and /openapi.json)

# Modules are added here as capabilities land.
MODULES = ["gateway.api.reports", "gateway.api.activities", "gateway.api.contacts", "gateway.api.tickets",
           "gateway.api.exports", "gateway.api.audit", "gateway.api.messages", "gateway.api.campaigns"]

for _name in MODULES:
    importlib.import_module(_name)
