"""Real campaigns through real RQ workers to the local fake provider servers, for each channel:
languages, stops, retries on 5xx / timeouts / 429, final failures with reasons, delivery reports."""
from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from gateway.extensions import db
from gateway.models import Campaign, Contact, Delivery
from gateway.services import campaigns
from tests.factories import ContactFactory
from tests.fakes.fixtures import AT_SETTINGS, TWILIO_SETTINGS

TEXTS = {"fra": "Journée de dialogue à Mainé-Soroa.", "hau": "Ranar tattaunawa a Mainé-Soroa.",
         "dje": "Sawaley zaari Mainé-Soroa."}
HTTP_TOKEN = "http-callback-token"


@dataclass
class Provider:
    name: str
    fake: object
    stop_code: object | None      # the provider's "recipient opted out" refusal
    invalid_code: object          # a final refusal for one number
    invalid_reason: str           # what the delivery row must say


@pytest.fixture(params=["africastalking", "twilio", "http"])
def provider(request, use_channel):
    """The app sending through one channel, to its fake server."""
    name = request.param
    if name == "africastalking":
        fake = request.getfixturevalue("fake_at")
        use_channel(**AT_SETTINGS, SMS_PROVIDER="africastalking", AT_API_URL=fake.url)
        result = Provider(name, fake, 406, 403, "InvalidPhoneNumber")
    elif name == "twilio":
        fake = request.getfixturevalue("fake_twilio")
        use_channel(**TWILIO_SETTINGS, SMS_PROVIDER="twilio", TWILIO_API_URL=fake.url)
        result = Provider(name, fake, 21610, 21211, "21211")
    else:
        fake = request.getfixturevalue("fake_http")
        config = {"send": {"url": fake.url + "/message", "id_field": "id", "timeout": 2}}
        use_channel(SMS_PROVIDER="http", HTTP_CHANNEL_CONFIG=json.dumps(config), HTTP_CALLBACK_TOKEN=HTTP_TOKEN)
        result = Provider(name, fake, None, 400, "http_400")
    fake.hang_seconds = 0.3
    from flask import current_app
    current_app.config["CAMPAIGN_RETRY_INTERVALS"] = [0, 0, 0]     # RQ Retry, immediately, 3 times
    return result


def run_campaign(drain, texts=TEXTS) -> Campaign:
    campaign = campaigns.create({"name": "Dialogue", "texts": texts, "default_language": "fra"}, "test")
    campaigns.send(campaign, "test")
    drain()
    return db.session.get(Campaign, campaign.id)


def report(client, provider: Provider, delivery: Delivery, ok: bool):
    """Post the provider's own delivery report for one recipient to our webhook."""
    phone = db.session.get(Contact, delivery.contact_id).phone
    if provider.name == "africastalking":
        form = {"id": delivery.provider_id, "status": "Success" if ok else "Failed", "phoneNumber": phone,
                "networkCode": "61401", "retryCount": "0", **({} if ok else {"failureReason": "UserIsInactive"})}
        return client.post(f"/sms/africastalking/delivery?token={AT_SETTINGS['AT_CALLBACK_TOKEN']}", data=form)
    if provider.name == "twilio":
        form = {"MessageSid": delivery.provider_id, "MessageStatus": "delivered" if ok else "undelivered",
                "AccountSid": TWILIO_SETTINGS["TWILIO_ACCOUNT_SID"], "To": phone,
                **({} if ok else {"ErrorCode": "30003"})}
        signature = RequestValidator(TWILIO_SETTINGS["TWILIO_AUTH_TOKEN"]).compute_signature(
            TWILIO_SETTINGS["PUBLIC_BASE_URL"] + "/sms/twilio/status", form)
        return client.post("/sms/twilio/status", data=urlencode(form), headers={"X-Twilio-Signature": signature},
                           content_type="application/x-www-form-urlencoded")
    form = {"id": delivery.provider_id, "status": "delivered" if ok else "failed",
            **({} if ok else {"error": "handset unreachable"})}
    return client.post(f"/sms/http/status?token={HTTP_TOKEN}", data=form)


def test_a_campaign_per_channel(provider, drain, client):
    people = {lang: ContactFactory(language=lang) for lang in ("fra", "hau", "dje", "knc")}
    stopped = ContactFactory(language="hau", stopped=True)
    refused = ContactFactory(language="fra")
    provider.fake.fail_number(refused.phone, provider.invalid_code)
    opted_out = ContactFactory(language="dje")
    if provider.stop_code is not None:
        provider.fake.fail_number(opted_out.phone, provider.stop_code)

    campaign = run_campaign(drain)

    fake = provider.fake
    assert campaign.status == "completed"
    for lang in ("fra", "hau", "dje"):
        assert fake.messages_to(people[lang].phone) == [TEXTS[lang]]
    assert fake.messages_to(people["knc"].phone) == [TEXTS["fra"]]        # default language
    assert fake.count(stopped.phone) == 0
    assert all(n == 1 for n in fake.counts().values())

    rows = {d.contact_id: d for d in db.session.scalars(select(Delivery).where(Delivery.campaign_id == campaign.id))}
    assert rows[stopped.id].status == "skipped" and rows[stopped.id].error == "stopped"
    assert rows[refused.id].status == "failed" and provider.invalid_reason in rows[refused.id].error
    if provider.stop_code is not None:
        assert rows[opted_out.id].status == "failed"
        assert db.session.get(Contact, opted_out.id).stopped is True      # the provider's opt-out is ours
    counts = campaigns.counts(campaign.id)
    sent = 4 if provider.stop_code is not None else 5
    assert counts == {"queued": 0, "sent": sent, "delivered": 0, "failed": 6 - sent, "skipped": 1}

    # Delivery reports, as the provider posts them, move the rows on.
    assert report(client, provider, rows[people["fra"].id], ok=True).status_code == 200
    assert report(client, provider, rows[people["hau"].id], ok=False).status_code == 200
    db.session.expire_all()
    assert db.session.get(Delivery, rows[people["fra"].id].id).status == "delivered"
    failed = db.session.get(Delivery, rows[people["hau"].id].id)
    assert failed.status == "failed" and failed.error
    assert campaigns.counts(campaign.id)["delivered"] == 1


@pytest.mark.parametrize("failure", [500, 503, 429, "timeout", "drop"])
def test_retryable_provider_failures_are_retried_and_nobody_gets_two(provider, drain, failure):
    people = [ContactFactory(language="fra") for _ in range(3)]
    provider.fake.fail_next(1, failure)
    campaign = run_campaign(drain)
    assert campaign.status == "completed"
    counts = provider.fake.counts()
    assert sorted(counts) == sorted(p.phone for p in people) and set(counts.values()) == {1}
    deliveries = db.session.scalars(select(Delivery).where(Delivery.campaign_id == campaign.id)).all()
    assert {d.status for d in deliveries} == {"sent"}
    assert max(d.attempts for d in deliveries) == 2          # claimed, released, claimed again


def test_after_the_last_retry_recipients_fail_with_the_providers_reason(provider, drain):
    ContactFactory(language="fra")
    provider.fake.fail_next(10, 503)
    campaign = run_campaign(drain)
    delivery = db.session.scalar(select(Delivery).where(Delivery.campaign_id == campaign.id))
    reason = {"africastalking": "HTTP 503", "twilio": "20500", "http": "HTTP 503"}[provider.name]
    assert delivery.status == "failed" and reason in delivery.error, delivery.error
    assert campaign.status == "completed"
    assert provider.fake.counts() == {}
