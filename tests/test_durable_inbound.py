"""The database is the source of truth: inbound SMS, delivery reports and USSD end-of-session
notifications are stored and answered 200 while Redis is down; the held work is relayed within
seconds of Redis's return and handled once (gateway/services/outbox.py)."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

import handlers
from gateway import jobs
from gateway.extensions import db
from gateway.models import JobOutbox, Message, UssdSession
from gateway.queue import drain, pause
from gateway.services import inbound, outbox
from tests.factories import ContactFactory
from tests.redis_process import private_redis  # noqa: F401 - fixture

PHONE = "+22790555101"


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _wait(predicate, timeout: float) -> float:
    """Seconds until `predicate()` held (bounded by `timeout`, monotonic clock); fails after."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        pause(0.05)
    pytest.fail(f"not within {timeout} s")


@pytest.fixture
def durable(app, seeded, make_app, private_redis):  # noqa: F811 - fixture
    """An app on the private Redis (the `app` fixture emptied the tables); its relay thread is
    stopped at the end."""
    db.session.commit()
    other = make_app(REDIS_URL=private_redis.url)
    yield other
    thread = other.extensions.get("outbox_relay")
    if thread is not None:
        thread.stop()
        thread.join(timeout=5)


def test_inbound_sms_while_redis_is_down_is_stored_answered_and_processed_once(durable, private_redis):  # noqa: F811
    client = durable.test_client()
    private_redis.stop()
    form = {"from": PHONE, "text": "Merci beaucoup pour la formation sur les semences", "id": "down-1"}
    assert client.post("/sms/fake/inbound", data=form).status_code == 200
    assert client.post("/sms/fake/inbound", data=form).status_code == 200     # the provider's retry
    with durable.app_context():
        message = db.session.scalar(select(Message).where(Message.direction == "in"))
        assert message is not None and not message.handled
        assert outbox.held() == 1                                            # the retry holds nothing
        message_id = message.id

    private_redis.start()                                                    # back, and empty
    with durable.app_context():
        elapsed = _wait(lambda: outbox.held() == 0, timeout=10)
        db.session.remove()
    assert elapsed < 5, elapsed                                              # seconds, not the 2-min sweep

    drain(durable)
    with durable.app_context():
        assert db.session.get(Message, message_id).handled
        replies = handlers.get_channel("fake").outbox(PHONE)
        assert len(replies) == 1
        # More signals of the same message (a relay killed before deleting its row, the sweep):
        # nothing more is sent.
        jobs.enqueue(jobs.INBOUND_ONE, message_id)
        inbound.signal_pending(message_id)
    drain(durable)
    with durable.app_context():
        assert len(handlers.get_channel("fake").outbox(PHONE)) == 1
        assert _count(Message, Message.direction == "out") == 1


def test_delivery_reports_and_session_ends_are_applied_while_redis_is_down(durable, private_redis):  # noqa: F811
    with durable.app_context():
        contact = ContactFactory()
        db.session.add(Message(direction="out", channel="fake", contact_id=contact.id, text="Merci",
                               status="sent", provider_id="fake-out-1", status_history=[]))
        db.session.commit()
    private_redis.stop()
    client = durable.test_client()
    assert client.post("/sms/fake/status", data={"id": "fake-out-1", "status": "delivered"}).status_code == 200
    response = client.post("/ussd/africastalking/events", data={
        "sessionId": "ATUid_down", "status": "Success", "phoneNumber": "+22790555102", "hopsCount": "3"})
    assert response.status_code == 200, response.data
    with durable.app_context():
        assert db.session.scalar(select(Message.status).where(Message.provider_id == "fake-out-1")) == "delivered"
        session = db.session.scalar(select(UssdSession).where(UssdSession.session_id == "ATUid_down"))
        assert session is not None and session.hops == 3
        assert session.contact_id is None        # whether it was anonymous is in Redis: unknown


def test_a_held_job_is_relayed_by_a_worker_starting(durable, private_redis):  # noqa: F811
    """The web process that held a job died: the worker's start-up relay queues it."""
    with durable.app_context():
        db.session.add(JobOutbox(job=jobs.INBOUND_ONE.path, args=[12345]))
        db.session.commit()
        assert jobs.RELAY_OUTBOX.path in durable.extensions["worker_startup_jobs"]
        jobs.enqueue(jobs.RELAY_OUTBOX)
    drain(durable)
    with durable.app_context():
        assert outbox.held() == 0
