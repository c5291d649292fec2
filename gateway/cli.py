"""`flask --app wsgi …` administration commands."""
from __future__ import annotations

import importlib
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from flask_migrate import upgrade
from sqlalchemy import select
from werkzeug.serving import run_simple

from gateway.api.auth import create_token
from gateway import jobs
from gateway.config import REFERENCE_DATA, ConfigError, check_bind
from gateway.extensions import db
from gateway.models import User
from gateway.queue import run_worker, start_embedded_worker
from gateway.services.reference_data import load_all
from gateway.services.rules_seed import refresh_flag_rules
from workers.periodic import ensure_scheduled

users_cli = AppGroup("users", help="Staff console users.")
tokens_cli = AppGroup("tokens", help="API tokens.")

# Capability modules that bring their own command groups (each exposes `commands`: a list).
COMMAND_MODULES: list[str] = ["gateway.cli_privacy", "gateway.cli_language", "gateway.cli_menus"]


@click.command("seed")
@click.option("--data", "data_dir", type=click.Path(exists=True, file_okay=False),
              default=str(REFERENCE_DATA), show_default=True, help="folder holding niger/hnrp_2026_adm2.csv")
@click.option("--demo/--no-demo", default=True, help="also create demo activities")
@click.option("--refresh-rules", is_flag=True,
              help="also add this release's new terms to the shipped flag rules (admins' edits kept)")
@with_appcontext
def seed_command(data_dir: str, demo: bool, refresh_rules: bool) -> None:
    """Load reference data: regions, departments, categories, topics (and demo activities)."""
    counts = load_all(Path(data_dir), demo=demo)
    click.echo(", ".join(f"{k}: {v}" for k, v in counts.items()))
    if refresh_rules:
        changed = refresh_flag_rules()
        db.session.commit()
        click.echo(f"flag rules refreshed: {len(changed)} rules, "
                   f"{sum(len(terms) for terms in changed.values())} terms added")
        for name, terms in sorted(changed.items()):
            click.echo(f"  {name}: +{len(terms)}")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--role", type=click.Choice(["admin", "staff", "operator", "viewer"]), required=True)
@click.option("--name", default="")
@click.option("--sensitive/--no-sensitive", default=False, help="may see sensitive categories")
@click.password_option(prompt=True)
def create_user(email: str, role: str, name: str, sensitive: bool, password: str) -> None:
    """Create a console user (or reset the password and role of an existing one)."""
    email = email.strip().lower()
    user = db.session.scalar(select(User).where(User.email == email)) or User(email=email)
    user.role, user.name, user.sensitive_access = role, name, sensitive
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    click.echo(f"user {email} ({role}) saved")


@tokens_cli.command("create")
@click.option("--role", type=click.Choice(["admin", "staff", "operator", "viewer"]), required=True)
@click.option("--name", required=True)
@click.option("--sensitive/--no-sensitive", default=False, help="may see sensitive categories")
def create_token_command(role: str, name: str, sensitive: bool) -> None:
    """Create an API token; it is printed once, as the last line."""
    token = create_token(name, role, sensitive_access=sensitive)
    click.echo(f"token {name!r} with role {role} created; it will not be shown again:")
    click.echo(token)


@click.command("worker")
@click.option("--burst", is_flag=True, help="stop when the queues are empty")
@click.option("--with-scheduler/--without-scheduler", default=True, help="also run RQ's scheduler")
@click.option("--name", default=None, help="worker name (default: RQ's)")
@with_appcontext
def worker_command(burst: bool, with_scheduler: bool, name: str | None) -> None:
    """Run an RQ worker on the high, default and bulk queues (needs REDIS_URL)."""
    if not current_app.config.get("REDIS_URL"):
        raise click.ClickException("REDIS_URL is not set: without Redis the web process runs jobs itself")
    def on_start() -> None:
        # Again after every reconnection: a Redis restarted without its data lost them.
        if with_scheduler:
            ensure_scheduled()   # daily retention purge, sweeps, outbox relay (idempotent)
        jobs.enqueue(jobs.RELAY_OUTBOX)     # jobs the database held while Redis was away

    ok = run_worker(current_app._get_current_object(), burst=burst, with_scheduler=with_scheduler, name=name,
                    on_start=on_start)
    sys.exit(0 if ok or not burst else 1)


@click.command("serve")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=None, type=int)
@with_appcontext
def serve_command(host: str, port: int | None) -> None:
    """Development server with everything in one process (what `make run` starts)."""
    app = current_app._get_current_object()
    port = port or app.config["PORT"]
    try:
        check_bind(app.config, [host])
    except ConfigError as exc:
        # One clear line, before anything is migrated or started.
        raise SystemExit(f"murya: configuration error: {exc}") from None
    upgrade()
    load_all(REFERENCE_DATA, demo=True)
    password = app.config["MURYA_ADMIN_PASSWORD"] or "murya-admin"
    if db.session.scalar(select(User).where(User.email == "admin@murya.local")) is None:
        user = User(email="admin@murya.local", name="Demo admin", role="admin", sensitive_access=True)
        user.set_password(password)
        db.session.add(user)
        db.session.commit()
        login = f"admin@murya.local / {password}"
    else:
        login = "admin@murya.local (password as set before)"
    if not app.config.get("REDIS_URL"):
        start_embedded_worker(app)
    ensure_scheduled()   # daily retention purge, inbound sweep (idempotent)
    base = f"http://{host}:{port}"
    click.echo(f"\nMurya is running ({app.config['GATEWAY_ENV']}, SMS channel: {app.config['SMS_PROVIDER']}, "
               f"queue: {'Redis' if app.config.get('REDIS_URL') else 'in-process'})")
    click.echo(f"  Staff console:   {base}/console/   (sign in: {login})")
    click.echo(f"  Phone simulator: {base}/console/simulator")
    click.echo(f"  API:             {base}/api/v1/openapi.json")
    click.echo(f"  Health:          {base}/healthz\nPress Ctrl-C to stop.\n")
    try:
        # run_simple, not app.run: Flask ignores app.run() inside a `flask` command.
        run_simple(host, port, app, use_reloader=False, threaded=True)
    finally:
        worker = app.extensions.get("embedded_worker")
        if worker is not None:
            worker.stop()


def register(app: Flask) -> None:
    """Attach every command group to the app's CLI."""
    for command in (seed_command, users_cli, tokens_cli, worker_command, serve_command):
        app.cli.add_command(command)
    for module_name in COMMAND_MODULES:
        for command in importlib.import_module(module_name).commands:
            app.cli.add_command(command)
