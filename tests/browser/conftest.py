"""Browser test fixtures: the app on a live local server and a Chromium page driving it.

Reusable by any browser test under tests/browser/:
- `live_server`: the test's own `app` (same database and queue as the test) served by a werkzeug
  server thread on 127.0.0.1; `live_server.url` is its base URL. Commit what the test wrote
  before the browser looks, and `db.session.rollback()` before reading what the browser did.
- `page`: a fresh Playwright page (sync API) in Debian's Chromium, default timeout 5 s.
- `console_login(role)`: creates a user with `role` and signs the page in; returns the user.
Mark tests `@pytest.mark.browser` (or `pytestmark`); they skip (with the reason) only when no Chromium binary is found.
"""
from __future__ import annotations

import os
import shutil
import threading
from dataclasses import dataclass

import pytest
from werkzeug.serving import make_server

from gateway.extensions import db

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PASSWORD = "correct horse battery"


def chromium_path() -> str | None:
    """CHROMIUM_PATH (set by .ci/run), else Debian's chromium on PATH."""
    for candidate in (os.environ.get("CHROMIUM_PATH"), shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the whole session (starting it is the slow part)."""
    path = chromium_path()
    if path is None:
        pytest.skip("no chromium binary found (set CHROMIUM_PATH or install Debian's chromium)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@dataclass
class LiveServer:
    """A running server: `url` is its base, `app` the Flask app it serves."""

    url: str
    app: object


@pytest.fixture
def live_server(app):
    """The test's app served on 127.0.0.1 (random port) by a werkzeug thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


@pytest.fixture
def page(browser, live_server):
    """A fresh page (own cookies) whose relative URLs go to the live server."""
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(5000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def console_login(page, live_server):
    """`console_login("operator")`: create that user and sign the page in through the form."""
    from gateway.models import User

    def sign_in(role: str = "admin", email: str | None = None, sensitive: bool = False) -> User:
        email = email or f"{role}@example.org"
        user = db.session.query(User).filter_by(email=email).one_or_none()
        if user is None:
            user = User(email=email, name=f"{role.title()} user", role=role, sensitive_access=sensitive)
            user.set_password(PASSWORD)
            db.session.add(user)
        db.session.commit()
        page.goto("/console/login")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", PASSWORD)
        page.click("form.card button[type=submit]")
        # Attached, not visible: at phone width the menu is folded behind its button.
        page.wait_for_selector("header.top #menu", state="attached")
        return user
    return sign_in
