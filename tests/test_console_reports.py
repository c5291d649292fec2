"""The console's report pages: the filtered, paginated list, one report's page, the map."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from gateway.extensions import db
from gateway.models import Report, utcnow
from gateway.services import maps
from gateway.services.visibility import Viewer
from tests.conftest import csrf
from tests.factories import ContactFactory, ReportFactory


def _references(html: str) -> list[str]:
    return re.findall(r'<tr data-reference="([^"]+)"', html)


def test_the_list_pages_and_links_each_reference(client, login, seeded, clock):
    for n in range(55):
        ReportFactory(reference=f"R-PAGE{n:02d}")
    login("viewer")
    first = client.get("/console/reports").get_data(as_text=True)
    assert len(_references(first)) == 50 and "Page 1 sur 2" in first
    assert 'href="/console/reports/R-PAGE54"' in first          # newest first, each a link
    second = client.get("/console/reports?page=2").get_data(as_text=True)
    assert len(_references(second)) == 5 and set(_references(first)).isdisjoint(_references(second))
    assert len(_references(client.get("/console/reports?page=99").get_data(as_text=True))) == 5


def test_the_list_filters_by_days_category_region_department_and_status(client, login, seeded, clock):
    today = ReportFactory(reference="R-TODAY", adm1_pcode="NE002", adm2_pcode="NE002003")
    old = ReportFactory(reference="R-OLD", category_code="livestock_theft", status="closed",
                        adm1_pcode="NE006", adm2_pcode="NE006011")
    old.created_at = utcnow() - timedelta(days=10)
    db.session.commit()
    login("viewer")

    def listed(query: str) -> list[str]:
        return _references(client.get(f"/console/reports?{query}").get_data(as_text=True))
    assert listed("from=2026-11-26&to=2026-11-26") == ["R-TODAY"]        # Niger days, both included
    assert listed("to=2026-11-25") == ["R-OLD"]
    assert listed("category=livestock_theft") == ["R-OLD"]
    assert listed("region=NE002") == ["R-TODAY"] and listed("department=NE006011") == ["R-OLD"]
    assert listed("status=closed") == ["R-OLD"]
    wrong = client.get("/console/reports?from=yesterday&department=nowhere").get_data(as_text=True)
    assert "Les dates s’écrivent comme un jour" in wrong and sorted(_references(wrong)) == ["R-OLD", "R-TODAY"]
    assert today.reference in listed("")


def test_the_export_follows_the_list_filters(client, login, seeded):
    ReportFactory(reference="R-DEP1", adm1_pcode="NE002", adm2_pcode="NE002003")
    ReportFactory(reference="R-DEP2", adm1_pcode="NE002", adm2_pcode="NE002004")
    login("viewer")
    page = client.get("/console/reports?department=NE002003").get_data(as_text=True)
    link = re.search(r'id="export-link" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    body = client.get(link).get_data(as_text=True)
    assert "R-DEP1" in body and "R-DEP2" not in body
    assert client.get("/console/reports/export.csv?from=soon").status_code == 400


def test_a_report_page_shows_its_ticket_and_status_history(client, login, seeded, clock):
    from gateway.models import Ticket
    from gateway.services import inbox
    contact = ContactFactory()
    report = ReportFactory(reference="R-LIFE01", contact_id=contact.id, urgency=3, text="Deux vaches volées")
    ticket = Ticket(kind="urgent_report", report_id=report.id, contact_id=contact.id, priority=1)
    db.session.add(ticket)
    db.session.commit()
    operator = login("operator")
    actor = f"user:{operator.id}"
    from gateway.services import audit
    audit.record("system", "report.create", "report", report.id)
    inbox.claim(ticket, operator, actor)
    inbox.triage(ticket, operator, actor, severity=3)
    inbox.triage(ticket, operator, actor, verified="1")
    inbox.close(ticket, operator, actor, notify=False)
    html = client.get("/console/reports/R-LIFE01").get_data(as_text=True)
    history = re.search(r'<ol class="history" id="history">(.*?)</ol>', html, re.S).group(1)
    statuses = re.findall(r'<span class="status">([^<]+)</span>', history)
    assert statuses == ["Nouveau", "En examen", "Vérifié", "Clos"]
    assert "Operator" in history                                   # who did it, by name
    assert f'href="/console/inbox/{ticket.id}"' in html and contact.reporter_code in html
    assert "Deux vaches volées" in html and "Haute" in html


def test_an_anonymous_report_shows_no_reporter_and_no_exact_time(client, login, seeded, clock):
    report = ReportFactory(reference="R-ANON01", anonymous=True, contact_id=None)
    from gateway.services import audit
    clock.shift(37 * 60)
    audit.record("system", "report.create", "report", report.id)
    db.session.commit()
    login("admin")
    html = client.get("/console/reports/R-ANON01").get_data(as_text=True)
    assert "Anonyme : rien ne relie ce signalement à une personne." in html
    assert "10:37" not in html and "10:00" in html                # the hour only


def test_sensitive_reports_stay_with_cleared_users(client, login, seeded):
    ReportFactory(reference="R-GBV002", category_code="gbv", sensitive=True)
    login("staff")
    assert client.get("/console/reports/R-GBV002").status_code == 404
    assert "R-GBV002" not in client.get("/console/reports").get_data(as_text=True)
    client.post("/console/logout", data={"csrf_token": csrf(client)})
    login("staff", email="cleared@example.org", sensitive=True)
    assert client.get("/console/reports/R-GBV002").status_code == 200


# ---------------------------------------------------------------- the map

def test_the_boundaries_are_projected_once_per_process():
    geometry = maps.geometry()
    assert maps.geometry() is geometry
    assert len(geometry.departments) == 67 and len(geometry.regions) == 8
    assert {d.region_pcode for d in geometry.departments} == {r.pcode for r in geometry.regions}
    for shape in geometry.departments + geometry.regions:
        assert shape.path.startswith("M") and shape.path.endswith("Z")
        xs = [float(x) for x in re.findall(r"([\d.]+),", shape.path)]
        assert 0 <= min(xs) and max(xs) <= geometry.width + 0.1
    # Niger is wider than tall (about 1,900 × 1,300 km).
    assert 0.55 < geometry.height / geometry.width < 0.85


def test_the_map_shades_departments_hides_small_counts_and_links_to_the_list(client, login, seeded, clock):
    for _ in range(6):
        ReportFactory(adm1_pcode="NE002", adm2_pcode="NE002003")
    for _ in range(2):
        ReportFactory(adm1_pcode="NE006", adm2_pcode="NE006011")
    ReportFactory(adm1_pcode="NE006", adm2_pcode="NE006011", category_code="gbv", sensitive=True)
    login("viewer")
    html = client.get("/console/reports/map?category=land_water").get_data(as_text=True)
    diffa = re.search(r'<a href="([^"]+)" class="department" data-department="NE002003"[^>]*>\s*<path d="[^"]+" fill="([^"]+)">'
                      r'<title>([^<]+)</title>', html)
    href, fill, title = diffa.groups()
    assert fill != maps.BLANK and title.endswith(": 6")
    assert href.replace("&amp;", "&") == "/console/reports?category=land_water&department=NE002003"
    tera = re.search(r'data-department="NE006011"[^>]*>\s*<path d="[^"]+" fill="([^"]+)"><title>([^<]+)</title>', html)
    assert tera.group(1) == maps.BLANK and tera.group(2).endswith(": &lt; 5")      # 2 (the GBV one unseen)
    assert 'data-count=""' in html and 'data-count="2"' not in html and 'data-count="3"' not in html
    assert "Department boundaries: geoBoundaries (www.geoboundaries.org), CC BY 3.0" in html
    assert 'id="map-legend"' in html and "moins de 5" in html


def test_the_map_threshold_is_a_setting(make_app, seeded):
    from gateway.services.exports import ReportFilters
    for _ in range(2):
        ReportFactory(adm1_pcode="NE006", adm2_pcode="NE006011")
    counts = maps.department_counts(ReportFilters(), Viewer("viewer"))
    assert counts == {"NE006011": 2}
    shades = maps.classes(counts, threshold=2)
    assert maps.shade_of(2, shades) != maps.BLANK and maps.shade_of(1, shades) == maps.BLANK
    assert maps.classes(counts, threshold=5) == []
    app = make_app(MAP_MIN_COUNT=2)
    with app.app_context():
        assert maps.min_count() == 2


def test_department_counts_leave_out_reports_without_a_department(app, seeded):
    from gateway.services.exports import ReportFilters
    ReportFactory(adm1_pcode="NE002", adm2_pcode=None)
    assert maps.department_counts(ReportFilters(), Viewer("viewer", cleared=True)) == {}
    assert db.session.scalar(select(Report.id)) is not None
