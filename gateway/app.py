"""The application factory: `create_app()` builds a gateway app from a list of `register_*` steps."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from flask import Flask

import handlers
import menus
from gateway import crypto, jobs, queue
from gateway.blueprints import register_all
from gateway.cli import register as register_cli
from gateway.config import INSTANCE, BaseConfig, ConfigError, load_config
from gateway.console import locale
from gateway.console.errors import error_page
from gateway.errors import register as register_errors
from gateway.extensions import db, migrate
from gateway.logs import install_redaction
from gateway.sessions import CookielessFastSessionInterface
from gateway.web import hooks, parsing
from gateway.webhooks import fastpath


def create_app(config: BaseConfig | dict | None = None) -> Flask:
    """Build a gateway app. `config` is a config object, or overrides on top of GATEWAY_ENV's."""
    with configuration_errors_stop_start_up():
        app = Flask("gateway", instance_relative_config=True)     # the package: its folder, its logger
        app.config.update(_config(config).flask_config())
        app.session_interface = CookielessFastSessionInterface()
        register_logging(app)
        register_parsing(app)
        register_extensions(app)
        register_i18n(app)
        register_channels(app)
        register_menus(app)
        register_request_hooks(app)
        register_blueprints(app)
        register_errorhandlers(app)
        register_commands(app)
        register_fast_paths(app)
    return app


@contextmanager
def configuration_errors_stop_start_up():
    """A ConfigError while building (a missing secret, an invalid setting) becomes one line."""
    try:
        yield
    except ConfigError as exc:
        # One clear line, no traceback: this is an operator's mistake, not a bug.
        raise SystemExit(f"murya: configuration error: {exc}") from None


def _config(config: BaseConfig | dict | None) -> BaseConfig:
    """The validated settings: `config` itself, or GATEWAY_ENV's with the overrides `config` gives."""
    if isinstance(config, BaseConfig):
        return config
    overrides = dict(config or {})
    return load_config(overrides.pop("GATEWAY_ENV", None), **overrides)


def register_logging(app: Flask) -> None:
    """Logs carry no phone numbers, message text or credentials: a filter scrubs what slips in."""
    install_redaction(app)


def register_parsing(app: Flask) -> None:
    """JSON bodies of bounded depth without NUL characters; `<int:…>` ids that fit a column
    (gateway/web/parsing.py). Before any route is added: routes compile their converters then."""
    parsing.init_app(app)


def register_extensions(app: Flask) -> None:
    """Database, migrations, encryption keys and the queue."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        INSTANCE.mkdir(parents=True, exist_ok=True)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(_migrations_dir()), render_as_batch=True)
    crypto.init_app(app)
    queue.init_app(app)
    jobs.init_app(app)


def _migrations_dir():
    return Path(__file__).resolve().parent.parent / "migrations"


def register_i18n(app: Flask) -> None:
    """The console's own language (French, or English), with Flask-Babel."""
    locale.init_app(app)


def register_channels(app: Flask) -> None:
    """Build the channels (SDK clients are created here and injected); production refuses to
    start without the settings the configured provider and the USSD protocols declare."""
    handlers.init_app(app)


def register_menus(app: Flask) -> None:
    """Load and validate the USSD journeys; an invalid journey stops start-up."""
    menus.init_app(app)


def register_request_hooks(app: Flask) -> None:
    """What runs around every request, Flask's or the fast path's (gateway/web/hooks.py)."""
    if app.extensions["embedded_worker_wanted"]:
        hooks.before_request(app, lambda info: queue.ensure_embedded_worker(app))


def register_blueprints(app: Flask) -> None:
    """Webhooks (generated from the channels' declarations), JSON API, staff console, health."""
    register_all(app)


def register_errorhandlers(app: Flask) -> None:
    """JSON errors under /api and on webhooks; nothing a caller sends produces a 500 page."""
    register_errors(app, error_page)


def register_fast_paths(app: Flask) -> None:
    """The webhooks channels declare `fast` answered in front of Flask's request machinery
    (gateway/webhooks/fastpath.py)."""
    fastpath.install(app)


def register_commands(app: Flask) -> None:
    """`flask --app wsgi …` administration commands."""
    register_cli(app)
