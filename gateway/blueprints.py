"""Every blueprint of the app, in one list."""
from flask import Flask

from gateway.api import bp as api_bp
from gateway.api import routes as api_routes  # noqa: F401  (attaches the API's routes to api_bp)
from gateway.console import bp as console_bp
from gateway.console import root as root_bp
from gateway.console import views as console_views  # noqa: F401  (attaches the console's pages)
from gateway.web.health import bp as health_bp
from gateway.webhooks import blueprint as webhooks_blueprint


def register_all(app: Flask) -> None:
    """Register health, webhooks (generated per app from the channel registry), JSON API, staff
    console and the root that leads to it."""
    for bp in (health_bp, webhooks_blueprint(app), api_bp, console_bp, root_bp):
        app.register_blueprint(bp)
