"""The foundation: factory, configuration, health, metrics, queue, CLI."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gateway.extensions import db
from gateway.queue import enqueue

ROOT = Path(__file__).resolve().parent.parent


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"database": "ok", "queue": "ok"}


def test_healthz_names_the_queue_when_redis_is_down(make_app):
    app = make_app(REDIS_URL="redis://127.0.0.1:1/0")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["database"] == "ok"
    assert body["queue"].startswith("error")


def test_metrics_prometheus_text(client, seeded):
    from tests.factories import ReportFactory
    ReportFactory()
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    body = response.get_data(as_text=True)
    assert 'murya_reports{status="new"} 1.0' in body
    assert 'murya_queue_jobs{queue="high"}' in body


def record_job(key: str) -> str:
    """A job that writes to Redis, to see it ran."""
    from gateway.queue import connection
    connection().set(key, "done")
    return key


def test_job_runs_on_a_real_worker(app, drain):
    job = enqueue(record_job, "k1")
    assert drain() == 1
    assert app.extensions["redis"].get("k1") == b"done"
    assert job.get_status(refresh=True) == "finished"


def test_embedded_worker_runs_jobs_enqueued_by_the_app(make_app):
    if os.environ.get("REDIS_URL"):
        pytest.skip("the embedded worker exists only without Redis")
    app = make_app(EMBEDDED_WORKER=True)
    client = app.test_client()
    assert client.get("/healthz").status_code == 200      # first request starts the worker
    with app.app_context():
        enqueue(record_job, "k2")
    deadline = time.time() + 10
    while time.time() < deadline and app.extensions["redis"].get("k2") is None:
        time.sleep(0.05)
    assert app.extensions["redis"].get("k2") == b"done"
    app.extensions["embedded_worker"].stop()


def test_a_ussd_hop_starts_the_embedded_worker_too(make_app):
    """Hops are answered in front of Flask's before_request (gateway/webhooks/fastpath.py)."""
    if os.environ.get("REDIS_URL"):
        pytest.skip("the embedded worker exists only without Redis")
    app = make_app(EMBEDDED_WORKER=True)
    assert app.extensions["embedded_worker"] is None
    response = app.test_client().post("/ussd/africastalking", data={
        "sessionId": "ATUid_w", "serviceCode": "*384*1010#", "phoneNumber": "+22790111222", "text": ""})
    assert response.status_code == 200
    assert app.extensions["embedded_worker"] is not None
    app.extensions["embedded_worker"].stop()


def test_scheduled_jobs_move_with_rqs_scheduler(app, drain):
    from datetime import timedelta
    enqueue(record_job, "k3", delay=timedelta(seconds=0))
    time.sleep(0.01)
    drain()
    assert app.extensions["redis"].get("k3") == b"done"


def _run_cli(env_overrides: dict, *args) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AT_", "TWILIO_", "SECRET", "DATA_KEY"))}
    env.update(env_overrides)
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


PRODUCTION = {"GATEWAY_ENV": "production", "SECRET_KEY": "s", "DATA_KEY": "d",
              "DATABASE_URL": "sqlite:////tmp/never-used.db", "REDIS_URL": "redis://127.0.0.1:6379/0",
              "SMS_PROVIDER": "africastalking", "AT_USERNAME": "u", "AT_API_KEY": "k",
              "AT_CALLBACK_TOKEN": "t"}


@pytest.mark.parametrize("missing", ["SECRET_KEY", "DATA_KEY", "DATABASE_URL", "REDIS_URL", "SMS_PROVIDER",
                                     "AT_API_KEY", "AT_CALLBACK_TOKEN"])
def test_production_refuses_to_start_without_a_secret(missing):
    env = dict(PRODUCTION)
    env[missing] = ""
    result = _run_cli(env, "routes")
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines[-1].startswith("murya: configuration error:") and missing in lines[-1]
    assert "Traceback" not in result.stderr


def test_production_starts_with_everything_set():
    pytest.importorskip("handlers.africastalking")
    result = _run_cli(PRODUCTION, "routes")
    assert result.returncode == 0, result.stderr
    assert "/ussd/africastalking" in result.stdout or "/healthz" in result.stdout


def test_tokens_create_prints_the_token_last(runner, client):
    result = runner.invoke(args=["tokens", "create", "--role", "viewer", "--name", "partner"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("mur_")
    ok = client.get("/api/v1/reports", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200
    assert client.get("/api/v1/reports", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_seed_loads_regions_and_departments(runner):
    from gateway.models import AdminArea
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    assert "regions: 8, departments: 67" in result.output
    assert db.session.get(AdminArea, "NE006011").name == "Téra"
    assert db.session.get(AdminArea, "NE006011").parent_pcode == "NE006"
    again = runner.invoke(args=["seed"])     # idempotent
    assert again.exit_code == 0
    assert db.session.query(AdminArea).count() == 75


def test_users_create_and_console_login(runner, client):
    result = runner.invoke(args=["users", "create", "--email", "Op@Example.org", "--role", "operator",
                                 "--password", "s3cret-pass"])
    assert result.exit_code == 0, result.output
    assert client.get("/console/").status_code == 302
    from tests.conftest import csrf
    forged = client.post("/console/login", data={"email": "op@example.org", "password": "s3cret-pass"})
    assert forged.status_code == 403                  # no form token: refused, not signed in
    assert client.get("/console/").status_code == 302
    bad = client.post("/console/login", data={"email": "op@example.org", "password": "wrong",
                                              "csrf_token": csrf(client)})
    assert bad.status_code == 200 and "E-mail ou mot de passe incorrect" in bad.get_data(as_text=True)
    good = client.post("/console/login", data={"email": "op@example.org", "password": "s3cret-pass",
                                               "csrf_token": csrf(client)})
    assert good.status_code == 302
    assert client.get("/console/").status_code == 200


@pytest.mark.parametrize("query", [
    "next=//evil.example/x", "next=/%09/evil.example", "next=/%5Cevil.example", "next=%5C%5Cevil.example",
    "next=/%5C/evil.example", "next=https://evil.example/", "next=javascript:alert(1)", "next=%2F%2Fevil.example",
    "next=/%250A/evil.example", "next=%252F%252Fevil.example", "next=/%0D%0A/evil.example", "next=evil.example",
    "next=/console/%09", "next=///evil.example", "next=/%E3%80%80/evil.example",
])
def test_login_never_redirects_off_site(client, login, query):
    login("viewer")
    from tests.conftest import csrf
    response = client.post(f"/console/login?{query}",
                           data={"email": "viewer@example.org", "password": "correct horse", "csrf_token": csrf(client)})
    assert response.headers["Location"] == "/console/"


def test_login_returns_to_the_local_page_asked(client, login):
    login("viewer")
    from tests.conftest import csrf
    response = client.post("/console/login?next=/console/reports%3Fstatus%3Dnew",
                           data={"email": "viewer@example.org", "password": "correct horse", "csrf_token": csrf(client)})
    assert response.headers["Location"] == "/console/reports?status=new"


def test_audit_log_is_append_only(app):
    from gateway.models.audit import AuditLogIsAppendOnly
    from gateway.services import audit
    entry = audit.record("system", "test", "thing", 1, why="because")
    db.session.commit()
    entry.action = "changed"
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    db.session.delete(entry)
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.commit()
    db.session.rollback()


def test_api_errors_are_json(client, api):
    assert client.get("/api/v1/reports").get_json()["error"]["code"] == "unauthorized"
    response = api.get("/api/v1/reports?status=bogus")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_parameter"
    assert api.get("/api/v1/nothing-here").get_json()["error"]["code"] == "not_found"
    assert api.get("/api/v1/reports", role="viewer").status_code == 200


def test_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert "/reports" in spec["paths"]


def test_roundtrip_answers_every_command_in_order(app):
    from gateway.queue import roundtrip
    replies = roundtrip(("SET", "rt:a", "1", "EX", 60), ("GET", "rt:a"), ("MGET", "rt:a", "rt:none"),
                        ("SET", "rt:a", "2", "NX"), ("LPUSH", "rt:list", "x", "y"))
    assert replies == [b"OK", b"1", [b"1", None], None, 2]
    assert app.extensions["redis"].ttl("rt:a") > 0


def test_roundtrip_error_reply_raises_after_reading_every_reply(app):
    """The connection stays in step: the next call gets its own answers, not the rest of these."""
    import redis
    from gateway.queue import roundtrip
    roundtrip(("SET", "rt:text", "not a number"))
    with pytest.raises(redis.ResponseError):
        roundtrip(("INCR", "rt:text"), ("SET", "rt:after", "written"), ("GET", "rt:text"))
    assert roundtrip(("GET", "rt:after"), ("GET", "rt:text")) == [b"written", b"not a number"]


def test_roundtrip_survives_a_dropped_connection(app):
    """Redis restarted or the connection killed: the commands go once more on a new connection."""
    from gateway.queue import roundtrip
    own_id = roundtrip(("CLIENT", "ID"))[0]
    if os.environ.get("REDIS_URL"):
        app.extensions["redis"].client_kill_filter(_id=own_id)
    else:
        import gateway.queue
        gateway.queue._links.link[1].disconnect()
    assert roundtrip(("SET", "rt:b", "ok"), ("GET", "rt:b")) == [b"OK", b"ok"]
    assert roundtrip(("CLIENT", "ID"))[0] != own_id


def test_roundtrip_keeps_one_connection_per_thread(app):
    import threading
    from gateway.queue import roundtrip
    ids = [roundtrip(("CLIENT", "ID"))[0], roundtrip(("CLIENT", "ID"))[0]]

    def other():
        with app.app_context():
            ids.append(roundtrip(("CLIENT", "ID"))[0])
    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert ids[0] == ids[1] != ids[2]
