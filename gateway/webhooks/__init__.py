"""Provider webhooks (SMS and USSD). Route modules attach to `bp` on import."""
from flask import Blueprint

bp = Blueprint("webhooks", __name__)

from gateway.webhooks import routes  # noqa: E402,F401
