"""Exactly once under SIGKILL: a real worker process sending a 10,000-recipient campaign to the
fake Africa's Talking server is killed with SIGKILL while a provider request is in flight;
another worker is started; every recipient must have been received exactly once."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from gateway import crypto
from gateway.extensions import db
from gateway.models import Campaign, Contact, Delivery
from gateway.services import campaigns
from tests.fakes.at_server import AtFake
from tests.fakes.fixtures import AT_SETTINGS

ROOT = Path(__file__).resolve().parent.parent
RECIPIENTS = 10_000
KILL_AT_REQUEST = 40          # of 100 requests (batches of 100)


class HoldingAtFake(AtFake):
    """The AT fake, holding one chosen request open long enough for the test to kill the sender."""

    def __init__(self, *args, hold_request: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.hold_request = hold_request
        self.holding = threading.Event()

    def _next_request(self):
        request_no, failure = super()._next_request()
        if request_no == self.hold_request:
            self.holding.set()
            time.sleep(1.0)          # the worker dies while waiting for this answer
        return request_no, failure


@pytest.fixture
def redis_url():
    """REDIS_URL, or a throw-away redis-server; skip when neither is available."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    if shutil.which("redis-server") is None:
        pytest.skip("needs a real Redis: set REDIS_URL or install redis-server")
    from bench.services import redis_server
    with redis_server() as url:
        yield url


def _seed(count: int) -> None:
    rows = []
    for i in range(count):
        phone = f"+2279{i:07d}"
        rows.append({"phone_hash": crypto.lookup_hash(phone), "phone_encrypted": crypto.encrypt(phone),
                     "reporter_code": f"C-T{i:07d}", "language": ("fra", "hau", "dje")[i % 3]})
    db.session.execute(insert(Contact), rows)
    db.session.commit()


def _worker(env: dict, log: Path) -> subprocess.Popen:
    # Its own session: the scheduler process it forks can be found and stopped at the end.
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker"], cwd=ROOT,
                                env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


@pytest.mark.slow
def test_sigkill_mid_batch_then_restart_sends_everyone_exactly_once(make_app, redis_url, tmp_path):
    from tests.conftest import _empty_tables
    app = make_app(REDIS_URL=redis_url, SMS_PROVIDER="africastalking", **AT_SETTINGS)
    fake = HoldingAtFake(api_key=AT_SETTINGS["AT_API_KEY"], username=AT_SETTINGS["AT_USERNAME"],
                         delay_ms=20, hold_request=KILL_AT_REQUEST).start()
    workers: list[subprocess.Popen] = []
    log = tmp_path / "worker.log"
    try:
        with app.app_context():
            _empty_tables()
            app.extensions["redis"].flushdb()
            app.config["AT_API_URL"] = fake.url
            _seed(RECIPIENTS)
            campaign = campaigns.create({"name": "Fault", "default_language": "fra", "texts": {
                "fra": "Dialogue communautaire samedi.", "hau": "Tattaunawa ranar Asabar.",
                "dje": "Sawaley Asibti."}}, "test")
            env = {**os.environ, "GATEWAY_ENV": "production", "SECRET_KEY": "fault-test",
                   "DATA_KEY": app.config["DATA_KEY"], "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
                   "REDIS_URL": redis_url, "SMS_PROVIDER": "africastalking", **AT_SETTINGS,
                   "AT_API_URL": fake.url, "SEND_BATCH_SIZE": "100", "CAMPAIGN_BATCH_TIMEOUT": "5",
                   "CAMPAIGN_CLAIM_TIMEOUT": "8", "CAMPAIGN_WATCH_INTERVAL": "1",
                   "CAMPAIGN_RETRY_INTERVALS": "1,1,1", "PYTHONPATH": str(ROOT)}
            workers.append(_worker(env, log))
            campaigns.send(db.session.get(Campaign, campaign.id), "test")

            assert fake.holding.wait(60), "the worker never reached the chosen request:\n" + log.read_text()
            os.kill(workers[0].pid, signal.SIGKILL)          # kill -9, mid-batch
            workers[0].wait(10)
            received_at_kill = len(fake.received)
            assert 0 < received_at_kill < RECIPIENTS

            workers.append(_worker(env, log))
            deadline = time.monotonic() + 60
            status = None
            while time.monotonic() < deadline:
                db.session.expire_all()
                status = db.session.scalar(select(Campaign.status).where(Campaign.id == campaign.id))
                if status == "completed":
                    break
                db.session.commit()
                time.sleep(0.5)
            assert status == "completed", log.read_text()[-3000:]

            counts = fake.counts()
            assert len(counts) == RECIPIENTS
            assert set(counts.values()) == {1}, {n: c for n, c in counts.items() if c != 1}
            states = dict(db.session.execute(select(Delivery.status, func.count()).where(
                Delivery.campaign_id == campaign.id).group_by(Delivery.status)).all())
            assert states == {"sent": RECIPIENTS}
            # The batch in flight at the kill was resolved without sending it again.
            unconfirmed = db.session.scalar(select(func.count()).select_from(Delivery).where(
                Delivery.error.like("unconfirmed%")))
            assert unconfirmed == 100
    finally:
        for proc in workers:
            try:
                os.killpg(proc.pid, signal.SIGKILL)   # the worker and the scheduler it forked
            except ProcessLookupError:
                pass
            proc.wait(10)
        fake.stop()
