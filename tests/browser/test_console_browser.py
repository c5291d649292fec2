"""The staff console in a real browser: sign-in, the inbox flow, charts, activities, imports."""
from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from gateway.extensions import db
from gateway.models import Activity, Contact, Ticket, utcnow
from tests.factories import ReportFactory
from tests.inbox_support import NUMBER, canned, flagged_ticket

pytestmark = pytest.mark.browser


def test_sign_in_and_out(page, console_login):
    console_login("viewer")
    assert page.inner_text("h1") == "Tableau de bord"
    assert page.get_attribute("html", "lang") == "fr"
    assert page.is_visible("header.top nav >> text=Signalements")
    assert not page.is_visible("header.top nav >> text=Boîte de réception")     # viewers have no inbox
    page.click("text=Se déconnecter")
    page.wait_for_url("**/console/login")


def test_wrong_password_is_refused(page, live_server):
    page.goto("/console/login")
    page.fill("input[name=email]", "nobody@example.org")
    page.fill("input[name=password]", "wrong")
    page.click("form.card button[type=submit]")
    # The click submits the form: wait for the page that answers it, not the one still shown.
    page.wait_for_selector("text=E-mail ou mot de passe incorrect.")
    assert page.is_visible("text=E-mail ou mot de passe incorrect.")


def test_inbox_claim_reply_close(page, console_login, live_server, drain, seeded):
    ticket = flagged_ticket(language="hau")
    canned()
    user = console_login("operator")
    page.click("header.top nav >> text=Boîte de réception")
    row = page.locator(f"tr[data-ticket='{ticket.id}']")
    assert "—" in row.locator("td.holder").inner_text()
    row.locator("a").click()
    assert "Akwai fada a kasuwa" in page.inner_text("#thread")
    page.click("#claim-button")
    assert page.inner_text("#holder") == "vous"
    # Choosing a ready-made reply fills the box in the person's language.
    page.select_option("#canned", label="thanks")
    assert page.input_value("#reply-text") == "Na gode, za mu kira ka."
    page.click("#reply-form button[type=submit]")
    assert page.is_visible("text=Réponse mise en file d’envoi.")
    page.click("#close-button")
    page.wait_for_url("**/console/inbox")
    assert page.locator(f"tr[data-ticket='{ticket.id}']").count() == 0
    db.session.rollback()
    stored = db.session.get(Ticket, ticket.id)
    assert stored.status == "closed" and stored.closed_at is not None
    drain()
    texts = [m["text"] for m in live_server.app.extensions["channels"]["fake"].outbox(NUMBER)]
    assert texts[0] == "Na gode, za mu kira ka." and f"T-{ticket.id}" in texts[1]
    assert stored.assignee_id == user.id       # who handled it stays visible


def test_reports_charts_render(page, console_login, seeded):
    for region, department in (("NE002", "NE002003"), ("NE002", "NE002003"), ("NE006", "NE006011")):
        ReportFactory(adm1_pcode=region, adm2_pcode=department)
    console_login("viewer")
    page.goto("/console/reports/charts")
    assert page.locator("#chart-region svg rect").count() == 2
    assert page.locator("#chart-category svg rect").count() == 1
    assert page.locator("#chart-week svg rect").count() == 1
    assert "Diffa" in page.inner_text("#chart-region")                 # names, not P-codes
    box = page.locator("#chart-region svg").bounding_box()
    assert box and box["width"] > 100 and box["height"] > 20      # drawn, not collapsed


def test_staff_create_an_activity(page, console_login, seeded):
    console_login("staff")
    page.goto("/console/activities")
    start = (utcnow() + timedelta(days=30)).astimezone(ZoneInfo("Africa/Niamey")).replace(hour=9, minute=0, second=0, microsecond=0)
    page.fill("input[name=code]", "med01")
    page.fill("input[name=name]", "Médiation communautaire")
    page.select_option("select[name=kind]", "dialogue")
    page.select_option("#adm1", label="Tahoua")
    # Only Tahoua's departments remain offered.
    assert page.eval_on_selector("#adm2 option[data-region='NE002']", "o => o.hidden") is True
    assert page.eval_on_selector("#adm2 option[value='NE005011']", "o => o.hidden") is False
    page.select_option("#adm2", "NE005011")
    page.fill("input[name=starts_at]", start.strftime("%Y-%m-%dT%H:%M"))
    page.fill("input[name=capacity]", "12")
    page.click("#activity-form button[type=submit]")
    page.wait_for_selector("text=Activité MED01 créée.")
    assert "MED01" in page.inner_text("h1")
    db.session.rollback()
    activity = db.session.query(Activity).filter_by(code="MED01").one()
    assert activity.capacity == 12 and activity.adm2_pcode == "NE005011"
    assert activity.starts_at == start.astimezone(activity.starts_at.tzinfo)


def test_contacts_import_preview(page, console_login, seeded):
    console_login("staff")
    page.goto("/console/contacts/import")
    page.set_input_files("input[name=file]", files=[{
        "name": "contacts.csv", "mimeType": "text/csv",
        "buffer": b"phone,name,language,groups\n+22790900001,Ada,hau,youth\n+22790900002,,xx,\n"}])
    page.click("#upload-form button[type=submit]")
    assert page.inner_text("#preview-created") == "1"
    assert page.inner_text("#preview-rejected") == "1"
    assert "La langue « xx » n’est pas l’une de" in page.inner_text("#rejected")      # in words, in French
    db.session.rollback()
    assert db.session.query(Contact).count() == 0          # the preview saved nothing
    page.click("#confirm-import")
    page.wait_for_selector("text=1 créés")
    db.session.rollback()
    assert db.session.query(Contact).count() == 1
