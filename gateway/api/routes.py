"""Route modules of the API; each registers on `gateway.api.bp` when imported."""
import importlib

# Modules are added here as capabilities land.
MODULES = ["gateway.api.reports"]

for _name in MODULES:
    importlib.import_module(_name)
