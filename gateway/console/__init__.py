"""The staff console: server-rendered pages behind a session login."""
from flask import Blueprint

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates",
               static_folder="static", static_url_path="/static")

from gateway.console import auth, views  # noqa: E402,F401
