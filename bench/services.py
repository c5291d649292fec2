"""Start and stop the real services a benchmark needs: Redis, PostgreSQL, gunicorn.

Everything listens on 127.0.0.1 at private ports and lives in a temporary folder that is
removed on stop. Benchmarks use these as context managers so nothing is left running.
"""
from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def free_port() -> int:
    """An unused TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env() -> dict:
    """The environment for a database or Redis server: without libfaketime's preload, so a
    test run under `faketime` (.ci/run) moves the gateway's clock, not the servers' (as in
    production, where they keep their own time)."""
    env = dict(os.environ)
    for name in ("LD_PRELOAD", "FAKETIME", "FAKETIME_NO_CACHE", "DONT_FAKE_MONOTONIC"):
        env.pop(name, None)
    return env


def wait_for_port(port: int, timeout: float = 20) -> None:
    """Block until something accepts connections on `port`."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on port {port} after {timeout}s")


@contextlib.contextmanager
def redis_server():
    """A throw-away redis-server; yields its URL."""
    port = free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no"], stdout=subprocess.DEVNULL, env=server_env())
    try:
        wait_for_port(port)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)


@contextlib.contextmanager
def postgres_server():
    """A throw-away PostgreSQL cluster (fsync off); yields a SQLAlchemy URL to an empty database."""
    bindir = sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1]
    port = free_port()
    tmp = tempfile.mkdtemp(prefix="murya-bench-pg-")
    os.chmod(tmp, 0o777)
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    data = os.path.join(tmp, "data")
    try:
        subprocess.run(as_postgres + [f"{bindir}/initdb", "-D", data, "-U", "postgres", "-A", "trust"],
                       check=True, stdout=subprocess.DEVNULL, env=server_env())
        subprocess.run(as_postgres + [f"{bindir}/pg_ctl", "-D", data, "-l", f"{data}/server.log", "-w", "-o",
                                      f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1 -c fsync=off "
                                      f"-c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
                                      "start"], check=True, stdout=subprocess.DEVNULL, env=server_env())
        subprocess.run(as_postgres + [f"{bindir}/createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
                                      "murya_bench"], check=True, env=server_env())
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/murya_bench"
    finally:
        subprocess.run(as_postgres + [f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "stop"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=server_env())
        shutil.rmtree(tmp, ignore_errors=True)


def gateway_env(database_url: str, redis_url: str, **extra) -> dict:
    """Environment for a production-like gateway process on the benchmark services."""
    env = dict(os.environ)
    env.update({"GATEWAY_ENV": "production", "SECRET_KEY": "bench-secret", "DATA_KEY": "bench-data-key",
                "DATABASE_URL": database_url, "REDIS_URL": redis_url, "SMS_PROVIDER": "africastalking",
                "AT_USERNAME": "sandbox", "AT_API_KEY": "bench-key", "AT_CALLBACK_TOKEN": "bench-token",
                "PYTHONPATH": str(ROOT)})
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run_flask(env: dict, *args: str) -> str:
    """Run a `flask --app wsgi` command; return its stdout."""
    result = subprocess.run([PYTHON, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env,
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stderr[-2000:]}")
    return result.stdout


@contextlib.contextmanager
def gunicorn(app_spec: str, env: dict, workers: int = 2, threads: int = 1, port: int | None = None):
    """Serve `app_spec` (e.g. `wsgi:app`) with gunicorn; yields the base URL."""
    port = port or free_port()
    proc = subprocess.Popen(
        [PYTHON, "-m", "gunicorn", app_spec, "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
         "--threads", str(threads), "--log-level", "warning"], cwd=ROOT, env=env)
    try:
        wait_for_port(port, timeout=30)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(15)


def get_json(url: str, timeout: float = 5):
    """GET a URL and decode its JSON body."""
    import json
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read())
