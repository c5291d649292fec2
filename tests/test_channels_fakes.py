"""The fake provider servers themselves: what other tests and the benchmarks rely on."""
from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from africastalking.SMS import SMSService

from tests.fakes import AtFake

ROOT = Path(__file__).resolve().parent.parent


def _service(url: str, key: str = "test-at-key") -> SMSService:
    service = SMSService("sandbox", key)
    service._baseUrl = url + "/version1"
    return service


def test_at_fake_answers_like_the_api(fake_at):
    fake_at.fail_number("+22790000002", 406)
    body = _service(fake_at.url).send("hi", ["+22790000001", "+22790000002"], sender_id="MURYA")
    ok, refused = body["SMSMessageData"]["Recipients"]
    assert ok["statusCode"] == 101 and ok["messageId"].startswith("ATXid_")
    assert (refused["statusCode"], refused["status"]) == (406, "UserInBlacklist")
    assert fake_at.received == [("+22790000001", "hi", 1)]
    assert fake_at.refused == [("+22790000002", "hi", 1, 406)]
    assert fake_at.count("+22790000001") == 1


def test_at_fake_checks_the_api_key(fake_at):
    from africastalking.Service import AfricasTalkingException
    with pytest.raises(AfricasTalkingException):
        _service(fake_at.url, key="wrong").send("hi", ["+22790000001"])
    assert fake_at.received == []


def test_fail_next_then_recovers(fake_at):
    from africastalking.Service import AfricasTalkingException
    fake_at.fail_next(2, 500)
    for _ in range(2):
        with pytest.raises(AfricasTalkingException):
            _service(fake_at.url).send("hi", ["+22790000001"])
    _service(fake_at.url).send("hi", ["+22790000001"])
    assert fake_at.counts() == {"+22790000001": 1}


def test_sustains_fifty_requests_a_second_with_latency():
    numbers = [f"+2279{i:07d}" for i in range(100)]
    with AtFake(api_key=None, delay_ms=20) as fake:
        service = _service(fake.url, key="any")
        started = time.monotonic()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda _: service.send("hello", numbers), range(100)))
        elapsed = time.monotonic() - started
        assert len(fake.received) == 10_000 and fake.summary()["requests"] == 100
    assert 100 / elapsed >= 50, f"{100 / elapsed:.0f} requests/s"


def test_standalone_mode_reports_counts():
    proc = subprocess.Popen([sys.executable, "-m", "tests.fakes.at_server", "--port", "0", "--delay-ms", "5"],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        url = line.strip().rsplit(" ", 1)[-1]
        assert url.startswith("http://127.0.0.1:")
        _service(url, key="whatever").send("hi", ["+22790000001", "+22790000001", "+22790000003"])
        with urllib.request.urlopen(url + "/_received", timeout=5) as response:
            summary = json.loads(response.read())
        assert summary["counts"] == {"+22790000001": 2, "+22790000003": 1} and summary["requests"] == 1
    finally:
        proc.terminate()
        proc.wait(5)
        proc.stdout.close()


def test_twilio_and_http_fakes_count_receipts(fake_twilio, fake_http):
    from twilio.rest import Client
    client = Client(fake_twilio.account_sid, fake_twilio.auth_token)
    client.api.base_url = fake_twilio.url
    assert client.messages.create(to="+22790000001", from_="+15005550006", body="x").sid.startswith("SM")
    request = urllib.request.Request(fake_http.url + "/message", method="POST",
                                     data=json.dumps({"message": "y", "phoneNumbers": ["+22790000002"]}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 202
    assert fake_twilio.counts() == {"+22790000001": 1} and fake_http.counts() == {"+22790000002": 1}
