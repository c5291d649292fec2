"""The JSON API under /api/v1. Route modules attach themselves to `bp` when imported
(`gateway.api.routes` imports them all; `gateway.blueprints` imports that before registering)."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
