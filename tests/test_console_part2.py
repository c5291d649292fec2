"""Console, issue 13 part 2: every message, the inbox and ticket, contacts, the import's reasons
and rejected rows."""
from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import func, select

from gateway import crypto
from gateway.extensions import db
from gateway.models import AuditEntry, Contact, Message, Partner, Ticket
from gateway.services import contacts
from tests.factories import ActivityFactory, ReportFactory
from tests.inbox_support import NUMBER, flagged_ticket, report_ticket
from tests.test_inbox_console import csrf, post


def inbound(text: str, number: str = "+22790555002", language: str = "hau", flagged: bool = False,
            labels=(), reference: str | None = None, region: str | None = None) -> Message:
    """A received SMS as the pipeline stores it."""
    contact, _ = contacts.get_or_create(number, channel="fake", language=language)
    if region:
        contact.adm1_pcode = region
    message = Message(direction="in", channel="fake", contact_id=contact.id, text=text, language=language,
                      status="received", flagged=flagged, labels=list(labels), kind="inbound",
                      extra={"reference": reference} if reference else {})
    db.session.add(message)
    db.session.commit()
    return message


# ---------------------------------------------------------------- messages

def test_every_message_in_and_out_with_filters(client, login, seeded, clock):
    calm = inbound("An yi fada a kasuwa, mutane sun ji rauni", reference="M-CALM01", region="NE002")
    inbound("Attaque au marché", number="+22790555003", language="fra", flagged=True, region="NE006")
    contact = db.session.get(Contact, calm.contact_id)
    db.session.add(Message(direction="out", channel="fake", contact_id=contact.id, text="Mun karɓi saƙonku",
                           language="hau", status="sent", kind="ack"))
    db.session.commit()
    login("operator")
    html = client.get("/console/messages").get_data(as_text=True)
    assert "An yi fada a kasuwa" in html and "Attaque au marché" in html and "Mun karɓi saƙonku" in html
    assert "Accusé de réception" in html and "M-CALM01" in html and NUMBER not in html
    unflagged = client.get("/console/messages?flagged=0&direction=in").get_data(as_text=True)
    assert "An yi fada" in unflagged and "Attaque au marché" not in unflagged and "Mun karɓi" not in unflagged
    diffa = client.get("/console/messages?region=NE002").get_data(as_text=True)
    assert "An yi fada" in diffa and "Attaque" not in diffa
    assert "Attaque" in client.get("/console/messages?language=fra").get_data(as_text=True)
    assert "An yi fada" not in client.get("/console/messages?from=2026-11-27").get_data(as_text=True)


def test_search_finds_words_in_any_order_and_any_case(client, login, seeded):
    inbound("An yi fada a kasuwa, mutane sun ji rauni")
    inbound("Ruwa ya yi yawa", number="+22790555004")
    login("operator")
    found = client.get("/console/messages?q=RAUNI+kasuwa").get_data(as_text=True)
    assert "An yi fada" in found and "Ruwa ya yi yawa" not in found
    assert "Aucun message" in client.get("/console/messages?q=rauni+ruwa").get_data(as_text=True)


def test_viewers_see_no_text_and_cannot_search_it(client, login, seeded):
    inbound("An yi fada a kasuwa, mutane sun ji rauni")
    login("viewer")
    html = client.get("/console/messages").get_data(as_text=True)
    assert "An yi fada" not in html and "texte masqué pour votre rôle" in html
    searched = client.get("/console/messages?q=kasuwa").get_data(as_text=True)
    assert "ne recherche pas dans le texte" in searched


def test_sensitive_text_is_hidden_and_never_found_by_search(client, login, seeded):
    inbound("Fyade a gidan makwabta", labels=["gbv"], flagged=True)
    login("operator")
    assert "Fyade" not in client.get("/console/messages").get_data(as_text=True)
    assert "Aucun message" in client.get("/console/messages?q=fyade").get_data(as_text=True)
    client.post("/console/logout", data={"csrf_token": csrf(client)})
    login("operator", email="cleared@example.org", sensitive=True)
    assert "Fyade" in client.get("/console/messages?q=fyade").get_data(as_text=True)


def test_open_a_ticket_from_a_message_once(client, login, seeded):
    message = inbound("An yi fada a kasuwa, mutane sun ji rauni", reference="M-OPEN01")
    user = login("operator")
    response = post(client, f"/console/messages/{message.id}/ticket")
    ticket = db.session.scalar(select(Ticket))
    assert response.headers["Location"].endswith(f"/console/inbox/{ticket.id}")
    assert (ticket.kind, ticket.message_id, ticket.language) == ("feedback", message.id, "hau")
    again = post(client, f"/console/messages/{message.id}/ticket")
    assert again.headers["Location"].endswith(f"/console/inbox/{ticket.id}")
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "ticket.open"))
    assert entry.actor == f"user:{user.id}" and entry.details["message_id"] == message.id
    assert f"T-{ticket.id}" in client.get("/console/messages").get_data(as_text=True)
    # Only received messages, and only operators and up.
    sent = Message(direction="out", channel="fake", contact_id=message.contact_id, text="x", status="sent")
    db.session.add(sent)
    db.session.commit()
    post(client, f"/console/messages/{sent.id}/ticket")
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1


def test_viewers_cannot_open_tickets(client, login, seeded):
    message = inbound("Ruwa ya yi yawa")
    login("viewer")
    assert post(client, f"/console/messages/{message.id}/ticket").status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0


# ---------------------------------------------------------------- inbox

def test_inbox_shows_excerpt_region_age_and_reference(client, login, seeded, clock):
    ticket = flagged_ticket(text="Akwai fada a kasuwa, a taimaka")
    db.session.get(Message, ticket.message_id).extra = {"reference": "M-INBOX1"}
    db.session.get(Contact, ticket.contact_id).adm1_pcode = "NE005"
    report, urgent = report_ticket(number="+22790555009")
    db.session.commit()
    clock.shift(3 * 3600)
    login("operator")
    html = client.get("/console/inbox").get_data(as_text=True)
    assert "Akwai fada a kasuwa" in html and "Tahoua" in html and "M-INBOX1" in html
    assert "Boro yaŋ kaŋ" in html and report.reference in html and "Diffa" in html
    assert "3\u202fh" in html                              # 3 hours old (Babel's narrow space)


def test_inbox_search_and_pages(client, login, seeded, monkeypatch):
    from gateway.services import paging
    first = flagged_ticket(text="Akwai fada a kasuwa")
    other = flagged_ticket(number="+22790555010", text="Ruwa ya yi yawa")
    login("operator")
    found = client.get("/console/inbox?q=kasuwa").get_data(as_text=True)
    assert f'data-ticket="{first.id}"' in found and f'data-ticket="{other.id}"' not in found
    by_number = client.get(f"/console/inbox?q=T-{other.id}").get_data(as_text=True)
    assert f'data-ticket="{other.id}"' in by_number and f'data-ticket="{first.id}"' not in by_number
    code = db.session.get(Contact, other.contact_id).reporter_code
    assert f'data-ticket="{other.id}"' in client.get(f"/console/inbox?q={code}").get_data(as_text=True)
    monkeypatch.setattr(paging, "PER_PAGE", 1)
    monkeypatch.setattr("gateway.services.ticket_views.PER_PAGE", 1)
    import gateway.services.ticket_views as views
    monkeypatch.setattr(views.inbox_page, "__defaults__", (1, 1))
    page1 = client.get("/console/inbox").get_data(as_text=True)
    page2 = client.get("/console/inbox?page=2").get_data(as_text=True)
    assert "Page 1 sur 2" in page1 and f'data-ticket="{first.id}"' in page1
    assert f'data-ticket="{other.id}"' in page2 and f'data-ticket="{first.id}"' not in page2


def test_bulk_claim_label_and_close(app, client, login, seeded, drain):
    mine = flagged_ticket()
    second = flagged_ticket(number="+22790555011", text="Ruwa ya yi yawa")
    held = flagged_ticket(number="+22790555012", text="Wani abu")
    other = login("operator", email="other@example.org")
    post(client, f"/console/inbox/{held.id}/claim")
    client.post("/console/logout", data={"csrf_token": csrf(client)})
    user = login("operator")
    ids = [str(mine.id), str(second.id), str(held.id)]
    claimed = post(client, "/console/inbox/bulk", {"action": "claim", "ticket": ids}, follow_redirects=True)
    assert "Pris en charge : 2." in claimed.get_data(as_text=True) and "Laissés de côté" in claimed.get_data(as_text=True)
    assert [db.session.get(Ticket, t.id).assignee_id for t in (mine, second, held)] == [user.id, user.id, other.id]
    post(client, "/console/inbox/bulk", {"action": "label", "label": "Suivi mairie", "ticket": ids})
    assert all("suivi mairie" in db.session.get(Ticket, t.id).labels for t in (mine, second, held))
    post(client, "/console/inbox/bulk", {"action": "close", "ticket": ids})
    assert [db.session.get(Ticket, t.id).status for t in (mine, second, held)] == ["closed", "closed", "claimed"]
    drain()
    assert app.extensions["channels"]["fake"].outbox(NUMBER)          # the person is told
    refused = post(client, "/console/inbox/bulk", {"action": "explode", "ticket": ids}, follow_redirects=True)
    assert "Cochez au moins un ticket" in refused.get_data(as_text=True)


def test_bulk_close_can_close_quietly(app, client, login, seeded, drain):
    """Unticking "tell each person" closes a batch (duplicates, tests) without an SMS."""
    quiet = flagged_ticket(number="+22790555014", text="Wani abu")
    told = flagged_ticket(number="+22790555015", text="Ruwa ya yi yawa")
    login("operator")
    drain()
    fake = app.extensions["channels"]["fake"]
    before = {n: len(fake.outbox(n)) for n in ("+22790555014", "+22790555015")}
    # The form sends the ticked checkbox first and the hidden "0" after it; unticked, only "0".
    page = post(client, "/console/inbox/bulk", {"action": "close", "notify": "0", "ticket": [str(quiet.id)]},
                follow_redirects=True)
    assert "Clos : 1 (aucun SMS envoyé)." in page.get_data(as_text=True)
    post(client, "/console/inbox/bulk", {"action": "close", "notify": ["1", "0"], "ticket": [str(told.id)]})
    drain()
    assert db.session.get(Ticket, quiet.id).status == db.session.get(Ticket, told.id).status == "closed"
    assert len(fake.outbox("+22790555014")) == before["+22790555014"]
    assert len(fake.outbox("+22790555015")) == before["+22790555015"] + 1
    html = client.get("/console/inbox").get_data(as_text=True)
    assert 'id="bulk-notify" checked' in html and "Prévenir chaque personne" in html


def test_closing_leads_to_the_next_ticket(client, login, seeded):
    first = flagged_ticket(priority=1)
    second = flagged_ticket(number="+22790555013", text="Ruwa ya yi yawa", priority=2)
    login("operator")
    post(client, f"/console/inbox/{first.id}/claim")
    closed = post(client, f"/console/inbox/{first.id}/close", {"notify": "0"})
    assert closed.headers["Location"].endswith(f"/console/inbox/{second.id}")
    assert client.get("/console/inbox/next").headers["Location"].endswith(f"/console/inbox/{second.id}")
    post(client, f"/console/inbox/{second.id}/claim")
    last = post(client, f"/console/inbox/{second.id}/close", {"notify": "0"})
    assert last.headers["Location"].endswith("/console/inbox")


# ---------------------------------------------------------------- the ticket

def test_ticket_timeline_names_every_author(client, login, seeded, drain):
    ticket = flagged_ticket()
    partner = Partner(name="Comité de paix de Diffa")
    db.session.add(partner)
    db.session.commit()
    login("operator", email="first@example.org")
    post(client, f"/console/inbox/{ticket.id}/claim")
    post(client, f"/console/inbox/{ticket.id}/note", {"text": "Le chef de village confirme"})
    client.post("/console/logout", data={"csrf_token": csrf(client)})
    second = login("operator", email="second@example.org")
    second.name = "Aïcha Opératrice"
    db.session.commit()
    post(client, f"/console/inbox/{ticket.id}/claim", {"force": "1"})
    post(client, f"/console/inbox/{ticket.id}/triage", {"category": "intercommunal", "severity": "3"})
    post(client, f"/console/inbox/{ticket.id}/reply", {"text": "Mun ji ku, za mu kira"})
    post(client, f"/console/inbox/{ticket.id}/refer", {"partner_id": str(partner.id)})
    html = client.get(f"/console/inbox/{ticket.id}").get_data(as_text=True)
    timeline = html[html.index('id="timeline"'):]
    for words in ("Murya (automatique)", "a ouvert le ticket", "a pris en charge le ticket",
                  "a ajouté une note", "Le chef de village confirme", "a repris le ticket de Operator",
                  "a trié", "Tension entre communautés", "gravité : Haute", "a répondu par SMS en Haoussa",
                  "Mun ji ku, za mu kira", "l’a orienté vers Comité de paix de Diffa"):
        assert words in timeline, words
    assert timeline.count("Aïcha Opératrice") >= 4
    notes = html[html.index('id="notes"'):html.index('id="timeline"')]
    assert "Operator" in notes                                  # the note's author
    assert 'id="referral"' in html and "Comité de paix de Diffa" in html


def test_closing_sms_cites_the_reference_the_person_knows(app, client, login, seeded, drain):
    ticket = flagged_ticket()
    db.session.get(Message, ticket.message_id).extra = {"reference": "M-K7MX4P"}
    db.session.commit()
    login("operator")
    assert "M-K7MX4P" in client.get(f"/console/inbox/{ticket.id}").get_data(as_text=True)
    post(client, f"/console/inbox/{ticket.id}/claim")
    post(client, f"/console/inbox/{ticket.id}/close", {"notify": "1"})
    drain()
    [sent] = [m["text"] for m in app.extensions["channels"]["fake"].outbox(NUMBER)]
    assert "M-K7MX4P" in sent and f"T-{ticket.id}" not in sent


# ---------------------------------------------------------------- contacts

def test_contacts_list_search_by_code_group_and_stopped(client, login, seeded):
    ada, _ = contacts.get_or_create("+22790600001", language="hau")
    contacts.set_groups(ada, ["youth"])
    ben, _ = contacts.get_or_create("+22790600002", language="fra")
    contacts.stop(ben, via="sms")
    db.session.commit()
    login("operator")
    html = client.get("/console/contacts").get_data(as_text=True)
    assert ada.reporter_code in html and ben.reporter_code in html and "90600001" not in html
    assert "Jeunes (1)" in html and "Arrêtés (1)" in html
    by_code = client.get(f"/console/contacts?q={ada.reporter_code[2:6].lower()}").get_data(as_text=True)
    assert ada.reporter_code in by_code and ben.reporter_code not in by_code
    assert ben.reporter_code not in client.get("/console/contacts?group=youth").get_data(as_text=True)
    stopped = client.get("/console/contacts?stopped=1").get_data(as_text=True)
    assert ben.reporter_code in stopped and ada.reporter_code not in stopped


def test_search_by_number_only_for_admins_and_audited(client, login, seeded):
    ada, _ = contacts.get_or_create("+22790600001")
    db.session.commit()
    login("staff")
    refused = client.get("/console/contacts?q=90 60 00 01").get_data(as_text=True)
    assert "ne recherche pas par numéro" in refused
    client.post("/console/logout", data={"csrf_token": csrf(client)})
    admin = login("admin")
    found = client.get("/console/contacts?q=90 60 00 01").get_data(as_text=True)
    assert ada.reporter_code in found and "90600001" not in found
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "contact.search_by_number"))
    assert entry.actor == f"user:{admin.id}" and entry.details == {"found": 1}
    assert "90600001" not in str(entry.details)


def test_profile_shows_history_never_the_number_unless_revealed(client, login, seeded):
    contact, _ = contacts.get_or_create("+22790600003", language="dje")
    contact.name_encrypted = crypto.encrypt("Hawa Issoufou")
    db.session.commit()
    inbound("Boro yaŋ kaŋ", number="+22790600003", language="dje")
    ReportFactory(reference="R-PROF01", contact_id=contact.id)
    ReportFactory(reference="R-ANON01", contact_id=None, anonymous=True)
    activity = ActivityFactory(code="PRF01")
    from gateway.services import activities
    activities.register(activity, contact.id, "sms")
    db.session.commit()
    login("operator")
    html = client.get(f"/console/contacts/{contact.id}").get_data(as_text=True)
    assert "Boro yaŋ kaŋ" in html and "R-PROF01" in html and "R-ANON01" not in html and "PRF01" in html
    assert "90600003" not in html and "Hawa Issoufou" not in html          # operators see neither
    assert post(client, f"/console/contacts/{contact.id}/reveal").status_code == 403
    client.post("/console/logout", data={"csrf_token": csrf(client)})
    login("staff")
    assert "Hawa Issoufou" in client.get(f"/console/contacts/{contact.id}").get_data(as_text=True)
    client.post("/console/logout", data={"csrf_token": csrf(client)})
    admin = login("admin")
    shown = post(client, f"/console/contacts/{contact.id}/reveal").get_data(as_text=True)
    assert "+22790600003" in shown
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "contact.reveal_number"))
    assert entry.actor == f"user:{admin.id}" and entry.object_id == str(contact.id)


def test_staff_edit_a_contact_and_stop_restart(client, login, seeded):
    contact, _ = contacts.get_or_create("+22790600004")
    db.session.commit()
    login("staff")
    saved = post(client, f"/console/contacts/{contact.id}", {
        "name": "Moussa", "language": "hau", "adm1": "NE002", "adm2": "NE002003", "new_groups": "leaders; women"})
    assert saved.status_code == 302
    contact = db.session.get(Contact, contact.id)
    assert (contact.language, contact.language_confirmed, contact.adm2_pcode) == ("hau", True, "NE002003")
    assert contact.group_names == ["leaders", "women"] and crypto.decrypt(contact.name_encrypted) == "Moussa"
    bad = post(client, f"/console/contacts/{contact.id}", {"adm1": "NE006", "adm2": "NE002003"})
    assert bad.status_code == 400 and "n’est pas dans la région" in bad.get_data(as_text=True)
    post(client, f"/console/contacts/{contact.id}/stop")
    assert db.session.get(Contact, contact.id).stopped
    post(client, f"/console/contacts/{contact.id}/restart")
    assert not db.session.get(Contact, contact.id).stopped
    actions = list(db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "contact")))
    assert actions == ["contact.update", "contact.stop", "contact.restart"]
    details = db.session.scalar(select(AuditEntry.details).where(AuditEntry.action == "contact.update"))
    assert details == {"fields": ["name", "language", "place", "groups"]} and "Moussa" not in str(details)


def test_operators_cannot_edit_contacts(client, login, seeded):
    contact, _ = contacts.get_or_create("+22790600005")
    db.session.commit()
    login("operator")
    assert post(client, f"/console/contacts/{contact.id}", {"name": "X"}).status_code == 403
    assert post(client, f"/console/contacts/{contact.id}/stop").status_code == 403


# ---------------------------------------------------------------- import

def test_import_template_and_reasons_in_words(client, login, seeded):
    login("staff")
    template = client.get("/console/contacts/import/template.csv")
    rows = list(csv.reader(io.StringIO(template.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["phone", "name", "language", "adm1_pcode", "adm2_pcode", "groups"] and len(rows) == 2
    data = ("phone,name,language,adm1_pcode,adm2_pcode,groups\n+22790800001,Ali,hau,,,\n12345,Ada,,,,\n"
            "+22790800002,,xx,,,\n+22790800003,,,NE006,NE002003,\n=HYPERLINK(1),,,,,\n").encode()
    preview = post(client, "/console/contacts/import", {"file": (io.BytesIO(data), "list.csv")},
                   content_type="multipart/form-data")
    html = preview.get_data(as_text=True)
    # 12345 is too short, not "digits only"; only the formula row is refused for its characters.
    assert "trop court : un numéro du Niger a 8 chiffres" in html and html.count("que des chiffres") == 1
    assert "La langue « xx »" in html and "Le département Goudoumaria n’est pas dans la région NE006" in html
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    rejected = client.get(f"/console/contacts/import/{token}/rejected.csv")
    rows = list(csv.reader(io.StringIO(rejected.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:2] == ["ligne", "phone"] and [r[0] for r in rows[1:]] == ["3", "4", "5", "6"]
    assert rows[1][1:3] == ["12345", "Ada"] and "trop court" in rows[1][-1]
    assert rows[4][1] == "'=HYPERLINK(1)"                  # a formula is written as text
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 0
    assert client.get("/console/contacts/import/nope/rejected.csv").status_code == 404


@pytest.mark.parametrize("role, status", [("viewer", 403), ("operator", 200), ("staff", 200)])
def test_contacts_pages_roles(client, login, seeded, role, status):
    login(role)
    assert client.get("/console/contacts").status_code == status
