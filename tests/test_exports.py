"""HXL CSV export, the summary behind the charts, and the audit API."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

import pytest

from gateway.extensions import db
from gateway.services import exports
from tests.factories import ContactFactory, ReportFactory

EXPECTED_HXL = ["#date+reported", "#date+occurred", "#adm1+code", "#adm1+name", "#adm2+code", "#adm2+name",
                "#adm3+code", "#event+type", "#event+type+code", "#event+type+name", "#severity",
                "#severity+reported", "#indicator+urgent", "#status", "#status+verified", "#meta+ref",
                "#meta+channel", "#language+code"]


def rows_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


@pytest.fixture
def reports(seeded):
    contact = ContactFactory(phone_number="+22790888001")
    made = [
        ReportFactory(reference="R-AAAAAA", category_code="land_water", text="Fight near well, call 90888001",
                      contact_id=contact.id, created_at=datetime(2026, 11, 23, 23, 30, tzinfo=timezone.utc)),
        ReportFactory(reference="R-BBBBBB", category_code="attack", adm1_pcode="NE006", adm2_pcode="NE006011",
                      urgency=3, urgent=True, severity=2, verified=True, status="verified", language="hau",
                      created_at=datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc)),
        ReportFactory(reference="R-CCCCCC", category_code="gbv", sensitive=True,
                      created_at=datetime(2026, 11, 25, 11, 0, tzinfo=timezone.utc)),
    ]
    return made


def test_hxl_header_rows(api, reports):
    response = api.get("/api/v1/exports/reports.csv", role="viewer")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = rows_of(response)
    assert rows[0][:3] == ["Date reported", "Date occurred", "Region P-code"]
    assert rows[1] == EXPECTED_HXL
    assert all(tag.startswith("#") for tag in rows[1])
    assert "#contact+phone" not in rows[1] and not any(t.startswith("#contact") for t in rows[1])
    assert len(rows[0]) == len(rows[1])


def test_rows_have_no_number_no_text_and_no_sensitive_categories(api, reports):
    response = api.get("/api/v1/exports/reports.csv", role="staff")
    body = response.get_data(as_text=True)
    assert "90888001" not in body and "Fight near well" not in body
    data = [dict(zip(rows_of(response)[1], row)) for row in rows_of(response)[2:]]
    assert [r["#meta+ref"] for r in data] == ["R-AAAAAA", "R-BBBBBB"]
    first, second = data
    # 23:30 UTC on the 23rd is already the 24th in Niamey.
    assert first["#date+reported"] == "2026-11-24"
    assert (first["#adm1+code"], first["#adm1+name"], first["#adm2+code"]) == ("NE002", "Diffa", "NE002003")
    assert first["#event+type"] == "dispute-land-water" and first["#event+type+code"] == "land_water"
    assert first["#severity"] == "2" and first["#status+verified"] == "" and first["#meta+channel"] == "ussd"
    assert (second["#adm1+name"], second["#severity"], second["#status"], second["#status+verified"]) == \
        ("Tillabéri", "2", "verified", "yes")
    assert second["#indicator+urgent"] == "yes" and second["#language+code"] == "hau"


def test_sensitive_categories_with_clearance(api, reports):
    refs = [r[15] for r in rows_of(api.get("/api/v1/exports/reports.csv", role="operator", sensitive=True))[2:]]
    assert "R-CCCCCC" in refs


def test_free_text_only_on_request_and_for_text_roles(api, reports):
    response = api.get("/api/v1/exports/reports.csv?text=1", role="staff")
    rows = rows_of(response)
    assert rows[1][-1] == "#description" and rows[2][-1].startswith("Fight near well")
    denied = api.get("/api/v1/exports/reports.csv?text=1", role="viewer")
    assert denied.status_code == 403 and denied.get_json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize("query, refs", [
    ("region=NER006", ["R-BBBBBB"]), ("category=land_water", ["R-AAAAAA"]), ("status=verified", ["R-BBBBBB"]),
    ("since=2026-11-25T00:00:00Z", ["R-BBBBBB"]), ("until=2026-11-25T00:00:00Z", ["R-AAAAAA"]),
])
def test_export_filters(api, reports, query, refs):
    assert [r[15] for r in rows_of(api.get(f"/api/v1/exports/reports.csv?{query}", role="viewer"))[2:]] == refs


@pytest.mark.parametrize("query", ["region=Diffa", "status=lost", "since=tomorrow"])
def test_bad_export_filters_are_400(api, reports, query):
    response = api.get(f"/api/v1/exports/reports.csv?{query}", role="viewer")
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_parameter"


def test_export_requires_a_token(client, reports):
    assert client.get("/api/v1/exports/reports.csv").status_code == 401


def test_summary_by_region_category_and_week(api, reports):
    response = api.get("/api/v1/reports/summary", role="viewer")
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == 2
    assert {r["name"]: r["count"] for r in body["by_region"]} == {"Diffa": 1, "Tillabéri": 1}
    assert {c["category"]: c["count"] for c in body["by_category"]} == {"land_water": 1, "attack": 1}
    # Niamey time: 24 Nov (Tuesday) and 25 Nov are both in ISO week 48.
    assert body["by_week"] == [{"week": "2026-W48", "count": 2}]
    cleared = api.get("/api/v1/reports/summary", role="admin").get_json()
    assert cleared["total"] == 3 and any(c["category"] == "gbv" and c["sensitive"] for c in cleared["by_category"])
    assert api.get("/api/v1/reports/summary?region=NE002", role="viewer").get_json()["total"] == 1


def test_iso_week_follows_niger_time():
    # Sunday 23:30 UTC is Monday 00:30 in Niamey: the next ISO week.
    assert exports.iso_week(datetime(2026, 11, 29, 23, 30, tzinfo=timezone.utc)) == "2026-W49"


def test_audit_api_is_for_admins(api, reports):
    from gateway.services import audit
    audit.record("user:1", "ticket.claim", "ticket", 5)
    audit.record("user:2", "login", "user", 2)
    db.session.commit()
    assert api.get("/api/v1/audit", role="staff").status_code == 403
    body = api.get("/api/v1/audit?action=ticket.claim", role="admin").get_json()
    assert [(e["actor"], e["object_id"]) for e in body["items"]] == [("user:1", "5")]
    assert {"id", "at", "action", "object_type", "details"} <= set(body["items"][0])
    assert len(api.get("/api/v1/audit?actor=user:2", role="admin").get_json()["items"]) == 1
    assert api.get("/api/v1/audit?since=bad", role="admin").status_code == 400


@pytest.mark.parametrize("value, written", [
    ("=HYPERLINK(\"http://evil.example\")", "'=HYPERLINK(\"http://evil.example\")"),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1+1", "'\t=1+1"), ("\r=1+1", "'\r=1+1"),
    ("+227 90 00 00 01", "+227 90 00 00 01"), ("-12", "-12"), ("Fight near well", "Fight near well"),
    ("a=b", "a=b"), ("", ""), (3, 3), (None, None),
])
def test_spreadsheet_cells_never_start_a_formula(value, written):
    assert exports.spreadsheet_cell(value) == written


def test_free_text_starting_a_formula_is_exported_as_text(api, login, client, reports):
    ReportFactory(reference="R-DDDDDD", text="=HYPERLINK(\"http://evil.example\",\"clic\")",
                  created_at=datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc))
    rows = rows_of(api.get("/api/v1/exports/reports.csv?text=1", role="staff"))
    assert rows[-1][15] == "R-DDDDDD" and rows[-1][-1] == "'=HYPERLINK(\"http://evil.example\",\"clic\")"
    login("staff")
    console = rows_of(client.get("/console/reports/export.csv"))
    # Every cell of every export goes through the same helper: none starts a formula.
    assert not any(cell.startswith(exports.FORMULA_STARTS) and not cell[1:].strip().isdigit()
                   for row in rows + console for cell in row)
