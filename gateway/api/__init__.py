"""The JSON API under /api/v1. Route modules attach themselves to `bp` on import."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from gateway.api import auth, openapi  # noqa: E402,F401  (registers routes)
from gateway.api import routes  # noqa: E402,F401
