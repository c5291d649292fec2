"""Campaigns on the fake channel: audience, preview, sending through real RQ workers, states,
schedules, repeats, throttling and the exactly-once rules (orphaned claims)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from rq.job import Job
from sqlalchemy import select

from gateway import queue
from gateway.extensions import db
from gateway.models import Campaign, Contact, ContactGroup, Delivery, Message, Registration, Subscription, Topic, utcnow
from gateway.services import campaigns, contacts
from gateway.services.campaigns import batches, schedule, throttle
from gateway.services.delivery_reports import apply_status
from tests.factories import ActivityFactory, ContactFactory
from workers import campaigns as engine

TEXTS = {"fra": "Réunion de paix samedi à Diffa.", "hau": "Taron zaman lafiya ranar Asabar a Diffa.",
         "dje": "Baani marga hawru Diffa."}


def outbox(app):
    return app.extensions["channels"]["fake"].outbox()


def create(texts=TEXTS, **extra):
    return campaigns.create({"name": "Paix", "texts": texts, "default_language": "fra", **extra}, "test")


def send(campaign):
    return campaigns.send(db.session.get(Campaign, campaign.id), "test")


def reload(campaign):
    return db.session.get(Campaign, campaign.id)


# --- who gets what ---------------------------------------------------------------------------------

def test_each_recipient_gets_their_language_once_and_stops_are_skipped(app, drain):
    people = {lang: ContactFactory(language=lang) for lang in ("fra", "hau", "dje", "fuv")}
    no_language = ContactFactory(language=None)
    stopped = ContactFactory(language="hau", stopped=True)
    invalid = ContactFactory(language="hau", invalid=True)
    campaign = create()
    send(campaign)
    drain()
    sent = {m["to"]: m["text"] for m in outbox(app)}
    assert len(outbox(app)) == 5
    assert sent[people["hau"].phone] == TEXTS["hau"]
    assert sent[people["dje"].phone] == TEXTS["dje"]
    assert sent[people["fra"].phone] == TEXTS["fra"]
    assert sent[people["fuv"].phone] == TEXTS["fra"]      # no Fulfulde text: the default language
    assert sent[no_language.phone] == TEXTS["fra"]
    assert stopped.phone not in sent and invalid.phone not in sent
    campaign = reload(campaign)
    assert campaign.status == "completed" and campaign.recipients == 5
    assert campaigns.counts(campaign.id) == {"queued": 0, "sent": 5, "delivered": 0, "failed": 0, "skipped": 2}
    reasons = {r["reason"]: r["count"] for r in campaigns.failure_reasons(campaign.id)}
    assert reasons == {"stopped": 1, "invalid number": 1}
    # Each recipient has a campaign message row, with the provider's id.
    messages = list(db.session.scalars(select(Message).where(Message.campaign_id == campaign.id)))
    assert len(messages) == 5 and {m.status for m in messages} == {"sent"}
    assert all(m.kind == "campaign" and m.provider_id.startswith("fake-") for m in messages)


def test_batches_carry_one_language_each(app, drain):
    app.config["SEND_BATCH_SIZE"] = 3
    for i in range(7):
        ContactFactory(language=("fra", "hau")[i % 2])
    campaign = create()
    send(campaign)
    drain()
    by_batch = {}
    for d in db.session.scalars(select(Delivery).where(Delivery.campaign_id == campaign.id)):
        by_batch.setdefault(d.batch, set()).add(d.language)
    assert all(len(languages) == 1 for languages in by_batch.values())
    assert len(by_batch) == 3          # 4 French in 2 batches of ≤3, 3 Hausa in 1
    assert len(outbox(app)) == 7


def test_audience_filters(app, seeded, drain):
    topic = db.session.scalar(select(Topic).order_by(Topic.id))
    activity = ActivityFactory(code="DIA01")
    diffa_youth = ContactFactory(adm1_pcode="NE002", language="hau")
    db.session.add(ContactGroup(contact_id=diffa_youth.id, name="youth"))
    diffa_women = ContactFactory(adm1_pcode="NE002", language="hau")
    db.session.add(ContactGroup(contact_id=diffa_women.id, name="women"))
    tahoua_dept = ContactFactory(adm1_pcode="NE005", adm2_pcode="NE005003", language="fra")
    db.session.add(ContactGroup(contact_id=tahoua_dept.id, name="youth"))
    elsewhere = ContactFactory(adm1_pcode="NE008", language="fra")
    db.session.add(ContactGroup(contact_id=elsewhere.id, name="youth"))
    follower = ContactFactory(adm1_pcode="NE008", language="dje")
    db.session.add(Subscription(contact_id=follower.id, topic_id=topic.id))
    registered = ContactFactory(adm1_pcode="NE008", language="dje")
    db.session.add(Registration(activity_id=activity.id, contact_id=registered.id, status="confirmed"))
    db.session.commit()

    def who(audience):
        stmt = select(Contact.id).where(*campaigns.audience_conditions(
            campaigns.normalize_audience(audience)))
        return set(db.session.scalars(stmt))

    # NER… (HNRP) codes are accepted; places are OR-ed, other keys narrow.
    assert who({"adm1": ["NER002"], "adm2": ["NE005003"], "groups": ["Youth"]}) == {diffa_youth.id, tahoua_dept.id}
    assert who({"languages": ["hau"]}) == {diffa_youth.id, diffa_women.id}
    assert who({"topics": [topic.code]}) == {follower.id}
    assert who({"activities": ["DIA01"]}) == {registered.id}
    assert who({}) == {diffa_youth.id, diffa_women.id, tahoua_dept.id, elsewhere.id, follower.id, registered.id}


@pytest.mark.parametrize("audience, message", [
    ({"adm1": ["XX001"]}, "not a Niger P-code"),
    ({"adm1": ["NE002003"]}, "not an admin level 1"),
    ({"languages": ["eng"]}, "unknown languages"),
    ({"topics": ["no-such-topic"]}, "unknown topics"),
    ({"activities": ["NOPE"]}, "unknown activities"),
    ({"planets": ["mars"]}, "unknown audience keys"),
    ({"groups": "youth"}, "must be a list"),
])
def test_bad_audiences_are_refused(app, audience, message):
    with pytest.raises(campaigns.CampaignError, match=message):
        campaigns.normalize_audience(audience)


# --- preview ---------------------------------------------------------------------------------------

def test_preview_counts_recipients_encoding_segments_and_cost(app):
    app.config["SEGMENT_PRICE"] = 20.0
    app.config["SEGMENT_PRICES"] = {"fake": 25.0}
    for lang in ("fra", "fra", "hau", "dje"):
        ContactFactory(language=lang)
    ContactFactory(language="fra", stopped=True)
    texts = {"fra": "Réunion de paix samedi.", "hau": "Ƙungiyar zaman lafiya " * 4, "dje": "Baani"}
    result = campaigns.preview(texts, "fra", {})
    by_lang = {l["language"]: l for l in result["languages"]}
    assert by_lang["fra"] == {**by_lang["fra"], "recipients": 2, "encoding": "GSM-7", "segments": 1,
                              "total_segments": 2, "cost": 50.0}
    assert by_lang["hau"]["encoding"] == "UCS-2" and by_lang["hau"]["segments"] == 2
    assert by_lang["hau"]["non_gsm"] == ["Ƙ"]
    assert by_lang["hau"]["segments_saved_by_transliteration"] == 1
    assert result["recipients"] == 4 and result["skipped"] == 1
    assert result["segments"] == 2 + 2 + 1 and result["cost"] == 125.0 and result["segment_price"] == 25.0


def test_transliteration_preview_shows_segments_saved(app):
    text = "Ɗan'uwa, ƙungiyar matasa za ta yi taro a ɗakin taro na gundumar. " * 2
    result = campaigns.transliteration_preview(text)
    assert result["before"]["encoding"] == "UCS-2" and result["after"]["encoding"] == "GSM-7"
    assert "ƙ" not in result["text"] and "kungiyar" in result["text"]
    assert result["segments_saved"] == result["before"]["segments"] - result["after"]["segments"] > 0


def test_test_send_goes_to_one_number_outside_the_counts(app, drain):
    ContactFactory(language="hau")
    campaign = create()
    message = campaigns.test_send(reload(campaign), "+22791234567", "hau", "test")
    drain()
    assert [m["text"] for m in outbox(app)] == [TEXTS["hau"]]
    assert db.session.get(Message, message.id).kind == "campaign_test"
    assert campaigns.counts(campaign.id)["sent"] == 0 and reload(campaign).status == "draft"


# --- delivery reports ------------------------------------------------------------------------------

def test_delivery_reports_update_deliveries(app, drain):
    a, b = ContactFactory(language="fra"), ContactFactory(language="fra")
    campaign = create()
    send(campaign)
    drain()
    ids = {m["to"]: m["id"] for m in outbox(app)}
    apply_status("fake", ids[a.phone], "delivered", "Success")
    apply_status("fake", ids[b.phone], "failed", "Failed", failure_reason="UserIsInactive")
    apply_status("fake", ids[a.phone], "sent", "Sent")           # late, out of order: ignored
    db.session.commit()
    assert campaigns.counts(campaign.id) == {"queued": 0, "sent": 0, "delivered": 1, "failed": 1, "skipped": 0}
    failed = db.session.scalar(select(Delivery).where(Delivery.contact_id == b.id))
    assert failed.error == "UserIsInactive"


def test_final_failures_are_recorded_with_the_reason(app, drain):
    ContactFactory(language="fra")                                 # one who receives it
    bad = ContactFactory(language="fra")
    app.config["FAKE_FAIL_NUMBERS"] = [bad.phone]
    campaign = create()
    send(campaign)
    drain()
    assert campaigns.counts(campaign.id) == {"queued": 0, "sent": 1, "delivered": 0, "failed": 1, "skipped": 0}
    delivery = db.session.scalar(select(Delivery).where(Delivery.contact_id == bad.id))
    assert "refuses this number" in delivery.error
    assert db.session.get(type(bad), bad.id).invalid is True      # never sent to again
    assert reload(campaign).status == "completed"


# --- states ----------------------------------------------------------------------------------------

def test_pause_resume_and_cancel(app, drain):
    app.config["SEND_BATCH_SIZE"] = 2
    for _ in range(6):
        ContactFactory(language="fra")
    campaign = create()
    send(campaign)
    drain(max_jobs=2)                                       # start job + one batch
    campaigns.pause(reload(campaign), "test")
    drain()
    assert len(outbox(app)) == 2 and reload(campaign).status == "paused"
    campaigns.resume(reload(campaign), "test")
    drain(max_jobs=2)                                       # start job + one batch
    assert len(outbox(app)) == 4
    campaigns.cancel(reload(campaign), "test")
    drain()
    assert len(outbox(app)) == 4
    assert campaigns.counts(campaign.id) == {"queued": 0, "sent": 4, "delivered": 0, "failed": 0, "skipped": 2}
    with pytest.raises(campaigns.CampaignError, match="cannot resume"):
        campaigns.resume(reload(campaign), "test")


def test_retry_failed_sends_again_to_failed_recipients_only(app, drain):
    a, b = ContactFactory(language="fra"), ContactFactory(language="fra")
    campaign = create()
    send(campaign)
    drain()
    ids = {m["to"]: m["id"] for m in outbox(app)}
    apply_status("fake", ids[b.phone], "failed", "Failed", failure_reason="DeliveryFailure")
    db.session.commit()
    assert campaigns.retry_failed(reload(campaign), "test") == 1
    drain()
    assert [m["to"] for m in outbox(app)].count(b.phone) == 2
    assert [m["to"] for m in outbox(app)].count(a.phone) == 1
    assert reload(campaign).status == "completed"
    assert campaigns.counts(campaign.id)["sent"] == 2


def test_stopping_after_the_fan_out_is_respected(app, drain):
    app.config["SEND_BATCH_SIZE"] = 1
    first, second = ContactFactory(language="fra"), ContactFactory(language="fra")
    campaign = create()
    send(campaign)
    drain(max_jobs=1)                                       # fan-out only
    contacts.stop(db.session.get(type(second), second.id), via="sms")
    db.session.commit()
    drain()
    assert [m["to"] for m in outbox(app)] == [first.phone]
    assert campaigns.counts(campaign.id)["skipped"] == 1


# --- scheduling ------------------------------------------------------------------------------------

def test_scheduled_send_uses_rqs_scheduler_in_utc(app, drain, clock):
    ContactFactory(language="fra")
    campaign = create(send_at="2026-11-27T08:30")           # Niger time = 07:30 UTC
    campaign = send(campaign)
    assert campaign.status == "scheduled"
    assert campaign.send_at == datetime(2026, 11, 27, 7, 30, tzinfo=timezone.utc)
    job = Job.fetch(campaign.job_id, connection=app.extensions["redis"], serializer=queue.SERIALIZER)
    assert job.get_status() == "scheduled"
    scheduled = app.extensions["queues"]["default"].scheduled_job_registry
    assert scheduled.get_scheduled_time(job) == datetime(2026, 11, 27, 7, 30, tzinfo=timezone.utc)
    drain()
    assert outbox(app) == []
    clock.move_to(datetime(2026, 11, 27, 7, 31, tzinfo=timezone.utc))
    drain()
    assert len(outbox(app)) == 1 and reload(campaign).status == "completed"


def test_a_repeating_campaign_schedules_its_next_occurrence(app, drain, clock):
    ContactFactory(language="fra")
    campaign = send(create(send_at="2026-11-26T10:00", repeat="weekly"))   # now, in Niamey
    drain()
    assert reload(campaign).status == "completed"
    following = db.session.scalar(select(Campaign).where(Campaign.id != campaign.id))
    assert following.status == "scheduled" and following.repeat == "weekly"
    assert campaigns.local_time(following.send_at).startswith("2026-12-03T10:00")


def test_next_occurrence_keeps_niamey_local_time():
    first = datetime(2026, 1, 31, 7, 0, tzinfo=timezone.utc)         # 08:00 in Niamey
    after = datetime(2026, 2, 1, tzinfo=timezone.utc)
    assert schedule.next_occurrence(first, "monthly", after) == datetime(2026, 2, 28, 7, 0, tzinfo=timezone.utc)
    assert schedule.next_occurrence(first, "daily", after) == datetime(2026, 2, 1, 7, 0, tzinfo=timezone.utc)


# --- throttling ------------------------------------------------------------------------------------

def test_the_rate_limiter_is_shared_and_spaces_batches(app):
    app.config["SEND_RATES"] = {"fake": 100.0}
    waits = [throttle.reserve("fake", 50, max_wait=5)[1] for _ in range(4)]
    assert waits[0] == pytest.approx(0, abs=0.05)
    assert waits[1] == pytest.approx(0.5, abs=0.05) and waits[3] == pytest.approx(1.5, abs=0.05)
    booked, wait = throttle.reserve("fake", 50, max_wait=1)
    assert not booked and wait > 1
    assert throttle.reserve("other", 50, max_wait=1) == (True, 0.0)        # unthrottled channel


def test_sending_respects_the_rate(app, drain):
    import time
    app.config.update(SEND_BATCH_SIZE=5, SEND_RATES={"fake": 20.0})
    for _ in range(20):
        ContactFactory(language="fra")
    send(create())
    started = time.monotonic()
    drain()
    elapsed = time.monotonic() - started
    assert len(outbox(app)) == 20
    assert elapsed >= 0.7          # 20 messages at 20/s: the last batch books 0.75 s ahead


# --- exactly once ----------------------------------------------------------------------------------

def _orphan_a_batch(app, drain):
    """Simulate a worker killed between claim and record: rows claimed long ago, job gone."""
    app.config["SEND_BATCH_SIZE"] = 2
    for _ in range(4):
        ContactFactory(language="fra")
    campaign = create()
    send(campaign)
    drain(max_jobs=1)                                       # fan-out
    ids = list(db.session.scalars(select(Delivery.id).where(Delivery.batch == 0)))
    assert batches.claim(campaign.id, ids) == set(ids)
    db.session.execute(Delivery.__table__.update().where(Delivery.id.in_(ids)).values(
        claimed_at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    drain()
    assert len(outbox(app)) == 2 and reload(campaign).status == "sending"
    return campaign


def test_orphaned_claims_are_assumed_sent_never_twice(app, drain):
    campaign = _orphan_a_batch(app, drain)
    assert engine.watch_campaign(campaign.id) == "completed"
    db.session.expire_all()
    assert reload(campaign).status == "completed"
    assert len(outbox(app)) == 2
    assert campaigns.counts(campaign.id)["sent"] == 4
    unconfirmed = db.session.scalars(select(Delivery).where(Delivery.error.like("unconfirmed%"))).all()
    assert len(unconfirmed) == 2
    assert campaigns.summary(reload(campaign))["unconfirmed"] == 2


def test_the_console_shows_unconfirmed_sends_and_skip_reasons(app, client, login, drain):
    ContactFactory(language="fra", stopped=True)
    campaign = _orphan_a_batch(app, drain)
    login("staff")
    page = client.get(f"/console/campaigns/{campaign.id}").get_data(as_text=True)
    assert "Échecs et non-envois" in page and "a demandé l’arrêt (STOP)" in page
    assert "dont non confirmés" not in page          # nothing resolved yet: the claims are live
    engine.watch_campaign(campaign.id)
    page = client.get(f"/console/campaigns/{campaign.id}").get_data(as_text=True)
    assert '<b id="count-unconfirmed">2</b> dont non confirmés' in page
    assert client.get(f"/console/campaigns/{campaign.id}/progress.json").json["unconfirmed"] == 2


def test_a_delivery_report_confirms_an_unrecorded_send_by_number(app, drain):
    _orphan_a_batch(app, drain)
    orphan = db.session.scalar(select(Delivery).where(Delivery.status == "claimed"))
    phone = db.session.get(Contact, orphan.contact_id).phone
    message = apply_status("fake", "fake-unknown-id", "delivered", "Success", phone=phone)
    db.session.commit()
    assert message is not None and message.provider_id == "fake-unknown-id"
    db.session.refresh(orphan)
    assert orphan.status == "delivered" and orphan.provider_id == "fake-unknown-id"


def test_orphaned_claims_can_be_resent_instead(app, drain):
    app.config["CAMPAIGN_ORPHAN_POLICY"] = "resend"
    campaign = _orphan_a_batch(app, drain)
    engine.watch_campaign(campaign.id)
    drain()
    assert len(outbox(app)) == 4 and reload(campaign).status == "completed"


def test_a_batch_job_run_twice_sends_nothing_twice(app, drain):
    for _ in range(3):
        ContactFactory(language="fra")
    campaign = create()
    send(campaign)
    drain()
    assert engine.send_batch(campaign.id, 0) == "campaign not sending"
    db.session.execute(Campaign.__table__.update().values(status="sending"))
    db.session.commit()
    assert engine.send_batch(campaign.id, 0) == "nothing to send"
    assert len(outbox(app)) == 3


def test_the_watchdog_requeues_batches_whose_job_was_lost(app, drain):
    app.config["SEND_BATCH_SIZE"] = 2
    for _ in range(4):
        ContactFactory(language="fra")
    campaign = create()
    send(campaign)
    drain(max_jobs=1)                                       # fan-out; batch jobs queued
    app.extensions["queues"]["bulk"].empty()                # the worker holding them died with Redis state
    assert drain() == 0
    assert engine.watch_campaign(campaign.id).endswith("2 batches re-queued")
    drain()
    assert len(outbox(app)) == 4 and reload(campaign).status == "completed"


def test_the_watchdog_restarts_a_lost_fan_out(app, drain):
    ContactFactory(language="fra")
    campaign = create()
    send(campaign)
    app.extensions["queues"]["default"].empty()             # start job lost before it ran
    assert engine.watch_campaign(campaign.id) == "fan-out pending"
    drain()
    assert len(outbox(app)) == 1 and reload(campaign).status == "completed"


def test_every_state_change_follows_the_table():
    from gateway.models import CampaignStatus
    from gateway.services.campaigns import states
    assert {target for _, target in states.TRANSITIONS.values()} | {CampaignStatus.DRAFT} == set(CampaignStatus)
    assert states.allowed("resume", "paused") and not states.allowed("resume", "completed")
    assert not any(states.allowed(action, "cancelled") for action in states.TRANSITIONS)   # final
    assert states.allowed("retry", "completed") and not states.allowed("send", "scheduled")


def test_a_move_the_table_forbids_changes_nothing(app):
    from gateway.services.campaigns import states
    campaign = create()
    assert states.move(campaign.id, "pause") is False            # a draft is not sending
    assert reload(campaign).status == "draft"
    assert states.move(campaign.id, "cancel") is True
    db.session.commit()
    assert reload(campaign).status == "cancelled" and reload(campaign).finished_at is not None
