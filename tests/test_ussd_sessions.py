"""USSD sessions: Africa's Talking's protocol, idempotent hops, resumable drafts, bad input."""
from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select

import handlers
from gateway.extensions import db
from gateway.models import Contact, Message, Report, Topic, UssdDraft, UssdSession
from gateway.services import contacts as contact_service
from tests.ussd_tester import UssdTester, check_screen, new_number, ussd  # noqa: F401 - fixture
from tests.test_ussd_journeys import SAYS, report_until_confirm

URL = "/ussd/africastalking"


def hop(client, text="", session="ATUid_s1", phone="+22790111222", url=URL, **extra):
    form = {"sessionId": session, "serviceCode": "*384*1010#", "phoneNumber": phone, "networkCode": "99999",
            "text": text, **extra}
    return client.post(url, data={k: v for k, v in form.items() if v is not None})


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- The protocol --------------------------------------------------------------------------

def test_first_hop_speaks_africastalkings_protocol(client, seeded):
    response = hop(client, "")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    body = response.get_data(as_text=True)
    assert body.startswith("CON ")
    check_screen(body)


@pytest.mark.parametrize("form, reason", [
    ({"sessionId": None}, "sessionId"),
    ({"sessionId": "  "}, "sessionId"),
    ({"phone": None}, "phoneNumber"),
    ({"phone": "not-a-number"}, "phoneNumber"),
    ({"phone": "+2271"}, "phoneNumber"),
    ({"text": None}, "text"),
    ({"session": "x" * 101}, "sessionId"),
    ({"text": "1*" * 2001}, "text"),
])
def test_malformed_requests_answer_400_and_store_nothing(client, seeded, form, reason):
    args = {"session": "ATUid_bad", "phone": "+22790111222", "text": ""}
    args.update({k: v for k, v in form.items() if k in args})
    if "sessionId" in form:
        args["session"] = form["sessionId"]
    response = hop(client, args["text"], session=args["session"], phone=args["phone"])
    assert response.status_code == 400
    assert reason in response.get_data(as_text=True)
    assert count(Contact) == 0


def test_get_is_not_allowed_and_is_no_500(client):
    assert client.get(URL).status_code == 405


@pytest.mark.parametrize("token, status", [(None, 403), ("wrong", 403), ("s3cret", 200)])
def test_callback_token_is_checked_when_configured(make_app, token, status):
    app = make_app(AT_CALLBACK_TOKEN="s3cret")
    client = app.test_client()
    url = URL + (f"?token={token}" if token else "")
    response = hop(client, "", url=url)
    assert response.status_code == status
    with app.app_context():
        assert count(Contact) == (1 if status == 200 else 0)


# --- Hops answered in front of Flask (gateway/webhooks/fastpath.py) --------------------------

def multipart_hop(client, text="", session="ATUid_m1", phone="+22790111222", url=URL):
    form = {"sessionId": session, "serviceCode": "*384*1010#", "phoneNumber": phone, "networkCode": "99999",
            "text": text}
    return client.post(url, data=form, content_type="multipart/form-data")


def test_hops_skip_flask_and_other_bodies_go_through_it_with_the_same_answer(client, seeded, flask_requests):
    fast = hop(client, "", session="ATUid_fast")
    assert flask_requests == []
    slow = multipart_hop(client, "", session="ATUid_slow")
    assert flask_requests == [1]
    assert (fast.status_code, fast.headers["Content-Type"], fast.get_data()) == \
        (slow.status_code, slow.headers["Content-Type"], slow.get_data())
    assert fast.get_data(as_text=True).startswith("CON ")
    assert client.get(URL).status_code == 405 and flask_requests == [1, 1]     # not a hop: Flask's
    assert hop(client, "", url="/healthz").status_code == 405


@pytest.mark.parametrize("send", [hop, multipart_hop], ids=["fast path", "flask view"])
@pytest.mark.parametrize("token, phone, status, says", [
    (None, None, 403, "invalid or missing token"),
    ("s3cret", "not-a-number", 400, "phoneNumber"),
    ("s3cret", None, 200, "CON "),
])
def test_both_paths_authenticate_and_validate_alike(make_app, send, token, phone, status, says):
    app = make_app(AT_CALLBACK_TOKEN="s3cret")
    with app.app_context():
        before = count(Contact)
    url = URL + (f"?token={token}" if token else "")
    response = send(app.test_client(), "", phone=phone or new_number(), url=url,
                    session=f"ATUid_{send.__name__}_{new_number()}")
    assert response.status_code == status and says in response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    with app.app_context():
        assert count(Contact) - before == (1 if status == 200 else 0)


def test_a_form_with_too_many_fields_is_400(client):
    response = client.post(URL, data={f"f{i}": "x" for i in range(60)})
    assert response.status_code == 400 and "too many" in response.get_data(as_text=True)


def test_an_unexpected_failure_in_a_hop_is_a_logged_500_with_no_trace(client, seeded, monkeypatch, caplog):
    from menus.engine import Engine

    def broken(self, hop):
        raise RuntimeError("boom")
    monkeypatch.setattr(Engine, "handle", broken)
    with caplog.at_level(logging.ERROR):
        response = hop(client, "")
    assert response.status_code == 500 and response.get_data(as_text=True) == "internal error"
    assert "unhandled error on POST /ussd/africastalking" in caplog.text


# --- Idempotent hops -----------------------------------------------------------------------

def test_a_retried_hop_gets_the_same_answer(ussd, seeded):
    phone = ussd("fra").send("1")
    phone.retry()
    phone.send("1").expect(SAYS["fra"]["region"])


def test_replaying_the_final_hop_creates_no_duplicate(ussd, seeded, drain):
    phone = report_until_confirm(ussd("fra"), "fra")
    phone.send("1").expect("Ref:", end=True)
    first = phone.last
    for _ in range(3):
        phone.retry()
    assert phone.last == first
    drain()
    assert count(Report) == 1
    assert len(handlers.get_channel("fake").outbox(phone.phone)) == 1


def test_final_hop_replayed_after_the_session_state_expired_creates_no_duplicate(app, ussd, seeded, drain):
    phone = report_until_confirm(ussd("fra"), "fra")
    phone.send("1").expect("Ref:", end=True)
    reference = phone.screen.split("Ref: ")[1][:8]
    drain()
    app.extensions["redis"].flushdb()                 # Redis lost the session
    phone.post(phone.text)                            # the provider retries the whole text
    drain()
    assert count(Report) == 1
    assert reference in phone.screen


def test_final_hop_replayed_before_the_worker_ran_creates_no_duplicate(app, ussd, seeded, drain):
    """Redis lost the session state (not the queue) before the worker stored the report."""
    phone = report_until_confirm(ussd("fra"), "fra")
    phone.send("1").expect("Ref:", end=True)
    reference = phone.screen.split("Ref: ")[1][:8]
    redis = app.extensions["redis"]
    redis.delete(*redis.keys("ussd:session:*"))
    phone.post(phone.text)                            # the whole session replayed: handed over again
    assert reference in phone.screen                  # the reference derives from the session
    drain()
    assert count(Report) == 1
    assert db.session.scalar(select(Report.reference)) == reference
    assert len(handlers.get_channel("fake").outbox(phone.phone)) == 1


def test_a_write_applied_twice_stores_one_report_and_sends_one_sms(app, ussd, seeded, drain):
    """A worker killed after its commit, before removing the item: the next one applies it again."""
    from gateway.services.ussd_sessions import PENDING_KEY
    phone = report_until_confirm(ussd("fra"), "fra")
    phone.send("1").expect("Ref:", end=True)
    redis = app.extensions["redis"]
    items = redis.lrange(PENDING_KEY, 0, -1)
    drain()
    redis.rpush(PENDING_KEY, *items)
    from workers.ussd import process_pending
    assert process_pending() == len(items)
    drain()
    assert count(Report) == 1
    assert len(handlers.get_channel("fake").outbox(phone.phone)) == 1


def test_a_write_that_keeps_failing_goes_to_the_dead_letter_list(app, seeded, caplog):
    import json
    from gateway.services.ussd_sessions import PENDING_KEY
    from workers.ussd import FAILED_KEY, process_pending
    redis = app.extensions["redis"]
    redis.lpush(PENDING_KEY, json.dumps({"kind": "topic", "contact_id": 999999, "topic_id": 1, "join": True}))
    redis.lpush(PENDING_KEY, json.dumps({"kind": "nonsense"}))
    process_pending()
    assert redis.llen(PENDING_KEY) == 0 and redis.llen(FAILED_KEY) == 2
    assert "dropped" in caplog.text


def test_handed_over_writes_apply_in_one_transaction_and_a_bad_one_does_not_hold_the_rest(app, ussd, seeded):
    import json
    from sqlalchemy import event
    from sqlalchemy.orm import Session
    from gateway.models import Subscription
    from gateway.services.ussd_sessions import PENDING_KEY
    from workers.ussd import FAILED_KEY, process_pending
    redis = app.extensions["redis"]
    contact = contact_service.get_or_create(new_number())[0]
    topics = db.session.scalars(select(Topic.id).limit(3)).all()
    db.session.commit()
    commits = []

    def committed(session):
        commits.append(session)
    event.listen(Session, "after_commit", committed)
    try:
        redis.lpush(PENDING_KEY, *(json.dumps({"kind": "topic", "contact_id": contact.id, "topic_id": t,
                                               "join": True}) for t in topics))
        assert process_pending() == 3 and len(commits) == 1 and redis.llen(PENDING_KEY) == 0
        commits.clear()
        redis.lpush(PENDING_KEY, json.dumps({"kind": "topic", "contact_id": contact.id, "topic_id": topics[0],
                                             "join": False}),
                    json.dumps({"kind": "nonsense"}),
                    json.dumps({"kind": "topic", "contact_id": contact.id, "topic_id": topics[1], "join": False}))
        assert process_pending() == 3 and redis.llen(PENDING_KEY) == 0 and redis.llen(FAILED_KEY) == 1
    finally:
        event.remove(Session, "after_commit", committed)
    assert db.session.scalars(select(Subscription.topic_id).where(Subscription.contact_id == contact.id)
                              ).all() == [topics[2]]


def test_a_hop_for_an_unknown_session_replays_its_inputs(client, seeded):
    """A dial string with inputs (`*384*1010*3#`) arrives as a first hop whose text is not empty."""
    number = new_number()
    tester = UssdTester(client, number)
    tester.inputs = ["3", "1"]                        # French, then "report"
    tester.post(tester.text)
    tester.expect(SAYS["fra"]["category"], end=False)


# --- Resuming a dropped report -------------------------------------------------------------

def drop_mid_report(ussd, lang="fra"):
    phone = ussd(lang)
    phone.send("1").send("2").choose("Diffa").choose("Bosso").expect(SAYS[lang]["when"])
    return phone.phone


@pytest.mark.parametrize("lang", ["fra", "hau", "dje"])
def test_dropped_session_resumes_the_report(ussd, seeded, drain, lang):
    number = drop_mid_report(ussd, lang)
    phone = ussd(phone=number).expect(SAYS[lang]["resume"], end=False)
    phone.send("1").expect(SAYS[lang]["when"])
    phone.send("2").send("3").send("1").send("2").expect(SAYS[lang]["confirm"], "Bosso (Diffa)")
    phone.send("0").send("2").send("1").expect(SAYS[lang]["done"], end=True)   # back works too
    drain()
    report = db.session.scalar(select(Report))
    assert (report.category_code, report.adm2_pcode, report.occurred) == ("land_water", "NE002001", "yesterday")
    assert count(UssdDraft) == 0
    ussd(phone=number).expect(SAYS[lang]["main"])    # no more "continue?"


def test_a_draft_outlives_redis_once_the_provider_says_the_session_ended(app, ussd, client, seeded, drain):
    phone = ussd("fra")
    phone.send("1").send("2").choose("Diffa").choose("Bosso").expect(SAYS["fra"]["when"])
    assert count(UssdDraft) == 0                      # while the session runs, the draft is in Redis
    response = client.post(URL + "/events", data={"sessionId": phone.session_id, "phoneNumber": phone.phone,
                                                   "status": "Incomplete", "hopsCount": "5"})
    assert response.status_code == 200
    draft = db.session.scalar(select(UssdDraft))
    assert draft.screen == "report.when" and draft.data["data"]["adm2"] == "NE002001"
    drain()                                           # the worker applied the session's writes (language)
    app.extensions["redis"].flushdb()                 # Redis restarted
    again = ussd(phone=phone.phone).expect("non termine").send("1").expect(SAYS["fra"]["when"])
    again.send("1", "1", "1", "2", "1").expect("Ref:", end=True)
    ussd(phone=phone.phone).expect(SAYS["fra"]["main"])    # no more "continue?", even before the worker
    drain()
    report = db.session.scalar(select(Report))
    assert (report.category_code, report.adm2_pcode) == ("land_water", "NE002001")
    assert count(UssdDraft) == 0


def test_declining_to_resume_forgets_the_draft(ussd, seeded):
    number = drop_mid_report(ussd)
    ussd(phone=number).expect("non termine").send("2").expect(SAYS["fra"]["main"])
    assert count(UssdDraft) == 0


def test_leaving_the_report_on_purpose_keeps_no_draft(ussd, seeded):
    phone = ussd("fra").send("1").send("2").send("00").expect(SAYS["fra"]["main"])
    assert count(UssdDraft) == 0
    ussd(phone=phone.phone).expect(SAYS["fra"]["main"])


def test_a_draft_expires_after_the_configured_time(make_app, clock):
    from gateway.config import REFERENCE_DATA
    from gateway.services.reference_data import load_all
    app = make_app(USSD_DRAFT_TTL=3600)
    with app.app_context():
        from tests.conftest import _empty_tables
        _empty_tables()
        app.extensions["redis"].flushdb()
        load_all(REFERENCE_DATA)
        client = app.test_client()
        tester = UssdTester(client, new_number()).dial()
        tester.send("3", "1", "1").expect("region")
        from gateway.queue import drain
        drain(app)                                    # the worker writes the language chosen
        clock.shift(timedelta(minutes=59))
        UssdTester(client, tester.phone).dial().expect("non termine")
        clock.shift(timedelta(minutes=2))
        UssdTester(client, tester.phone).dial().expect(SAYS["fra"]["main"])
        db.session.remove()


# --- Bad input ------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["9", "abc", "", " ", "-1", "1.5", "٣", "*", "#", "x" * 500, "0001"])
def test_bad_choices_re_prompt_with_a_short_message(ussd, seeded, value):
    phone = ussd("fra")
    phone.send(value).expect("Choix invalide", "1. Signaler", end=False)
    phone.send("1").expect(SAYS["fra"]["category"])
    assert count(Report) == 0


@pytest.mark.parametrize("lang", ["fra", "hau", "dje"])
def test_invalid_choice_message_is_in_the_persons_language(ussd, seeded, lang):
    ussd(lang).send("7").expect(SAYS[lang]["invalid"], SAYS[lang]["main"])


def test_free_text_junk_is_cut_and_stored_once(ussd, seeded, drain):
    junk = "*#*" + "é€{}" * 125 + "\x00\x07"
    phone = report_until_confirm(ussd("fra"), "fra", details=junk)
    phone.send("1").expect("Ref:", end=True)
    drain()
    report = db.session.scalar(select(Report))
    assert 0 < len(report.text) <= 480 and "\x00" not in report.text


def test_empty_free_text_re_prompts(ussd, seeded):
    phone = ussd("fra").send("1", "1").choose("Diffa").choose("Bosso").send("1", "1")
    phone.send("").expect("Choix invalide", "Decrivez")


def test_text_that_does_not_continue_the_session_re_prompts(client, seeded):
    tester = UssdTester(client, new_number()).dial()
    tester.send("3")
    tester.post("9*9*9")                               # not "3*…"
    tester.expect("Choix invalide", SAYS["fra"]["main"])


# --- End-of-session notification -----------------------------------------------------------

def test_end_of_session_notification_is_logged_once(ussd, client, seeded):
    phone = ussd("hau").send("1")
    form = {"sessionId": phone.session_id, "serviceCode": "*384*1010#", "networkCode": "99999",
            "phoneNumber": phone.phone, "status": "Incomplete", "input": "1", "lastAppResponse": "CON …",
            "errorMessage": "", "durationInMillis": "12345", "hopsCount": "3", "cost": "KES 0.5",
            "date": "2026-11-26 10:00:00"}
    for _ in range(2):
        response = client.post(URL + "/events", data=form)
        assert response.status_code == 200
    row = db.session.scalar(select(UssdSession))
    assert count(UssdSession) == 1
    assert (row.status, row.hops, row.duration_ms, row.language) == ("incomplete", 3, 12345, "hau")
    assert row.contact_id == contact_service.find_by_phone(phone.phone).id


@pytest.mark.parametrize("form", [{}, {"sessionId": "x"}, {"status": "Success"}])
def test_malformed_end_of_session_notification_is_400(client, form):
    assert client.post(URL + "/events", data=form).status_code == 400
    assert count(UssdSession) == 0


# --- Privacy --------------------------------------------------------------------------------

def test_logs_carry_no_number_and_no_free_text(ussd, seeded, drain, caplog):
    caplog.set_level(logging.DEBUG)
    secret = "Les bandits de Mamane"
    phone = report_until_confirm(ussd("fra"), "fra", details=secret)
    phone.send("1")
    drain()                                           # the worker's logs too
    assert phone.phone not in caplog.text and phone.phone[4:] not in caplog.text
    assert secret not in caplog.text


def test_a_report_that_cannot_be_stored_ends_politely_and_stores_nothing(ussd, seeded, api, drain):
    """The category was switched off by an administrator while the person was typing."""
    from gateway.models import Category
    from menus.sources import clear_cache
    phone = report_until_confirm(ussd("fra"), "fra")
    db.session.get(Category, "land_water").active = False
    db.session.commit()
    clear_cache()     # hops see the change once USSD_REFERENCE_CACHE_SECONDS have passed
    phone.send("1").expect("Reessayez plus tard", end=True)
    drain()
    assert count(Report) == 0 and count(Message) == 0


def test_a_category_switched_off_after_the_hop_checked_it_is_still_stored(ussd, seeded, drain):
    """The person was shown a reference: the worker stores the report they were told was received."""
    from gateway.models import Category
    phone = report_until_confirm(ussd("fra"), "fra")
    phone.send("1").expect("Ref:", end=True)
    db.session.get(Category, "land_water").active = False
    db.session.commit()
    drain()
    assert db.session.scalar(select(Report.category_code)) == "land_water"
    assert len(handlers.get_channel("fake").outbox(phone.phone)) == 1
