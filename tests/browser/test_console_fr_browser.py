"""The console as staff in Niger use it, in French, in headless Chromium: an activity and its USSD
registrations, a campaign composed, confirmed and followed to 100 %, the map to a department's
reports, the export, and the main pages at phone width."""
from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from gateway.extensions import db
from gateway.models import Activity, Campaign, Registration, utcnow
from tests.factories import ContactFactory, ReportFactory
from tests.ussd_tester import UssdTester

pytestmark = pytest.mark.browser
PHONE_WIDTH = 390


def test_create_an_activity_then_a_ussd_registration_appears(page, console_login, live_server, seeded, drain):
    console_login("staff")
    page.goto("/console/activities")
    start = (utcnow() + timedelta(days=20)).astimezone(ZoneInfo("Africa/Niamey"))
    page.fill("input[name=code]", "PAIX01")
    page.fill("input[name=name]", "Causerie pour la paix")
    page.select_option("select[name=kind]", label="Dialogue")
    page.select_option("#adm1", label="Diffa")
    page.select_option("#adm2", label="Diffa")
    page.fill("input[name=starts_at]", start.strftime("%Y-%m-%dT09:00"))
    page.fill("input[name=capacity]", "30")
    page.click("#activity-form button[type=submit]")
    page.wait_for_selector("text=Activité PAIX01 créée.")
    assert "Personne ne s’est encore inscrit." in page.inner_text("#registrations")
    # Someone registers by USSD, through the real webhook.
    phone = UssdTester(live_server.app.test_client(), "+22790123321")
    phone.dial().choose("Francais").send("2").choose("Diffa").choose("Causerie pour la paix")
    phone.send("1").expect("Inscription confirmee", end=True)
    drain()
    page.reload()
    row = page.locator("#registrations tbody tr").first
    assert "Confirmée" in row.inner_text() and "USSD" in row.inner_text()
    assert page.inner_text("#confirmed-count") == "1"
    db.session.rollback()
    activity = db.session.query(Activity).filter_by(code="PAIX01").one()
    assert db.session.query(Registration).filter_by(activity_id=activity.id).count() == 1


def test_compose_confirm_send_and_watch_the_progress_reach_100(page, console_login, live_server, seeded, drain):
    for language in ("fra", "fra", "hau"):
        ContactFactory(language=language, adm1_pcode="NE002", adm2_pcode="NE002002")
    ContactFactory(language="fra", adm1_pcode="NE006")              # elsewhere: not in the audience
    db.session.commit()
    console_login("staff")
    page.goto("/console/campaigns/new")
    page.fill("input[name=name]", "Journée de la paix")
    page.fill("textarea[name=text_fra]", "Rendez-vous samedi pour la journée de la paix.")
    page.fill("textarea[name=text_hau]", "Mu hadu ranar Asabar don ranar zaman lafiya.")
    assert page.is_hidden("#departments-NE002")                    # departments follow the regions
    page.check("input[name=adm1][value=NE002]")
    assert page.is_visible("#departments-NE002") and page.is_hidden("#departments-NE006")
    page.wait_for_function("document.querySelector('#preview-body .total-recipients')"
                           " && document.querySelector('#preview-body .total-recipients').textContent.includes('3')")
    page.click("#review-button")
    page.wait_for_url("**/confirm")
    assert "Destinataires : 3" in page.inner_text("#confirm-total")
    assert "Diffa" in page.inner_text("#audience-words")
    page.click("#confirm-send")
    page.wait_for_selector("text=L’envoi a commencé.")
    assert page.is_enabled("#action-pause")
    drain()                                                        # the worker sends; the page polls
    page.wait_for_function("document.getElementById('progress-bar').value === 100", timeout=15000)
    page.wait_for_function("document.getElementById('status').textContent === 'Terminée'")
    assert page.inner_text("#progress-percent").startswith("100")
    assert page.is_disabled("#action-pause") and page.is_disabled("#action-cancel")     # without a reload
    assert page.inner_text("#lang-hau-sent") == "1" and page.inner_text("#lang-fra-sent") == "2"
    db.session.rollback()
    assert db.session.query(Campaign).one().status == "completed"


def test_follow_a_department_from_the_map_to_its_reports(page, console_login, seeded):
    for n in range(6):
        ReportFactory(reference=f"R-MAP{n:03d}", adm1_pcode="NE002", adm2_pcode="NE002003")
    ReportFactory(reference="R-ELSE01", adm1_pcode="NE006", adm2_pcode="NE006011")
    console_login("viewer")
    page.goto("/console/reports")
    page.click(".tabs >> text=Carte")
    page.wait_for_url("**/reports/map**")
    assert page.locator("#map a.department").count() == 67
    assert "geoBoundaries" in page.inner_text("#map-attribution")
    page.locator("#map a[data-department='NE002003']").click()
    page.wait_for_url("**/console/reports?department=NE002003")
    rows = page.locator("#reports-table tbody tr")
    assert rows.count() == 6 and "Goudoumaria" in rows.first.inner_text()
    assert page.input_value("#filter-department") == "NE002003"
    rows.first.locator("a").click()
    page.wait_for_url("**/console/reports/R-MAP*")
    assert "Goudoumaria" in page.inner_text("#report-facts")


def test_export_the_listed_reports(page, console_login, seeded):
    ReportFactory(reference="R-EXPO01", adm1_pcode="NE002", text="jamais exporté")
    ReportFactory(reference="R-EXPO02", adm1_pcode="NE006")
    console_login("viewer")
    page.goto("/console/reports?region=NE002")
    with page.expect_download() as download:
        page.click("#export-link")
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert rows[1][0] == "#date+reported" and [r for r in rows if "R-EXPO01" in r]
    assert not [r for r in rows if "R-EXPO02" in r] and "jamais exporté" not in str(rows)


def test_main_pages_fit_a_phone_without_sideways_scrolling(page, console_login, seeded):
    from tests.inbox_support import flagged_ticket
    ticket = flagged_ticket()
    report = ReportFactory(reference="R-PHONE1", adm1_pcode="NE002", adm2_pcode="NE002003", text="Un long texte " * 20)
    ContactFactory(language="fra")
    db.session.commit()
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 844})
    console_login("admin")
    page.goto("/console/campaigns/new")
    page.fill("input[name=name]", "Essai")
    page.fill("textarea[name=text_fra]", "Bonjour")
    page.click("#save-button")
    page.wait_for_selector("#progress")
    campaign_url = page.url.replace(page.url.split("/console")[0], "")
    pages = ["/console/", "/console/inbox", f"/console/inbox/{ticket.id}", "/console/reports",
             f"/console/reports/{report.reference}", "/console/reports/map", "/console/reports/charts",
             "/console/activities", "/console/campaigns", "/console/campaigns/new", campaign_url,
             f"{campaign_url}/confirm", "/console/contacts/import", "/console/simulator", "/console/admin/users",
             "/console/admin/canned-replies", "/console/nowhere"]
    for path in pages:
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE_WIDTH, f"{path} is {width} px wide"
    # The menu folds behind its button and opens on demand.
    assert page.is_hidden("header.top nav")
    page.click(".menu-toggle")
    assert page.is_visible("header.top nav >> text=Signalements")
    page.click("header.top nav >> text=Signalements")
    page.wait_for_url("**/console/reports")
    assert page.get_attribute("header.top nav >> text=Signalements", "aria-current") == "page"
