"""Inbound SMS end to end: webhook → stored once → job → keyword action / feedback → replies.

Uses the fake channel's webhook (`/sms/fake/inbound`) and its outbox, and a real RQ worker."""
from __future__ import annotations

import itertools

import pytest
from sqlalchemy import func, select

import handlers
from gateway.extensions import db
from gateway.i18n import t
from gateway.models import Contact, Message, Registration, Report, Subscription, Ticket
from gateway.services.contacts import find_by_phone
from gateway.services.messaging import queue_sms
from tests.ussd_tester import ussd  # noqa: F401 - fixture
from workers.inbound import process_inbound

_ids = itertools.count(1)
PHONE = "+22790555001"


@pytest.fixture
def sms(client, seeded, drain):
    """`sms("text", phone=…)` posts an inbound SMS and runs the jobs; returns the replies sent."""
    outbox = handlers.get_channel("fake")

    def send(text: str, phone: str = PHONE, msg_id: str | None = None, run: bool = True) -> list[str]:
        before = len(outbox.outbox(phone))
        response = client.post("/sms/fake/inbound", data={"from": phone, "text": text,
                                                          "id": msg_id or f"fake-in-{next(_ids)}"})
        assert response.status_code == 200, response.data
        if run:
            drain()
        return [m["text"] for m in outbox.outbox(phone)[before:]]
    return send


def contact(phone: str = PHONE) -> Contact:
    return find_by_phone(phone)


def sms_text(key, language, /, **params):
    from gateway.services.reply_texts import sms_text as render
    return render(key, language, **params)


@pytest.mark.parametrize("text,language", [
    ("RAHOTO an sace shanu a kauyen mu jiya da dare", "hau"),
    ("rahoto: ’yan bindiga sun shiga kasuwa", "hau"),
    ("SIGNALER vol de bétail à Mainé-Soroa hier soir", "fra"),
    ("Signalér des hommes armés près du puits", "fra"),
    ("signaler conflit entre éleveurs et agriculteurs", "fra"),
])
def test_report_keyword_creates_a_report_acknowledged_in_that_language(sms, text, language):
    replies = sms(text)
    report = db.session.scalar(select(Report))
    assert report is not None and report.channel == "sms" and report.language == language
    assert report.text == text.split(None, 1)[1]
    assert report.source_key.startswith("sms:")
    from gateway.services.notification_texts import report_ack_text
    assert replies == [report_ack_text(language, report.reference)]
    assert report.reference in replies[0]
    assert contact().language == language
    inbound = db.session.scalar(select(Message).where(Message.direction == "in"))
    assert inbound.keyword in ("rahoto", "signaler") and inbound.extra["reference"] == report.reference


def test_report_category_and_urgency_come_from_the_flag_rules(sms):
    sms("SIGNALER des hommes armés ont enlevé deux bergers")
    report = db.session.scalar(select(Report))
    assert report.category_code in ("armed_groups", "kidnapping") and report.urgent
    ticket = db.session.scalar(select(Ticket))
    assert ticket.kind == "urgent_report" and ticket.priority == 1


def test_report_without_text_gets_the_help(sms):
    assert sms("RAHOTO") == [sms_text("report_help", "hau")]
    assert db.session.scalar(select(func.count()).select_from(Report)) == 0


@pytest.mark.parametrize("word,language", [
    ("STOP", "fra"), ("stop", "fra"), ("ARRET", "fra"), ("ARRÊT", "fra"), ("Arrêt", "fra"), ("arrêter", "fra"),
    ("TSAYA", "hau"), ("Daina", "hau"), ("KAY", "dje"), ("FUN", "dje"), ("STOP!", "fra"), ("stop please", "fra"),
])
def test_stop_words_stop_everything_until_restart(sms, word, language):
    sms("Bonjour, merci pour la formation d'hier à Diffa")        # contact exists, French
    replies = sms(word)
    expected_language = language if language != "fra" else "fra"
    assert replies == [sms_text("stop_confirmation", expected_language)]
    person = contact()
    assert person.stopped and person.stopped_via == "sms:fake"
    assert sms(word) == []                              # confirmed once
    assert sms("Merci beaucoup pour votre travail dans notre village") == []   # no ack
    campaign = queue_sms(contact(), "Campagne: paix et cohésion", kind="campaign")
    assert campaign.status == "skipped"
    assert len(handlers.get_channel("fake").outbox(PHONE)) == 2   # the first ack and the confirmation


@pytest.mark.parametrize("word", ["START", "REPRENDRE", "reprendre", "KOMA", "restart"])
def test_restart(sms, word):
    sms("ARRET")
    replies = sms(word)
    assert len(replies) == 1 and not contact().stopped
    assert sms("AIDE") == [sms_text("help", "fra")]


def test_a_sentence_starting_with_a_stop_word_is_feedback(sms):
    replies = sms("Kay, iri ga ba ir ma bay haŋ kaŋ cine i go ga te hawyaŋ kwaara ra")
    assert not contact().stopped and len(replies) == 1


@pytest.mark.parametrize("text,topic,language", [
    ("JOIN PEACE", "peace", "eng"), ("rejoindre paix", "peace", "fra"), ("SHIGA zaman lafiya", "peace", "hau"),
    ("REJOINDRE activites", "activities", "fra"), ("join youth", "youth", "eng"),
])
def test_join_and_leave_topics(sms, text, topic, language):
    replies = sms(text)
    subscription = db.session.scalar(select(Subscription))
    assert subscription is not None and subscription.topic_id is not None
    assert len(replies) == 1 and replies[0].startswith(sms_text("joined", language if language != "eng" else "fra",
                                                              topic="", code="")[:8])
    word = {"eng": "LEAVE", "fra": "QUITTER", "hau": "FITA"}[language]
    sms(f"{word} {topic}")
    assert db.session.scalar(select(Subscription)) is None


def test_join_without_a_known_topic_lists_them(sms):
    [reply] = sms("JOIN")
    assert "PEACE" in reply and "ACTIVITIES" in reply


@pytest.mark.parametrize("text,language", [("LANGUE HAUSA", "hau"), ("langue zarma", "dje"), ("HARSHE", "hau"),
                                           ("language francais", "fra"), ("LANGUE arabe", "arb")])
def test_language_keyword(sms, text, language):
    replies = sms(text)
    person = contact()
    assert person.language == language and person.language_confirmed
    assert replies == [sms_text("language_changed", language, language=__import__("gateway.i18n").i18n.LANGUAGES[language])]


def test_confirmed_language_is_not_overridden_by_detection(sms):
    sms("LANGUE ZARMA")
    sms("Bonjour, nous remercions beaucoup le programme pour la formation des jeunes à Diffa")
    assert contact().language == "dje"


@pytest.mark.parametrize("word,language", [("AIDE", "fra"), ("help", "fra"), ("TAIMAKO", "hau")])
def test_help(sms, word, language):
    assert sms(word) == [sms_text("help", language)]


def test_register_for_an_activity(sms):
    [reply] = sms("INSCRIRE dlg01")
    registration = db.session.scalar(select(Registration))
    assert registration.status == "confirmed" and "Dialogue" in reply
    [reply] = sms("INSCRIRE NOPE")
    assert "DLG01" in reply or "CFW01" in reply


def test_feedback_is_detected_acknowledged_and_updates_language(sms):
    replies = sms("Muna godiya sosai da taimakon da kuka kawo mana a wannan shekara, Allah ya saka da alheri")
    message = db.session.scalar(select(Message).where(Message.direction == "in"))
    assert message.language == "hau" and message.extra["reference"].startswith("M-")
    assert replies == [sms_text("feedback_ack", "hau", reference=message.extra["reference"])]
    assert contact().language == "hau"


def test_short_unclear_feedback_does_not_change_the_language(sms):
    sms("LANGUE francais")
    person = contact()
    person.language_confirmed = False
    db.session.commit()
    sms("ok")
    assert contact().language == "fra"


def test_flagged_feedback_opens_then_updates_a_ticket(sms):
    sms("Il y a eu une attaque cette nuit au village, deux personnes tuées")
    ticket = db.session.scalar(select(Ticket))
    assert ticket.kind == "flagged_message" and ticket.priority == 1 and "attack" in ticket.labels
    sms("Des voleurs de bétail encore ce matin, vol de bétail au marché")
    sms("Encore une attaque, des hommes armés")
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1
    db.session.refresh(ticket)
    assert "repeat_sender" in ticket.labels and "livestock_theft" not in ticket.labels


def test_sensitive_message_makes_a_sensitive_ticket(sms):
    sms("Une fille a été violée près du point d'eau, aidez-nous")
    ticket = db.session.scalar(select(Ticket))
    assert ticket.sensitive and ticket.category_code == "gbv"


def test_duplicate_delivery_is_processed_once(sms):
    first = sms("Merci pour la distribution", msg_id="dup-1")
    again = sms("Merci pour la distribution", msg_id="dup-1")
    assert len(first) == 1 and again == []
    assert db.session.scalar(select(func.count()).select_from(Message).where(Message.direction == "in")) == 1


def test_the_job_is_idempotent(sms, drain):
    sms("Merci pour tout", run=False)
    message = db.session.scalar(select(Message).where(Message.direction == "in"))
    drain()
    assert process_inbound(message.id) == "already handled"
    assert db.session.scalar(select(func.count()).select_from(Message).where(Message.direction == "out")) == 1


def test_rate_limit_stores_everything_but_stops_replies_and_tickets(sms, app):
    app.config["INBOUND_RATE_LIMIT"] = 3
    replies = []
    for n in range(8):
        replies += sms(f"attaque au village numero {n}, des hommes armés partout")
    assert db.session.scalar(select(func.count()).select_from(Message).where(Message.direction == "in")) == 8
    assert len(replies) == 4 and replies[-1] == sms_text("rate_limited", "fra")
    inbound = db.session.scalars(select(Message).where(Message.direction == "in").order_by(Message.id)).all()
    assert [("rate_limited" in m.labels) for m in inbound] == [False] * 3 + [True] * 5
    assert all(m.handled for m in inbound)
    assert sms("STOP") == [sms_text("stop_confirmation", "fra")]     # stop always works


def test_replies_record_segments_and_encoding(sms):
    sms("LANGUE HAUSA")
    out = db.session.scalars(select(Message).where(Message.direction == "out")).all()
    assert all(m.encoding == "GSM-7" and m.segments >= 1 for m in out)
    assert all(m.in_reply_to_id is not None for m in out)


@pytest.mark.parametrize("domain", ["sms", "notify"])
def test_french_catalog_is_complete_and_drafts_are_marked(domain):
    from gateway.i18n import status_report
    report = status_report()[domain]
    assert report["fra"]["missing"] == [] and report["fra"]["draft"] == []
    for language in ("hau", "dje", "fuv", "knc", "taq"):
        assert report[language]["missing"] == [], language
        assert report[language]["draft"], language       # not reviewed by a native speaker yet
    for language in ("fuv", "knc", "taq"):                # written without one: every entry a draft
        assert len(report[language]["draft"]) == report[language]["total"]
    assert t("sms", "sms.help", "arb") == t("sms", "sms.help", "fra")   # visible French fallback


def test_fake_webhooks_are_absent_in_production(make_app):
    from tests.fakes.fixtures import AT_SETTINGS
    app = make_app(GATEWAY_ENV="production", SMS_PROVIDER="africastalking", **AT_SETTINGS)
    client = app.test_client()
    assert client.post("/sms/fake/inbound", data={"from": PHONE, "text": "x", "id": "1"}).status_code == 404
    assert client.post("/sms/fake/status", data={"id": "1", "status": "delivered"}).status_code == 404
    with pytest.raises(SystemExit, match="SMS_PROVIDER must be one of africastalking, twilio, http"):
        make_app(GATEWAY_ENV="production", SMS_PROVIDER="fake", **AT_SETTINGS)


def test_messages_dropped_by_a_killed_worker_are_swept_up(sms, app, drain, clock):
    from gateway.services.inbound import PENDING_KEY
    from workers.inbound import sweep_unhandled
    sms("Merci pour la formation", run=False)
    app.extensions["redis"].delete(PENDING_KEY)           # the worker died with the batch in hand
    for q in app.extensions["queues"].values():
        q.empty()
    assert drain() == 0
    assert sweep_unhandled() == 0                          # too recent: maybe still in progress
    clock.shift(180)
    assert sweep_unhandled() == 1
    drain()
    message = db.session.scalar(select(Message).where(Message.direction == "in"))
    assert message.handled and message.contact_id is not None and "sender" not in message.extra


def test_many_messages_are_processed_in_shared_batches(sms, drain, app):
    for n in range(60):
        sms(f"Merci numero {n} pour la formation", phone=f"+227906{n:05d}", run=False)
    assert app.extensions["queues"]["high"].count == 1     # one job for the whole burst
    drain()
    handled = db.session.scalar(select(func.count()).select_from(Message).where(
        Message.direction == "in", Message.handled.is_(True)))
    assert handled == 60
    assert db.session.scalar(select(func.count()).select_from(Message).where(Message.direction == "out")) == 60


# --- the language of replies -----------------------------------------------------------------

def _registration_reply(language, code):
    from gateway.models import Activity
    from gateway.services.notification_texts import registration_text
    activity = db.session.scalar(select(Activity).where(Activity.code == code))
    return registration_text(language, activity, "confirmed")


def test_a_language_chosen_on_ussd_wins_over_the_keywords_language(clock, sms, ussd, drain):
    from tests.factories import ActivityFactory
    ActivityFactory(code="DLG04", name="Dialogue Bosso", adm1_pcode="NE002", adm2_pcode="NE002001")
    db.session.commit()
    phone = ussd("hau")
    drain()                                               # the worker records the choice
    assert (contact(phone.phone).language, contact(phone.phone).language_confirmed) == ("hau", True)
    replies = sms("INSCRIRE DLG04", phone=phone.phone)
    assert db.session.scalar(select(Registration)).status == "confirmed"
    assert replies == [_registration_reply("hau", "DLG04")]
    assert sms("Bonjour, merci beaucoup pour la formation des jeunes a Diffa", phone=phone.phone)[0].startswith(
        sms_text("feedback_ack", "hau", reference="")[:10])
    assert contact(phone.phone).language == "hau"


def test_a_never_chosen_contact_writing_confident_zarma_is_answered_in_zarma(sms):
    replies = sms("Fofo, iri kwaara ra hari si no, iri ga ba gaakasinay gumo.")
    message = db.session.scalar(select(Message).where(Message.direction == "in"))
    assert message.language == "dje"
    assert replies == [sms_text("feedback_ack", "dje", reference=message.extra["reference"])]
    person = contact()
    assert person.language == "dje" and not person.language_confirmed


@pytest.mark.parametrize("text", ["ok", "Bonjour", "Salam alaikum", "ok merci"])
def test_a_short_or_unsure_message_changes_nothing(sms, text):
    sms("Muna godiya sosai da taimakon da kuka kawo mana a wannan shekara, Allah ya saka da alheri")
    assert contact().language == "hau" and not contact().language_confirmed
    [reply] = sms(text)
    assert contact().language == "hau"
    assert reply.startswith(sms_text("feedback_ack", "hau", reference="")[:10])


def test_a_misspelt_keyword_says_nothing_of_the_language(sms):
    sms("LANGUE hausa")
    person = contact()
    person.language_confirmed = False
    db.session.commit()
    [reply] = sms("INSCIRE DLG01")                         # INSCRIRE with a typo
    assert db.session.scalar(select(Registration)) is not None
    assert reply == _registration_reply("hau", "DLG01")
    assert contact().language == "hau"


def test_an_exact_keyword_tells_the_language_of_someone_who_never_chose(sms):
    sms("Muna godiya sosai da taimakon da kuka kawo mana a wannan shekara, Allah ya saka da alheri")
    assert sms("AIDE") == [sms_text("help", "fra")]
    assert contact().language == "fra"


def test_the_chosen_language_answers_feedback_in_another_language(sms):
    sms("LANGUE ZARMA")
    [reply] = sms("Bonjour, nous remercions beaucoup le programme pour la formation des jeunes à Diffa")
    assert reply.startswith(sms_text("feedback_ack", "dje", reference="")[:10])
    assert db.session.scalars(select(Message).where(Message.direction == "in")).all()[-1].language == "fra"


@pytest.mark.parametrize("choice, language, word", [
    ("LANGUE fulfulde", "fuv", "BALLAL"), ("LANGUE kanuri", "knc", "HELP"), ("LANGUE tamasheq", "taq", "HELP"),
])
def test_fulfulde_kanuri_and_tamasheq_get_their_own_sms(sms, choice, language, word):
    sms(choice)
    assert sms(word) == [sms_text("help", language)]
    assert sms_text("help", language) != sms_text("help", "fra")


def test_rajista_as_the_hausa_menu_says_registers(sms):
    sms("Muna godiya sosai da taimakon da kuka kawo mana a wannan shekara, Allah ya saka da alheri")
    [reply] = sms("rajista DLG01")
    assert db.session.scalar(select(Registration)).status == "confirmed"
    assert reply == _registration_reply("hau", "DLG01")


def test_a_fight_with_injured_people_is_flagged(sms):
    sms("An yi fada a kasuwa jiya da yamma, mutane sun ji rauni")
    ticket = db.session.scalar(select(Ticket))
    assert ticket is not None and ticket.priority == 1 and "injury" in ticket.labels


def test_a_cry_for_help_starting_with_the_help_word_is_flagged_feedback(sms):
    [reply] = sms("TAIMAKO yan bindiga sun shigo kauyenmu da dare")
    assert reply.startswith(sms_text("feedback_ack", "hau", reference="")[:10])
    assert db.session.scalar(select(Ticket)).priority == 1
