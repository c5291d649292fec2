"""Queue safety: jobs are JSON (never pickle), the USSD dead letters are encrypted and expire,
and production says loudly when its Redis has no authentication."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from rq import Queue
from rq.serializers import DefaultSerializer

from gateway import queue
from gateway.queue import redis_url_authenticated

ROOT = Path(__file__).resolve().parent.parent


def _job_data(app, job_id: str) -> bytes:
    return zlib.decompress(app.extensions["redis"].hget(f"rq:job:{job_id}", "data"))


def test_every_queue_stores_jobs_as_json(app):
    for name in queue.QUEUE_NAMES:
        job = queue.enqueue("workers.periodic.ensure_scheduled", 12, "x", queue=name)
        func, _instance, args, kwargs = json.loads(_job_data(app, job.id))
        assert func == "workers.periodic.ensure_scheduled" and args == [12, "x"] and kwargs == {}


class _Payload:
    """What an attacker with Redis access would plant: unpickling it creates a directory."""

    def __init__(self, path: str):
        self.path = path

    def __reduce__(self):
        return os.mkdir, (self.path,)


def test_a_pickled_job_planted_in_redis_never_runs_code(app, drain, tmp_path):
    marker = tmp_path / "pwned"
    planted = Queue("default", connection=app.extensions["redis"], serializer=DefaultSerializer)
    planted.enqueue("builtins.len", _Payload(str(marker)))
    drain()
    assert not marker.exists()


def test_jobs_and_results_round_trip_through_the_worker(app, drain):
    job = queue.enqueue("builtins.len", [1, 2, 3])
    assert drain() == 1
    assert queue.fetch_job(job.id).return_value() == 3


def test_the_dead_letter_list_is_encrypted_and_expires(app, seeded):
    from gateway.services.ussd_sessions import PENDING_KEY
    from workers.ussd import FAILED_KEY, failed_items, process_pending
    redis = app.extensions["redis"]
    item = {"kind": "nonsense", "text": "la victime habite chez son oncle", "contact_id": 999999}
    redis.lpush(PENDING_KEY, json.dumps(item))
    process_pending()
    stored = redis.lrange(FAILED_KEY, 0, -1)
    assert len(stored) == 1 and b"victime" not in stored[0] and b"999999" not in stored[0]
    assert 0 < redis.ttl(FAILED_KEY) <= 14 * 24 * 3600
    assert failed_items() == [item]
    for field in redis.hkeys("murya:ussd:attempts"):
        assert b"victime" not in field


@pytest.mark.parametrize("url, authenticated", [
    ("redis://127.0.0.1:6379/0", False),
    ("redis://user@127.0.0.1:6379/0", False),
    ("redis://:s3cret@127.0.0.1:6379/0", True),
    ("redis://default:s3cret@redis.internal:6379/2", True),
    ("rediss://redis.example:6380/0", True),
    ("unix:///run/redis/redis.sock", True),
])
def test_which_redis_urls_count_as_authenticated(url, authenticated):
    assert redis_url_authenticated(url) is authenticated


PRODUCTION = {"GATEWAY_ENV": "production", "SECRET_KEY": "s", "DATA_KEY": "d",
              "DATABASE_URL": "sqlite:////tmp/never-used.db", "SMS_PROVIDER": "africastalking",
              "AT_USERNAME": "u", "AT_API_KEY": "k", "AT_CALLBACK_TOKEN": "t"}


@pytest.mark.parametrize("url, warned", [("redis://127.0.0.1:6379/0", True),
                                         ("rediss://:pw@127.0.0.1:6379/0", False)])
def test_production_warns_once_about_a_redis_without_authentication(url, warned):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AT_", "TWILIO_", "SECRET", "DATA_KEY"))}
    env.update(PRODUCTION, REDIS_URL=url)
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "routes"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("REDIS_URL has no password and no TLS") == (1 if warned else 0)
    assert "pw" not in result.stderr
