"""Shared fixtures: app, client, runner, clean database and Redis, queue draining, no network."""
from __future__ import annotations

import contextvars
import os
import socket
from datetime import datetime, timezone

import pytest
from flask import has_app_context, request_started
from flask.testing import FlaskClient
from sqlalchemy import text

from gateway import create_app
from gateway.config import REFERENCE_DATA, TestConfig
from gateway.extensions import db

pytest_plugins = ["tests.fakes.fixtures"]

LOOPBACK = ("127.", "::1", "localhost")


@pytest.fixture(autouse=True)
def block_network(monkeypatch):
    """Any connection leaving this machine fails the test: providers are faked locally."""
    real_connect = socket.socket.connect

    def guarded(sock, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and sock.family in (socket.AF_INET, socket.AF_INET6) \
                and not host.startswith(LOOPBACK):
            raise RuntimeError(f"test tried to reach the network: {host}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


def _test_config(tmp_dir, config_class: type[TestConfig] = TestConfig, **overrides) -> TestConfig:
    """The test settings (gateway/config.py's schema validates `overrides` as it does the
    environment): embedded SQLite in `tmp_dir` unless TEST_DATABASE_URL is set."""
    if not os.environ.get("TEST_DATABASE_URL"):
        overrides.setdefault("DATABASE_URL", f"sqlite:///{tmp_dir}/test.db")
    return config_class(**overrides)


@pytest.fixture(scope="session")
def _schema(tmp_path_factory):
    """Build the schema once with the real migrations; each test then starts from empty tables."""
    tmp_dir = tmp_path_factory.mktemp("db")
    app = create_app(_test_config(tmp_dir))
    with app.app_context():
        from flask_migrate import downgrade, upgrade
        if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
            # Start from nothing, whatever an earlier run left behind.
            downgrade(revision="base")
        upgrade()
        db.session.remove()
        db.engine.dispose()
    app.extensions["redis"].close()
    return tmp_dir


def _empty_tables() -> None:
    tables = [t for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture
def make_app(_schema):
    """Build an app with config overrides; the first one built also cleans the database."""
    apps = []

    def factory(config_class: type[TestConfig] = TestConfig, **overrides):
        """`config_class`: the test settings with more declared (a test's own provider)."""
        app = create_app(_test_config(_schema, config_class, **overrides))
        apps.append(app)
        return app
    yield factory
    for app in apps:
        worker = app.extensions.get("embedded_worker")
        if worker is not None:
            worker.stop()
            worker.thread.join(timeout=5)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        app.extensions["redis"].close()
        app.extensions["redis"].connection_pool.disconnect()


@pytest.fixture
def app(request, make_app):
    """The app under test, inside an app context, with empty tables and an empty Redis.

    A test that asks for `clock` gets it frozen here, before the app and any data exist,
    whatever the order of its arguments: data dated from the real clock and then read under a
    frozen one would make the answer depend on the hour the suite runs.
    """
    if "clock" in request.fixturenames:
        request.getfixturevalue("clock")
    app = make_app()
    with app.app_context():
        _empty_tables()
        app.extensions["redis"].flushdb()
        yield app
        db.session.remove()


class IsolatedClient(FlaskClient):
    """A test client whose requests run in their own app context, as in production.

    The test's own context (and its session) stays apart: what the test wrote is committed
    before the request, and the test's view is refreshed after it.
    """

    def open(self, *args, **kwargs):
        outer = has_app_context()
        if outer:
            db.session.commit()
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if outer:
            db.session.expire_all()
        return response


@pytest.fixture
def client(app):
    app.test_client_class = IsolatedClient
    return app.test_client()


@pytest.fixture
def flask_requests(app):
    """How many requests went through Flask's request machinery (the fast path,
    gateway/webhooks/fastpath.py, answers others in front of it)."""
    seen = []

    def started(sender, **extra):
        seen.append(1)
    request_started.connect(started, app)
    yield seen
    request_started.disconnect(started, app)


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def drain(app):
    """Run every queued job with a real RQ worker, as a deployment's worker would."""
    from gateway.queue import drain as drain_queue

    def run(max_jobs=None) -> int:
        db.session.commit()          # let the worker see what the test wrote
        ran = drain_queue(app, max_jobs=max_jobs)
        db.session.expire_all()      # and let the test see what the worker wrote
        return ran
    return run


@pytest.fixture
def seeded(app):
    """Reference data loaded: regions, departments, categories, topics, demo activities."""
    from gateway.services.reference_data import load_all
    return load_all(REFERENCE_DATA, demo=True)


FROZEN = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)  # 10:00 in Niamey


@pytest.fixture
def clock():
    """The clock frozen at FROZEN; `clock.shift(seconds)` moves it. Frozen before the `app`
    fixture builds anything (see `app`), so every row a test creates is dated from FROZEN."""
    import time_machine
    with time_machine.travel(FROZEN, tick=False) as traveller:
        yield traveller


@pytest.fixture
def api(app, client):
    """A JSON API client: `api.get(path, role="staff")`, with one token per role."""
    from gateway.api.auth import create_token

    class Api:
        tokens: dict[str, str] = {}

        def token(self, role: str, sensitive: bool = False) -> str:
            key = f"{role}:{sensitive}"
            if key not in self.tokens:
                self.tokens[key] = create_token(f"test-{key}", role, sensitive_access=sensitive)
            return self.tokens[key]

        def _headers(self, role, sensitive):
            return {"Authorization": f"Bearer {self.token(role, sensitive)}"}

        def get(self, path, role="admin", sensitive=False, **kw):
            return client.get(path, headers=self._headers(role, sensitive), **kw)

        def post(self, path, role="admin", sensitive=False, **kw):
            return client.post(path, headers=self._headers(role, sensitive), **kw)

        def patch(self, path, role="admin", sensitive=False, **kw):
            return client.patch(path, headers=self._headers(role, sensitive), **kw)

        def delete(self, path, role="admin", sensitive=False, **kw):
            return client.delete(path, headers=self._headers(role, sensitive), **kw)
    return Api()


def csrf(client) -> str:
    """The console form token of `client`'s session (the login page renders it)."""
    import re
    page = client.get("/console/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@pytest.fixture
def login(app, client):
    """Console sign-in: `login("operator")` creates the user and signs the client in."""
    from gateway.models import User

    def sign_in(role: str = "admin", email: str | None = None, sensitive: bool = False):
        email = email or f"{role}@example.org"
        user = db.session.query(User).filter_by(email=email).one_or_none()
        if user is None:
            user = User(email=email, name=role.title(), role=role, sensitive_access=sensitive)
            user.set_password("correct horse")
            db.session.add(user)
            db.session.commit()
        response = client.post("/console/login", data={"email": email, "password": "correct horse",
                                                        "csrf_token": csrf(client)})
        assert response.status_code == 302, response.data
        return user
    return sign_in
