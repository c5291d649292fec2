"""Contact imports: CSV and XLSX, rejected rows with reasons, dry runs, speed, encryption."""
from __future__ import annotations

import io
import time

import openpyxl
import pytest
from sqlalchemy import func, select

from gateway import crypto
from gateway.extensions import db
from gateway.models import AuditEntry, Contact
from gateway.services import contacts
from gateway.services.imports import ImportFileError, import_file

HEADER = "phone,name,language,adm1_pcode,adm2_pcode,groups\n"


def csv_file(body: str, header: str = HEADER) -> bytes:
    return (header + body).encode()


def xlsx_file(rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(api, data: bytes, filename: str = "list.csv", role: str = "staff", query: str = "", **form):
    return api.post(f"/api/v1/contacts/import{query}", role=role, content_type="multipart/form-data",
                    data={"file": (io.BytesIO(data), filename), **form})


def count_contacts() -> int:
    return db.session.scalar(select(func.count()).select_from(Contact))


def test_csv_import_creates_contacts_with_encrypted_names(api, seeded):
    data = csv_file("+22790700001,Aïcha Moussa,hau,NER002,NER002003,youth;women\n"
                    "90700002,,dje,NE006,,\n")
    response = upload(api, data)
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"created": 2, "updated": 0, "rejected": [], "dry_run": False, "rows": 2}
    first = contacts.find_by_phone("+22790700001")
    assert first.language == "hau" and (first.adm1_pcode, first.adm2_pcode) == ("NE002", "NE002003")
    assert first.group_names == ["women", "youth"] and first.reporter_code.startswith("C-")
    assert crypto.decrypt(first.name_encrypted) == "Aïcha Moussa"
    assert b"Moussa" not in bytes(first.name_encrypted)
    second = contacts.find_by_phone("+22790700002")
    assert second.adm1_pcode == "NE006" and second.name_encrypted is None and second.group_names == []
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "contacts.import")).one()
    assert entry.details["created"] == 2 and entry.actor.startswith("token:")


def test_existing_contacts_are_updated_and_stay_stopped(api, seeded):
    existing, _ = contacts.get_or_create("+22790700003", language="fra")
    contacts.set_groups(existing, ["leaders"])
    contacts.stop(existing, via="sms")
    db.session.commit()
    response = upload(api, csv_file("0022790700003,Ibrahim,taq,,,youth\n90700004,,,,,\n"))
    assert response.get_json()["created"] == 1 and response.get_json()["updated"] == 1
    contact = db.session.get(Contact, existing.id)
    assert contact.language == "taq" and crypto.decrypt(contact.name_encrypted) == "Ibrahim"
    assert contact.group_names == ["youth"]
    assert contact.stopped is True      # an import never restarts someone who said STOP


def test_empty_cells_keep_what_we_know(api, seeded):
    upload(api, csv_file("+22790700005,Hawa,hau,NE002,NE002003,women\n"))
    upload(api, csv_file("+22790700005,,,,,\n"))
    contact = contacts.find_by_phone("+22790700005")
    assert contact.language == "hau" and contact.adm2_pcode == "NE002003" and contact.group_names == ["women"]
    assert crypto.decrypt(contact.name_encrypted) == "Hawa"


@pytest.mark.parametrize("row, reason", [
    ("12345,,,,,", "phone: too short for a phone number (a Niger number has 8 digits)"),
    ("90 12 AB 56,,,,,", "phone: a phone number has only digits"),
    (",Nobody,,,,", "phone: no phone number given"),
    ("+22700000000,,,,,", "phone: not a valid number"),
    ("+22790700010,,english,,,", "language 'english' is not one of"),
    ("+22790700011,,,XX1,,", "adm1_pcode 'XX1' is not a Niger P-code"),
    ("+22790700012,,,NE099,,", "adm1_pcode 'NE099' is unknown"),
    ("+22790700013,,,NE002003,,", "is not a region"),
    ("+22790700014,,,NE006,NE002003,", "adm2_pcode NE002003 is not in region NE006"),
    ("+22790700015,,,,NE002,", "is not a department"),
    ("+22790700016,,,,,youth;<script>", "group '<script>'"),
    ("+22790700017," + "n" * 121 + ",,,,", "name longer than 120"),
])
def test_bad_rows_are_rejected_with_a_reason(api, seeded, row, reason):
    response = upload(api, csv_file("+22790700020,Ok,fra,,,\n" + row + "\n"))
    body = response.get_json()
    assert response.status_code == 200
    assert body["created"] == 1 and len(body["rejected"]) == 1
    assert body["rejected"][0]["row"] == 3          # the header is row 1
    assert reason in body["rejected"][0]["reason"]
    assert count_contacts() == 1


def test_duplicate_rows_in_one_file(api, seeded):
    body = upload(api, csv_file("+22790700021,,,,,\n90700021,,,,,\n")).get_json()
    assert body["created"] == 1 and body["rejected"] == [{"row": 3, "reason": "same phone number as row 2",
                                                          "code": "duplicate", "column": "phone", "first_row": 2}]


def test_dry_run_saves_nothing(api, seeded):
    contacts.get_or_create("+22790700030")
    db.session.commit()
    data = csv_file("+22790700030,Updated,hau,,,\n+22790700031,New,fra,,,\nbad,,,,,\n")
    for kwargs in ({"query": "?dry_run=1"}, {"dry_run": "1"}):
        body = upload(api, data, **kwargs).get_json()
        assert body == {"created": 1, "updated": 1, "dry_run": True, "rows": 3,
                        "rejected": [{"row": 4, "reason": body["rejected"][0]["reason"], "code": "phone_not_digits",
                                      "column": "phone"}]}
    assert count_contacts() == 1
    assert contacts.find_by_phone("+22790700030").language is None
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "contacts.import")) == 0


def test_xlsx_import_with_numeric_phone_cells(api, seeded):
    data = xlsx_file([["Phone", "Name", "Language", "ADM1_PCODE", "adm2_pcode", "Groups"],
                      [22790700040, "Fatima", "fuv", "NE005", "NE005011", "women; leaders"],
                      ["+22790700041", None, "xx", None, None, None],
                      [None, None, None, None, None, None],          # blank rows are skipped
                      [90700042, "Moussa", None, None, None, None]])
    response = upload(api, data, filename="contacts.xlsx")
    body = response.get_json()
    assert response.status_code == 200, body
    assert body["created"] == 2 and body["rejected"][0]["row"] == 3
    assert "language 'xx'" in body["rejected"][0]["reason"]
    fatima = contacts.find_by_phone("+22790700040")
    assert fatima.group_names == ["leaders", "women"] and fatima.adm2_pcode == "NE005011"
    assert contacts.find_by_phone("+22790700042") is not None


def test_semicolon_csv_from_french_excel(api, seeded):
    data = "phone;name;language\r\n+22790700050;Zeinabou;dje\r\n".encode("cp1252")
    assert upload(api, data).get_json()["created"] == 1


@pytest.mark.parametrize("data, filename, message", [
    (b"", "list.csv", "the file is empty"),
    (b"name,language\nAli,hau\n", "list.csv", "a 'phone' column is required"),
    (b"PK\x03\x04garbage", "list.xlsx", "not a readable XLSX"),
    (b"phone\n1\n", "list.pdf", "upload a .csv or .xlsx"),
])
def test_unreadable_files_are_400(api, seeded, data, filename, message):
    response = upload(api, data, filename=filename)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_file"
    assert message in response.get_json()["error"]["message"]
    assert count_contacts() == 0


def test_missing_file_is_400(api, seeded):
    response = api.post("/api/v1/contacts/import", role="staff", data={})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "missing_file"


@pytest.mark.parametrize("role", ["viewer", "operator"])
def test_only_staff_import(api, seeded, role):
    assert upload(api, csv_file("+22790700060,,,,,\n"), role=role).status_code == 403
    assert count_contacts() == 0


def test_ten_thousand_rows_in_a_few_seconds(app, seeded):
    lines = [f"+2279{i:07d},Person {i},hau,NE002,NE002003,youth;women" for i in range(10_000)]
    data = csv_file("\n".join(lines) + "\n")
    started = time.perf_counter()
    result = import_file("big.csv", data)
    elapsed = time.perf_counter() - started
    assert (result.created, result.rejected) == (10_000, [])
    assert count_contacts() == 10_000
    assert elapsed < 15, f"import took {elapsed:.1f}s"
    # A second pass updates the same rows.
    started = time.perf_counter()
    assert import_file("big.csv", data).updated == 10_000
    assert time.perf_counter() - started < 15


def test_unreadable_file_raises_before_anything_is_written(app, seeded):
    with pytest.raises(ImportFileError):
        import_file("x.csv", b"nom,langue\n")
