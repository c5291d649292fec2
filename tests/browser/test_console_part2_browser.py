"""The console's messages, inbox, contacts and admin pages in headless Chromium, in French: a
flagged message triaged and answered in the person's language, an unflagged one found by search
and made a ticket, bulk actions, a contact's profile, a keyword rule added and tried, and the new
pages at phone width."""
from __future__ import annotations

import pytest

from gateway.extensions import db
from gateway.models import Contact, FlagRule, Message, Ticket
from gateway.services import contacts
from tests.factories import ReportFactory
from tests.inbox_support import NUMBER, canned, flagged_ticket

pytestmark = pytest.mark.browser
PHONE_WIDTH = 390


def _inbound(text: str, number: str, language: str) -> Message:
    contact, _ = contacts.get_or_create(number, channel="fake", language=language)
    message = Message(direction="in", channel="fake", contact_id=contact.id, text=text, language=language,
                      status="received", kind="inbound", extra={"reference": "M-BRWS01"})
    db.session.add(message)
    db.session.commit()
    return message


def test_triage_and_answer_a_flagged_message_in_the_persons_language(page, console_login, live_server, seeded, drain):
    ticket = flagged_ticket(language="hau", text="An yi fada a kasuwa, mutane sun ji rauni")
    canned()
    console_login("operator")
    page.goto("/console/messages?flagged=1")
    row = page.locator(f"tr[data-message='{ticket.message_id}']")
    assert "An yi fada a kasuwa" in row.inner_text()
    row.locator(f"a[href$='/inbox/{ticket.id}']").click()
    page.click("#claim-button")
    page.select_option("#triage-form select[name=category]", label="Tension entre communautés")
    page.select_option("#triage-form select[name=severity]", label="Haute")
    page.click("#triage-form button[type=submit]")
    page.wait_for_selector("text=Tri enregistré.")
    page.select_option("#canned", label="thanks")
    page.wait_for_function("document.querySelector('#reply-form .counter') && "
                           "document.querySelector('#reply-form .counter').textContent.includes('GSM-7')")
    page.click("#reply-form button[type=submit]")
    page.wait_for_selector("text=Réponse mise en file d’envoi.")
    timeline = page.inner_text("#timeline")
    assert "a trié" in timeline and "a répondu par SMS en Haoussa" in timeline
    drain()
    texts = [m["text"] for m in live_server.app.extensions["channels"]["fake"].outbox(NUMBER)]
    assert texts == ["Na gode, za mu kira ka."]                  # the Hausa text, in Hausa
    db.session.rollback()
    assert db.session.get(Ticket, ticket.id).category_code == "intercommunal"


def test_find_an_unflagged_message_by_search_and_open_a_ticket(page, console_login, seeded):
    _inbound("Mutane sun ji rauni a hanyar kasuwa", "+22790555101", "hau")
    _inbound("Ruwa ya yi yawa", "+22790555102", "hau")
    console_login("operator")
    page.goto("/console/messages")
    page.select_option("#filter-flagged", "0")
    page.fill("#message-search", "rauni")
    page.click("#message-filters button[type=submit]")
    page.wait_for_url("**/console/messages?q=rauni*")
    rows = page.locator("#messages-table tbody tr")
    assert rows.count() == 1 and "Mutane sun ji rauni" in rows.first.inner_text()
    rows.first.locator("button.open-ticket").click()
    page.wait_for_url("**/console/inbox/*")
    assert "ouvert à partir de ce message" in page.inner_text("main")
    assert "M-BRWS01" in page.inner_text("#reference") and "Mutane sun ji rauni" in page.inner_text("#thread")
    db.session.rollback()
    assert db.session.query(Ticket).one().kind == "feedback"


def test_inbox_bulk_claim_label_close(page, console_login, live_server, seeded, drain):
    first = flagged_ticket()
    second = flagged_ticket(number="+22790555103", text="Ruwa ya yi yawa")
    user = console_login("operator")
    page.goto("/console/inbox")
    page.check("#select-all")
    page.click("#bulk-claim")
    page.wait_for_selector("text=Pris en charge : 2.")
    assert page.locator("#tickets td.holder").all_inner_texts() == ["vous", "vous"]
    page.check("#select-all")
    page.fill("#bulk-label-text", "mairie")
    page.click("#bulk-label")
    page.wait_for_selector("text=Étiquetés : 2.")
    page.check(f"tr[data-ticket='{first.id}'] .row-select")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#bulk-close")
    page.wait_for_selector("text=Clos : 1")
    assert page.locator(f"tr[data-ticket='{first.id}']").count() == 0
    # Keyboard: j moves to the first ticket, x ticks it.
    page.locator("body").press("j")
    assert page.evaluate("document.activeElement.textContent") == f"T-{second.id}"
    page.keyboard.press("x")
    assert page.is_checked(f"tr[data-ticket='{second.id}'] .row-select")
    db.session.rollback()
    assert db.session.get(Ticket, first.id).status == "closed" and "mairie" in db.session.get(Ticket, second.id).labels
    assert db.session.get(Ticket, second.id).assignee_id == user.id


def test_a_contact_profile(page, console_login, seeded):
    contact, _ = contacts.get_or_create("+22790555104", channel="fake", language="dje")
    db.session.commit()
    _inbound("Boro yaŋ kaŋ", "+22790555104", "dje")
    ReportFactory(reference="R-BRWS01", contact_id=contact.id)
    console_login("staff")
    page.goto("/console/contacts")
    page.fill("#contact-search", contact.reporter_code)
    page.press("#contact-search", "Enter")
    page.locator("#contacts-table a").first.click()
    assert "Boro yaŋ kaŋ" in page.inner_text("#contact-messages")
    assert "R-BRWS01" in page.inner_text("#contact-reports")
    assert "90555104" not in page.inner_text("main")
    page.select_option("#contact-adm1", label="Tillabéri")
    page.fill("#new-groups", "leaders")
    page.click("#contact-form button[type=submit]")
    page.wait_for_selector("text=Enregistré.")
    assert "Tillabéri" in page.inner_text("#contact-facts")
    db.session.rollback()
    assert db.session.get(Contact, contact.id).group_names == ["leaders"]


def test_an_admin_adds_a_rule_and_tries_a_message(page, console_login, seeded):
    console_login("admin")
    page.goto("/console/admin/flag-rules?language=hau")
    form = page.locator("#rule-form")
    form.locator("input[name=name]").fill("hau:granary")
    form.locator("input[name=label]").fill("granary")
    form.locator("select[name=category]").select_option("intercommunal")
    form.locator("textarea[name=terms]").fill("rumbun hatsi")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("text=Règle « hau:granary » enregistrée.")
    page.fill("#sample", "Rumbun hatsi ya kone a kauyenmu")
    page.select_option("#sample-language", "hau")
    page.click("#try-button")
    assert "Signalé à la ligne d’écoute" in page.inner_text("#trial-flagged")
    assert "hau:granary" in page.inner_text("#trial-rules")
    db.session.rollback()
    assert db.session.query(FlagRule).filter_by(name="hau:granary").one().terms == ["rumbun hatsi"]


def test_the_new_pages_fit_a_phone(page, console_login, seeded):
    ticket = flagged_ticket(text="Un message assez long " * 8)
    contact = db.session.get(Contact, ticket.contact_id)
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 844})
    console_login("admin")
    for path in ("/console/messages", "/console/inbox", f"/console/inbox/{ticket.id}", "/console/contacts",
                 f"/console/contacts/{contact.id}", "/console/contacts/import", "/console/admin/audit",
                 "/console/admin/keywords", "/console/admin/flag-rules", "/console/admin/texts",
                 "/console/admin/canned-replies"):
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE_WIDTH, f"{path} is {width} px wide"
