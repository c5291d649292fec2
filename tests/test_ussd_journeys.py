"""Every USSD journey, scripted in French, Hausa and Zarma, plus the fallbacks of the others.

Each screen is checked by the tester (≤ 160 characters, GSM-7, CON/END, text/plain).
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

import handlers
from gateway.extensions import db
from gateway.models import Contact, Message, Registration, Report, Subscription, Ticket, Topic
from gateway.services import contacts as contact_service
from tests.ussd_tester import UssdTester, new_number, ussd  # noqa: F401 - fixture

# What each screen says, per language, as shown on the phone (folded to GSM-7).
SAYS = {
    "fra": {"main": "Bienvenue sur Murya", "category": "Que se passe-t-il", "region": "quelle region",
            "department": "quel departement", "when": "Quand", "urgency": "urgent", "details": "Decrivez",
            "anonymous": "anonyme", "confirm": "Envoyer ?", "send": "Envoyer", "done": "Ref:",
            "sms": "Reference", "activities": "Activites ouvertes", "register": "M'inscrire",
            "registered": "Inscription confirmee", "waitlisted": "liste d'attente",
            "topics": "Choisissez un theme", "join": "Recevoir", "leave": "Ne plus",
            "joined": "Vous recevrez les messages", "left": "ne recevrez plus", "status_on": "abonne(e)",
            "callback": "ligne d'ecoute", "callback_yes": "Oui", "callback_done": "vous rappellera",
            "invalid": "Choix invalide", "today": "Aujourd'hui", "medium": "Grave", "no": "Non",
            "region_q": "Votre region", "resume": "non termine"},
    "hau": {"main": "Barka da zuwa Murya", "category": "Me ke faruwa", "region": "wane yanki",
            "department": "wace gunduma", "when": "Yaushe", "urgency": "gaggawa", "details": "Bayyana",
            "anonymous": "boye sunanka", "confirm": "A aika?", "send": "Aika", "done": "Lamba:",
            "sms": "Lambar shaida", "activities": "Ayyukan da ke bude", "register": "Yi rajista",
            "registered": "An tabbatar da rajista", "waitlisted": "jerin jira",
            "topics": "Zabi batu", "join": "Karbi", "leave": "Daina",
            "joined": "Za ka rika samun", "left": "Ba za ka kara", "status_on": "Kana karbar",
            "callback": "Layin taimako", "callback_yes": "Ee", "callback_done": "zai kira ka",
            "invalid": "Zabin bai dace ba", "today": "Yau", "medium": "Mai tsanani", "no": "A'a",
            "region_q": "Wane yanki", "resume": "ba ka gama ba"},
    "dje": {"main": "Fofo, Murya", "category": "Ifo no ka te", "region": "Region woofo",
            "department": "Departeman woofo", "when": "Waati fo", "urgency": "A ga caha", "details": "Ci a kayna",
            "anonymous": "tugu", "confirm": "Ir ma sanba?", "send": "Sanba", "done": "Nimero:",
            "sms": "", "activities": "Goy kan yan go feeri", "register": "Ay maa hantum",
            "registered": "Ni maa hantum", "waitlisted": "hawyan",
            "topics": "Faham baaruyan", "join": "Ay ma baaru", "leave": "Ay ma fay",
            "joined": "Ni ga baaruyan zaa", "left": "Ni si baaruyan zaa koyne", "status_on": "Ni ga i zaa",
            "callback": "Gaakasinay borey", "callback_yes": "Oho", "callback_done": "ga ni ce",
            "invalid": "Suubaroo mana boori", "today": "Hunkuna", "medium": "A ga beeri", "no": "Kala",
            "region_q": "Ni region", "resume": "mana ban"},
}
LANGS = ["fra", "hau", "dje"]
MAIN_OPTION = {"report": "1", "activities": "2", "topics": "3", "callback": "4", "language": "5"}


def outbox(phone: str) -> list[str]:
    return [m["text"] for m in handlers.get_channel("fake").outbox(phone)]


def report_until_confirm(phone: UssdTester, lang: str, details: str = "1", anonymous: bool = False):
    """Main menu → the confirmation screen: land dispute in Diffa / Mainé-Soroa, today, serious."""
    says = SAYS[lang]
    phone.send(MAIN_OPTION["report"]).expect(says["category"])
    phone.send("2").expect(says["region"])              # land or water dispute
    phone.choose("Diffa").expect(says["department"])
    phone.choose("Maine Soroa").expect(says["when"])
    phone.choose(says["today"]).expect(says["urgency"])
    phone.choose(says["medium"]).expect(says["details"])
    phone.send(details).expect(says["anonymous"])
    phone.send("1" if anonymous else "2").expect(says["confirm"], "Maine Soroa (Diffa)")
    return phone


# --- Language ------------------------------------------------------------------------------

def test_first_dial_asks_the_language_once_and_remembers_it(ussd, seeded, drain):
    phone = ussd()
    phone.expect("Langue", "1. Hausa", "2. Zarma", "3. Francais", end=False)
    assert "0 Retour" not in phone.screen            # nothing to go back to yet
    phone.choose("Hausa").expect(SAYS["hau"]["main"], "1. Kai rahoton matsala")
    drain()                                          # the worker writes the contact's language
    contact = contact_service.find_by_phone(phone.phone)
    assert (contact.language, contact.language_confirmed) == ("hau", True)
    again = ussd(phone=phone.phone)
    again.expect(SAYS["hau"]["main"], end=False)     # no language question on the next dial


@pytest.mark.parametrize("lang", LANGS)
def test_change_language_from_the_main_menu(ussd, seeded, drain, lang):
    phone = ussd("fra")
    phone.send(MAIN_OPTION["language"]).expect("1. Hausa", "0 Retour 00 Accueil")
    phone.choose({"fra": "Francais", "hau": "Hausa", "dje": "Zarma"}[lang]).expect(SAYS[lang]["main"])
    ussd(phone=phone.phone).expect(SAYS[lang]["main"])   # the next dial speaks it (contact cache)
    drain()
    assert contact_service.find_by_phone(phone.phone).language == lang


def test_arabic_speakers_see_french_on_ussd(ussd, seeded):
    """GSM-7 has no Arabic script: a contact whose language is Arabic sees French, not a blank."""
    number = new_number()
    contact, _ = contact_service.get_or_create(number)
    contact.language, contact.language_confirmed = "arb", True
    db.session.commit()
    phone = ussd(phone=number)
    phone.expect(SAYS["fra"]["main"])
    assert "Arab" not in ussd().screen                # not offered on the language menu


@pytest.mark.parametrize("lang, says", [("fuv", "Bisimilla e Murya"), ("knc", "Labar kalkal"),
                                        ("taq", "Emel tanagra")])
def test_partial_languages_have_main_menu_and_report_and_fall_back_to_french(ussd, seeded, drain, lang, says):
    phone = ussd(lang).expect(says)
    phone.send("1").send("1").choose("Tahoua").choose("Tillia").send("1").send("1").send("1").send("2")
    assert "{" not in phone.screen
    phone.send("1").expect("R-", end=True)
    drain()
    report = db.session.scalar(select(Report))
    assert (report.language, report.adm2_pcode) == (lang, "NE005012")
    # Activities are not translated yet in this language: French shows, visibly, never a blank.
    other = ussd(phone=phone.phone)
    other.send(MAIN_OPTION["activities"]).expect(SAYS["fra"]["region_q"])
    other.send("0").send(MAIN_OPTION["callback"]).expect(SAYS["fra"]["callback"])


# --- Report --------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
def test_report_journey_stores_the_report_and_sends_its_reference(ussd, seeded, drain, api, lang):
    phone = report_until_confirm(ussd(lang), lang, details="Des hommes armes*vus pres du puits")
    phone.send("1").expect(SAYS[lang]["done"], end=True)
    reference = phone.screen.split("R-")[1][:6]
    assert db.session.scalar(select(func.count()).select_from(Report)) == 0   # stored by the worker
    drain(max_jobs=1)                               # that job only: the SMS is its own job
    items = api.get("/api/v1/reports", role="viewer").get_json()["items"]
    assert len(items) == 1
    item = items[0]
    assert item["reference"] == f"R-{reference}"
    assert (item["category"], item["adm1_pcode"], item["adm2_pcode"]) == ("land_water", "NE002", "NE002004")
    assert (item["language"], item["channel"], item["occurred"], item["urgency"]) == (lang, "ussd", "today", 2)
    report = db.session.scalar(select(Report))
    assert report.text == "Des hommes armes*vus pres du puits"       # `*` inside free text kept
    assert report.contact_id == contact_service.find_by_phone(phone.phone).id
    assert outbox(phone.phone) == []                # the SMS goes through the queue
    drain()
    [sms] = outbox(phone.phone)
    assert f"R-{reference}" in sms and SAYS[lang]["sms"] in sms


def test_anonymous_report_keeps_no_link_to_the_person(ussd, seeded, drain, client):
    from gateway.models import Message, UssdSession
    phone = report_until_confirm(ussd("fra"), "fra", anonymous=True)
    screen = phone.send("1").expect("anonyme", end=True).expect("Pas de SMS").screen
    reference = screen.split("ref: ")[1].split()[0]
    client.post("/ussd/africastalking/events", data={"sessionId": phone.session_id, "phoneNumber": phone.phone,
                                                     "status": "Success", "hopsCount": "10"})
    drain()
    report = db.session.scalar(select(Report))
    assert report.anonymous is True and report.contact_id is None and report.text is None
    assert report.reference == reference
    # Nothing ties the report to the person: no SMS row, no plain session id, no exact time,
    # no contact on the session log.
    assert outbox(phone.phone) == [] and db.session.scalars(select(Message)).all() == []
    assert phone.session_id not in report.source_key and report.source_key.startswith("anon:")
    assert (report.created_at.minute, report.created_at.second) == (0, 0)
    assert db.session.scalar(select(UssdSession)).contact_id is None
    # A final hop replayed after Redis lost the session finds the report and says it again.
    redis = client.application.extensions["redis"]
    redis.flushdb()
    phone.post(phone.text)
    assert "anonyme" in phone.screen and reference in phone.screen
    drain()
    assert db.session.query(Report).count() == 1


def test_urgent_report_opens_a_hotline_ticket(ussd, seeded, drain):
    phone = ussd("fra")
    phone.send("1").choose("Presence ou menace").choose("Tillaberi").choose("Tera").send("1")
    phone.choose("Oui, danger").send("1").send("2").send("1").expect("Ref:", end=True)
    drain()
    ticket = db.session.scalar(select(Ticket))
    assert (ticket.kind, ticket.priority) == ("urgent_report", 1)


def test_cancelling_a_report_stores_nothing(ussd, seeded, drain):
    phone = report_until_confirm(ussd("fra"), "fra")
    phone.send("2").expect("Annule", end=True)
    drain()
    assert db.session.scalar(select(func.count()).select_from(Report)) == 0


def test_long_lists_paginate_with_98_and_number_across_pages(ussd, seeded):
    phone = ussd("hau").send("1")
    first = phone.options()
    assert "98. Gaba" in phone.screen
    phone.send("98")
    second = phone.options()
    assert int(second[0]) == int(first[-1]) + 1      # one number means one category
    phone.send("0")
    assert phone.options() == first                  # back returns to the previous page
    phone.send("98").send(second[0]).expect(SAYS["hau"]["region"])


def test_back_and_home_everywhere(ussd, seeded):
    phone = ussd("fra").send("1").send("1").expect(SAYS["fra"]["region"])
    phone.send("0").expect(SAYS["fra"]["category"])
    phone.send("1").choose("Diffa").send("00").expect(SAYS["fra"]["main"])
    phone.send("0").expect(SAYS["fra"]["main"])     # nothing behind the main menu


# --- Activities ----------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
def test_register_for_an_activity_with_confirmation_and_reminder(ussd, seeded, drain, clock, lang):
    phone = ussd(lang)
    phone.send(MAIN_OPTION["activities"]).expect(SAYS[lang]["region_q"])
    phone.choose("Diffa").expect(SAYS[lang]["activities"], "Dialogue intercommunautaire")
    phone.choose("Dialogue intercommunautaire").expect(SAYS[lang]["register"], "Diffa")
    phone.send("1").expect(SAYS[lang]["registered"], end=True)
    registration = db.session.scalar(select(Registration))     # the place is taken within the hop
    assert registration.status == "confirmed" and registration.reminder_job_id is None
    assert outbox(phone.phone) == []                # SMS and reminder are the worker's
    drain()
    db.session.refresh(registration)
    assert registration.reminder_job_id
    contact = contact_service.find_by_phone(phone.phone)
    assert contact.adm1_pcode == "NE002"            # remembered for next time
    assert len(outbox(phone.phone)) == 1            # the confirmation
    clock.shift(timedelta(days=4, hours=1))         # the day before (the activity is in 5 days)
    drain()
    texts = outbox(phone.phone)
    assert len(texts) == 2 and "Dialogue intercommunautaire" in texts[1]
    # The next dial goes straight to the region's activities.
    ussd(phone=phone.phone).send(MAIN_OPTION["activities"]).expect(SAYS[lang]["activities"])


def test_a_registration_whose_hand_over_was_lost_still_gets_its_reminder(app, ussd, seeded, drain, clock):
    """Redis lost the hop's hand-over after the place was taken: the periodic sweep schedules
    the reminder once the registration is old enough (the worker would have done it by then)."""
    from gateway.services.ussd_sessions import PENDING_KEY
    from workers.periodic import run
    phone = ussd("fra")
    phone.send(MAIN_OPTION["activities"]).choose("Diffa").choose("Dialogue intercommunautaire")
    phone.send("1").expect(SAYS["fra"]["registered"], end=True)
    app.extensions["redis"].delete(PENDING_KEY)
    run("reminders-sweep")
    registration = db.session.scalar(select(Registration))
    assert registration.reminder_job_id is None                  # too young: the worker's job
    clock.shift(timedelta(minutes=11))
    run("reminders-sweep")
    db.session.refresh(registration)
    assert registration.reminder_job_id
    clock.shift(timedelta(days=4, hours=1))                       # the day before
    drain()
    assert any("Dialogue intercommunautaire" in text for text in outbox(phone.phone))
    run("reminders-sweep")
    assert db.session.scalar(select(func.count()).select_from(Registration)
                             .where(Registration.reminded_at.is_not(None))) == 1


def test_full_activity_puts_the_person_on_the_waiting_list(ussd, seeded, drain):
    from gateway.models import Activity
    from gateway.services.activities import register
    activity = db.session.scalar(select(Activity).where(Activity.code == "DLG02"))   # capacity 3
    for _ in range(3):
        register(activity, contact_service.get_or_create(new_number())[0].id, channel="sms")
    db.session.commit()
    phone = ussd("fra").send("2").choose("Tahoua").choose("Dialogue agriculteurs")
    phone.expect("Places libres: 0").send("1").expect("n.1 sur la liste d'attente", end=True)
    again = ussd(phone=phone.phone).send("2").choose("Dialogue agriculteurs")
    again.send("1").expect("deja inscrit", end=True)
    drain()
    assert "liste d'attente" in outbox(phone.phone)[0]


def test_no_open_activity_in_the_region(ussd, seeded):
    phone = ussd("fra").send("2").choose("Agadez").expect("Aucune activite", "0 Retour", end=False)
    phone.send("0").expect("Votre region")


# --- Topics, call-back ---------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
def test_join_and_leave_an_awareness_topic(ussd, seeded, drain, lang):
    phone = ussd(lang).send(MAIN_OPTION["topics"]).expect(SAYS[lang]["topics"])
    phone.send("1").send("1").expect(SAYS[lang]["joined"], end=True)
    drain()
    topic = db.session.scalar(select(Topic).order_by(Topic.position))
    assert db.session.scalar(select(Subscription).where(Subscription.topic_id == topic.id)) is not None
    again = ussd(phone=phone.phone).send(MAIN_OPTION["topics"]).send("1").expect(SAYS[lang]["status_on"])
    again.send("2").expect(SAYS[lang]["left"], end=True)
    drain()
    assert db.session.scalar(select(func.count()).select_from(Subscription)) == 0


@pytest.mark.parametrize("lang", LANGS)
def test_callback_request_opens_a_ticket_for_the_hotline(ussd, seeded, drain, lang):
    phone = ussd(lang).send(MAIN_OPTION["callback"]).expect(SAYS[lang]["callback"])
    phone.send("1").expect(SAYS[lang]["callback_done"], end=True)
    drain()
    ticket = db.session.scalar(select(Ticket))
    contact = contact_service.find_by_phone(phone.phone)
    assert (ticket.kind, ticket.contact_id, ticket.language) == ("callback", contact.id, lang)
    assert len(outbox(phone.phone)) == 1
    assert db.session.scalar(select(Message.language)) == lang
