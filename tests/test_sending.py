"""Outbound SMS through the queue on the fake channel."""
from __future__ import annotations

from gateway.extensions import db
from gateway.models import Message
from gateway.services import contacts
from gateway.services.delivery_reports import apply_status
from gateway.services.messaging import queue_sms


def test_reply_is_queued_then_sent_by_the_worker(app, drain):
    contact, _ = contacts.get_or_create("+22790111111", channel="fake")
    message = queue_sms(contact, "Na gode. Lambar rahotonku: R12345", language="hau")
    assert message.status == "queued" and message.encoding == "GSM-7" and message.segments == 1
    assert drain() == 1
    message = db.session.get(Message, message.id)
    assert message.status == "sent" and message.provider_id.startswith("fake-")
    outbox = app.extensions["channels"]["fake"].outbox("+22790111111")
    assert [m["text"] for m in outbox] == ["Na gode. Lambar rahotonku: R12345"]


def test_a_retried_job_does_not_send_twice(app, drain):
    from workers.sending import send_message
    contact, _ = contacts.get_or_create("+22790111112")
    message = queue_sms(contact, "Bonjour")
    drain()
    assert send_message(message.id) == "already handled"
    assert len(app.extensions["channels"]["fake"].outbox()) == 1


def test_stopped_contacts_are_skipped(app, drain):
    contact, _ = contacts.get_or_create("+22790111113")
    contacts.stop(contact, via="sms")
    message = queue_sms(contact, "Campagne")
    assert message.status == "skipped"
    drain()
    assert app.extensions["channels"]["fake"].outbox() == []


def test_hausa_hooks_make_ucs2(app):
    contact, _ = contacts.get_or_create("+22790111114")
    message = queue_sms(contact, "Ƙungiyar zaman lafiya", commit=False)
    assert message.encoding == "UCS-2"


def test_final_failure_and_invalid_number(app, drain, make_app):
    app.config["FAKE_FAIL_NUMBERS"] = ["+22790111115"]
    contact, _ = contacts.get_or_create("+22790111115")
    message = queue_sms(contact, "Bonjour")
    drain()
    message = db.session.get(Message, message.id)
    assert message.status == "failed" and message.error_code == "invalid"
    assert db.session.get(type(contact), contact.id).invalid is True


def test_delivery_reports_never_move_back(app, drain):
    contact, _ = contacts.get_or_create("+22790111116")
    message = queue_sms(contact, "Bonjour")
    drain()
    message = db.session.get(Message, message.id)
    apply_status("fake", message.provider_id, "delivered", "Success")
    apply_status("fake", message.provider_id, "sent", "Sent")   # late, out of order
    db.session.commit()
    assert message.status == "delivered"
    assert [h["status"] for h in message.status_history] == ["sent", "delivered", "sent"]
