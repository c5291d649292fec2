"""What runs around every request is declared once (gateway/web/hooks.py) and runs on the fast
path (gateway/webhooks/fastpath.py) as it does through Flask."""
from __future__ import annotations

import logging
import os

import pytest

from gateway.web import hooks
from gateway.webhooks import fastpath
from menus.engine import Engine

URL = "/ussd/africastalking"
FORM = {"sessionId": "ATUid_h1", "serviceCode": "*384*1010#", "phoneNumber": "+22790111222", "text": ""}


def fast_hop(client, session="ATUid_h1"):
    return client.post(URL, data={**FORM, "sessionId": session})


def flask_hop(client, session="ATUid_h2"):
    return client.post(URL, data={**FORM, "sessionId": session}, content_type="multipart/form-data")


def test_declared_hooks_run_on_the_fast_path_and_through_flask(app, client, seeded, flask_requests):
    ran = []
    hooks.before_request(app, lambda info: ran.append(("before", info.method, info.path)))
    hooks.after_request(app, lambda info, status: ran.append(("after", info.path, status)))
    hooks.teardown_request(app, lambda info, exc: ran.append(("teardown", info.path, exc)))

    assert fast_hop(client).status_code == 200 and flask_requests == []
    fast, ran[:] = list(ran), []
    assert flask_hop(client).status_code == 200 and flask_requests == [1]
    assert fast == ran == [("before", "POST", URL), ("after", URL, 200), ("teardown", URL, None)]


def test_after_hooks_see_the_status_of_a_refused_request_on_both_paths(make_app):
    app = make_app(AT_CALLBACK_TOKEN="s3cret")
    statuses = []
    hooks.after_request(app, lambda info, status: statuses.append(status))
    client = app.test_client()
    assert fast_hop(client).status_code == 403 and flask_hop(client).status_code == 403
    assert statuses == [403, 403]


class Overloaded(Exception):
    pass


def test_a_declared_error_handler_answers_on_both_paths(app, client, seeded, monkeypatch):
    hooks.errorhandler(app, Overloaded, lambda exc, info: ("END Try again later", 200, "text/plain; charset=utf-8"))

    def overloaded(self, hop):
        raise Overloaded()
    monkeypatch.setattr(Engine, "handle", overloaded)
    fast, slow = fast_hop(client), flask_hop(client)
    assert (fast.status_code, fast.data) == (slow.status_code, slow.data) == (200, b"END Try again later")


def test_a_failing_hook_is_a_logged_500_on_both_paths(app, client, seeded, caplog):
    def broken(info):
        raise RuntimeError("boom")
    hooks.before_request(app, broken)
    with caplog.at_level(logging.ERROR):
        fast, slow = fast_hop(client), flask_hop(client)
    assert (fast.status_code, fast.data) == (slow.status_code, slow.data) == (500, b"internal error")
    assert caplog.text.count("unhandled error on POST /ussd/africastalking") == 2


def test_a_hook_registered_with_flask_alone_stops_the_fast_path(app):
    @app.before_request
    def forgotten():
        return None
    assert hooks.undeclared(app, ("webhooks",)) == [f"before_request {forgotten.__qualname__}"]
    with pytest.raises(RuntimeError, match="forgotten"):
        fastpath.install(app)


def test_the_embedded_worker_start_is_a_declared_hook(make_app):
    if os.environ.get("REDIS_URL"):
        pytest.skip("the embedded worker exists only without Redis")
    app = make_app(EMBEDDED_WORKER=True)
    assert len(hooks.hooks(app).before) == len(app.before_request_funcs[None]) == 1
    assert hooks.undeclared(app, ("webhooks",)) == []
