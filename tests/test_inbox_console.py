"""Console pages: inbox and ticket actions, reports, activities, contact import, admin."""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from gateway.extensions import db
from gateway.models import Activity, AuditEntry, CannedReply, Contact, Ticket, User
from tests.factories import ReportFactory
from tests.inbox_support import NUMBER, canned, flagged_ticket, report_ticket
from tests.conftest import csrf


def csrf(client) -> str:
    """This session's form token, as the pages embed it."""
    with client.session_transaction() as session:
        session.setdefault("csrf", "test-csrf-token")
        return session["csrf"]


def post(client, path, data=None, **kw):
    return client.post(path, data={"csrf_token": csrf(client), **(data or {})}, **kw)


# ---------------------------------------------------------------- inbox

def test_inbox_lists_open_tickets_with_holder(client, login, seeded):
    ticket = flagged_ticket()
    login("operator")
    page = client.get("/console/inbox")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f"T-{ticket.id}" in html and db.session.get(Ticket, ticket.id).contact.reporter_code in html
    assert "90555001" not in html and NUMBER not in html
    post(client, f"/console/inbox/{ticket.id}/claim")
    assert ">vous<" in client.get("/console/inbox").get_data(as_text=True)
    # Another operator sees who holds it.
    client.post("/console/logout", data={"csrf_token": csrf(client)})
    login("operator", email="other@example.org")
    assert "Operator" in client.get("/console/inbox").get_data(as_text=True)


@pytest.mark.parametrize("role, status", [("viewer", 403), ("operator", 200), ("staff", 200), ("admin", 200)])
def test_inbox_roles(client, login, seeded, role, status):
    login(role)
    assert client.get("/console/inbox").status_code == status


def test_inbox_needs_sign_in(client, seeded):
    response = client.get("/console/inbox")
    assert response.status_code == 302 and "/console/login" in response.headers["Location"]


def test_sensitive_tickets_hidden_from_uncleared_operators(client, login, seeded):
    _, ticket = report_ticket(category="gbv")
    login("operator")
    assert f"T-{ticket.id}" not in client.get("/console/inbox").get_data(as_text=True)
    assert client.get(f"/console/inbox/{ticket.id}").status_code == 404
    client.post("/console/logout", data={"csrf_token": csrf(client)})
    login("operator", email="cleared@example.org", sensitive=True)
    assert client.get(f"/console/inbox/{ticket.id}").status_code == 200


def test_claim_reply_close_flow(app, client, login, drain, seeded):
    ticket = flagged_ticket(language="hau")
    reply = canned()
    user = login("operator")
    page = client.get(f"/console/inbox/{ticket.id}").get_data(as_text=True)
    assert "Akwai fada a kasuwa" in page and "Na gode, za mu kira ka." in page   # canned text in Hausa
    assert post(client, f"/console/inbox/{ticket.id}/claim").status_code == 302
    assert db.session.get(Ticket, ticket.id).assignee_id == user.id
    post(client, f"/console/inbox/{ticket.id}/triage", {"category": "intercommunal", "severity": "2", "verified": "1"})
    post(client, f"/console/inbox/{ticket.id}/note", {"text": "Spoke to the village chief"})
    post(client, f"/console/inbox/{ticket.id}/reply", {"canned_reply_id": str(reply.id), "text": ""})
    response = post(client, f"/console/inbox/{ticket.id}/close", {"notify": "1"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/console/inbox")
    ticket = db.session.get(Ticket, ticket.id)
    assert (ticket.status, ticket.category_code, ticket.severity, ticket.verified) == ("closed", "intercommunal", 2, True)
    assert [n.text for n in ticket.notes] == ["Spoke to the village chief"]
    drain()
    texts = [m["text"] for m in app.extensions["channels"]["fake"].outbox(NUMBER)]
    assert texts[0] == "Na gode, za mu kira ka." and f"T-{ticket.id}" in texts[1]
    actions = list(db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "ticket")
                                      .order_by(AuditEntry.id)))
    assert actions == ["ticket.open", "ticket.claim", "ticket.triage", "ticket.note", "ticket.reply", "ticket.close"]
    assert all(e.actor == f"user:{user.id}" for e in db.session.scalars(
        select(AuditEntry).where(AuditEntry.action != "ticket.open", AuditEntry.object_type == "ticket")))


def test_actions_without_csrf_token_are_refused(client, login, seeded):
    ticket = flagged_ticket()
    login("operator")
    assert client.post(f"/console/inbox/{ticket.id}/claim").status_code == 403
    assert client.post(f"/console/inbox/{ticket.id}/claim", data={"csrf_token": "forged"}).status_code == 403
    assert db.session.get(Ticket, ticket.id).assignee_id is None


def test_errors_are_shown_not_raised(client, login, seeded):
    ticket = flagged_ticket()
    login("operator")
    response = post(client, f"/console/inbox/{ticket.id}/note", {"text": " "}, follow_redirects=True)
    assert response.status_code == 200 and "La note est vide." in response.get_data(as_text=True)
    assert post(client, f"/console/inbox/{ticket.id}/explode").status_code == 404


def test_viewer_cannot_act(client, login, seeded):
    ticket = flagged_ticket()
    login("viewer")
    assert post(client, f"/console/inbox/{ticket.id}/claim").status_code == 403


def test_only_admins_reveal_the_number_and_it_is_audited(client, login, seeded):
    ticket = flagged_ticket()
    login("operator")
    page = client.get(f"/console/inbox/{ticket.id}").get_data(as_text=True)
    assert "Afficher le numéro" not in page
    assert NUMBER not in post(client, f"/console/inbox/{ticket.id}/reveal", follow_redirects=True).get_data(as_text=True)
    client.post("/console/logout", data={"csrf_token": csrf(client)})
    admin = login("admin")
    assert "Afficher le numéro" in client.get(f"/console/inbox/{ticket.id}").get_data(as_text=True)
    shown = post(client, f"/console/inbox/{ticket.id}/reveal")
    assert shown.status_code == 200 and NUMBER in shown.get_data(as_text=True)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "contact.reveal_number")).one()
    assert entry.actor == f"user:{admin.id}" and entry.details == {"ticket_id": ticket.id}
    assert NUMBER not in client.get(f"/console/inbox/{ticket.id}").get_data(as_text=True)


# ---------------------------------------------------------------- reports

def test_reports_page_charts_map_and_text_by_role(client, login, seeded):
    ReportFactory(reference="R-TEXT01", text="secret details", adm1_pcode="NE002")
    ReportFactory(reference="R-GBV001", category_code="gbv", sensitive=True)
    login("viewer")
    html = client.get("/console/reports/charts").get_data(as_text=True)
    for marker in ('id="chart-region"', 'id="chart-category"', 'id="chart-week"'):
        assert marker in html
    assert "R-TEXT01" in client.get("/console/reports").get_data(as_text=True)
    assert "R-GBV001" not in client.get("/console/reports").get_data(as_text=True)
    assert client.get("/console/reports/R-GBV001").status_code == 404       # sensitive: not for this user
    assert "secret details" not in client.get("/console/reports/R-TEXT01").get_data(as_text=True)
    client.post("/console/logout", data={"csrf_token": csrf(client)})
    login("operator")
    assert "secret details" in client.get("/console/reports/R-TEXT01").get_data(as_text=True)


def test_console_export_is_hxl(client, login, seeded):
    ReportFactory(reference="R-EXP001", text="never exported")
    login("viewer")
    response = client.get("/console/reports/export.csv?region=NE002")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.splitlines()[1].startswith("#date+reported")
    assert "R-EXP001" in body and "never exported" not in body


# ---------------------------------------------------------------- activities

def test_staff_create_activity_from_the_form(client, login, seeded, clock):
    login("staff")
    response = post(client, "/console/activities", {
        "code": "trn09", "name": "Formation médiation", "kind": "training", "adm1_pcode": "NE005",
        "adm2_pcode": "NE005011", "starts_at": "2026-12-20T09:00", "capacity": "20"})
    assert response.status_code == 302
    activity = db.session.scalar(select(Activity).where(Activity.code == "TRN09"))
    assert activity.starts_at.hour == 8            # 09:00 in Niamey is 08:00 UTC
    assert "TRN09" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_invalid_activity_form_is_400_and_keeps_input(client, login, seeded, clock):
    login("staff")
    before = db.session.scalar(select(func.count()).select_from(Activity))
    response = post(client, "/console/activities", {"code": "OK1", "name": "Keep me", "starts_at": "2020-01-01T09:00"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "une date et une heure de début à venir" in html and 'value="Keep me"' in html
    assert db.session.scalar(select(func.count()).select_from(Activity)) == before


def test_viewers_see_activities_but_cannot_create(client, login, seeded):
    login("viewer")
    html = client.get("/console/activities").get_data(as_text=True)
    assert "DLG01" in html and "Nouvelle activité" not in html
    assert post(client, "/console/activities", {"code": "X1"}).status_code == 403


def test_activity_page_shows_waiting_list(client, login, seeded):
    from gateway.services import activities, contacts
    activity = db.session.scalar(select(Activity).where(Activity.code == "DLG02"))
    for i in range(4):
        activities.register(activity, contacts.get_or_create(f"+2279077700{i}")[0].id, "sms")
    db.session.commit()
    login("viewer")
    html = client.get(f"/console/activities/{activity.id}").get_data(as_text=True)
    assert html.count("En liste d’attente") >= 1 and 'id="waitlisted-count">1<' in html
    assert "90777700" not in html


# ---------------------------------------------------------------- contacts import

def test_import_preview_then_confirm(client, login, seeded):
    login("staff")
    data = b"phone,name,language\n+22790800001,Ali,hau\nbad,,\n"
    preview = post(client, "/console/contacts/import", {"file": (io.BytesIO(data), "list.csv")},
                   content_type="multipart/form-data")
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and 'id="preview-created">1<' in html and "peut contenir que des chiffres" in html
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 0
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    done = post(client, "/console/contacts/import/confirm", {"token": token}, follow_redirects=True)
    assert "1 créés" in done.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 1
    # The token is single-use.
    again = post(client, "/console/contacts/import/confirm", {"token": token}, follow_redirects=True)
    assert "L’aperçu a expiré" in again.get_data(as_text=True)


def test_import_page_is_for_staff(client, login, seeded):
    login("operator")
    assert client.get("/console/contacts/import").status_code == 403


# ---------------------------------------------------------------- admin

def test_admin_creates_and_updates_users(client, login, seeded):
    admin = login("admin")
    response = post(client, "/console/admin/users", {"email": "New@Example.org", "name": "New", "role": "operator",
                                                     "sensitive": "1", "password": "long enough pw"})
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "new@example.org"))
    assert user.role == "operator" and user.sensitive_access and user.check_password("long enough pw")
    post(client, f"/console/admin/users/{user.id}", {"role": "viewer", "active": "1"})
    db.session.refresh(user)
    assert user.role == "viewer" and not user.sensitive_access
    actions = list(db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "user",
                                                                       AuditEntry.action != "login")))
    assert actions == ["user.create", "user.update"]
    # An admin cannot lock themselves out.
    post(client, f"/console/admin/users/{admin.id}", {"role": "viewer", "active": "1"})
    assert db.session.get(User, admin.id).role == "admin"


@pytest.mark.parametrize("form, message", [
    ({"email": "nope", "role": "operator", "password": "long enough pw"}, "adresse e-mail valide"),
    ({"email": "a@b.org", "role": "boss", "password": "long enough pw"}, "Choisissez un rôle"),
    ({"email": "a@b.org", "role": "operator", "password": "short"}, "au moins 10 caractères"),
    ({"email": "admin@example.org", "role": "operator", "password": "long enough pw"}, "a déjà un compte"),
])
def test_bad_user_forms(client, login, seeded, form, message):
    login("admin")
    before = db.session.scalar(select(func.count()).select_from(User))
    response = post(client, "/console/admin/users", form)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(User)) == before


def test_admin_pages_are_admin_only(client, login, seeded):
    login("staff")
    assert client.get("/console/admin/users").status_code == 403
    assert client.get("/console/admin/canned-replies").status_code == 403


def test_canned_replies_crud(client, login, seeded):
    login("admin")
    assert post(client, "/console/admin/canned-replies", {"name": "Thanks", "text_fra": "Merci",
                                                          "text_hau": "Na gode"}).status_code == 302
    reply = db.session.scalar(select(CannedReply))
    assert reply.texts == {"fra": "Merci", "hau": "Na gode"}
    post(client, f"/console/admin/canned-replies/{reply.id}", {"name": "Thanks", "text_fra": "Merci bien"})
    db.session.refresh(reply)
    assert reply.texts == {"fra": "Merci bien"}
    missing_french = post(client, "/console/admin/canned-replies", {"name": "X", "text_hau": "Na gode"})
    assert missing_french.status_code == 400 and "texte en français est obligatoire" in missing_french.get_data(as_text=True)
    post(client, f"/console/admin/canned-replies/{reply.id}/delete")
    assert db.session.scalar(select(func.count()).select_from(CannedReply)) == 0
    actions = list(db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "canned_reply")))
    assert actions == ["canned_reply.create", "canned_reply.update", "canned_reply.delete"]


def test_nav_links_follow_roles(client, login, seeded):
    login("operator")
    html = client.get("/console/").get_data(as_text=True)
    assert "/console/inbox" in html and "/console/reports" in html and "/console/admin/users" not in html
