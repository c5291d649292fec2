"""Production is explicit (issue 11, finding 4): the Procfile says production, and no server
answers on a network address with the public development keys."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.config import DEVELOPMENT_KEYS, ConfigError, check_bind, load_config
from tests.test_foundation import PRODUCTION, _run_cli

ROOT = Path(__file__).resolve().parent.parent
REAL_KEYS = {"SECRET_KEY": "a-real-secret", "DATA_KEY": "a-real-data-key"}


@pytest.mark.parametrize("hosts, keys, refused", [
    (["0.0.0.0"], DEVELOPMENT_KEYS, True), (["::"], DEVELOPMENT_KEYS, True),
    (["192.168.1.20"], DEVELOPMENT_KEYS, True), (["murya.example.org"], DEVELOPMENT_KEYS, True),
    (["127.0.0.1", "0.0.0.0"], DEVELOPMENT_KEYS, True),
    (["0.0.0.0"], {**REAL_KEYS, "DATA_KEY": DEVELOPMENT_KEYS["DATA_KEY"]}, True),
    (["0.0.0.0"], {"SECRET_KEY": "test-secret-key", "DATA_KEY": "test-data-key"}, True),
    (["127.0.0.1"], DEVELOPMENT_KEYS, False), (["::1"], DEVELOPMENT_KEYS, False),
    (["localhost"], DEVELOPMENT_KEYS, False), (["127.0.0.2"], DEVELOPMENT_KEYS, False),
    (["unix:/run/murya.sock"], DEVELOPMENT_KEYS, False), (["0.0.0.0"], REAL_KEYS, False),
])
def test_development_keys_are_served_on_loopback_only(hosts, keys, refused):
    if refused:
        with pytest.raises(ConfigError, match="^refusing to serve on .* with the public development"):
            check_bind(keys, hosts)
    else:
        check_bind(keys, hosts)


def test_flask_serve_on_a_network_address_with_development_keys_refuses_in_one_line(tmp_path):
    result = _run_cli({"GATEWAY_ENV": "development", "DATABASE_URL": f"sqlite:///{tmp_path}/never.db"},
                      "serve", "--host", "0.0.0.0", "--port", "1")
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert lines == ["murya: configuration error: refusing to serve on 0.0.0.0 with the public development "
                     "SECRET_KEY and DATA_KEY: set GATEWAY_ENV=production and real keys, or bind 127.0.0.1"]
    assert not (tmp_path / "never.db").exists()       # refused before migrating anything


def test_gunicorn_with_gateway_env_unset_refuses_before_binding():
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AT_", "TWILIO_", "SECRET", "DATA_KEY", "GATEWAY_ENV"))}
    result = subprocess.run([sys.executable, "-m", "gunicorn", "wsgi:app", "--bind", "0.0.0.0:1"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(
        "murya: configuration error: refusing to serve on 0.0.0.0 with the public development SECRET_KEY")


def test_gunicorn_config_reads_the_host_of_each_bind():
    settings = {}
    exec(compile((ROOT / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"), settings)
    host = settings["_host"]
    assert [host(b) for b in ("0.0.0.0:8000", "[::1]:8000", "unix:/run/m.sock", "127.0.0.1")] == \
        ["0.0.0.0", "[::1]", "unix:/run/m.sock", "127.0.0.1"]


def test_every_procfile_process_runs_in_production():
    processes = dict(line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line.strip())
    assert set(processes) == {"release", "web", "worker"}
    for name, command in processes.items():
        assert command.strip().startswith("env GATEWAY_ENV=production "), name
    assert "--config gunicorn.conf.py" in processes["web"]


@pytest.mark.parametrize("name", ["SECRET_KEY", "DATA_KEY"])
def test_production_refuses_the_public_development_keys(monkeypatch, name):
    for key, value in PRODUCTION.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv(name, DEVELOPMENT_KEYS[name])
    with pytest.raises(ConfigError, match=f"^{name} is the public development key: production needs its own$"):
        load_config("production")
