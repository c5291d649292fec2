"""Console administration, issue 13 part 2: the audit log, keywords and flag rules staff keep
themselves (and try), menu texts written into the catalogs, users, the SMS counter."""
from __future__ import annotations

import shutil

import pytest
from sqlalchemy import select

from gateway.extensions import db
from gateway.models import AuditEntry, FlagRule, Keyword
from gateway.services import keywords
from tests.inbox_support import flagged_ticket
from tests.test_inbox_console import csrf, post


# ---------------------------------------------------------------- audit log

def test_audit_log_names_actors_and_filters(client, login, seeded):
    ticket = flagged_ticket()
    operator = login("operator")
    operator.name = "Zeinabou"
    db.session.commit()
    post(client, f"/console/inbox/{ticket.id}/claim")
    client.post("/console/logout", data={"csrf_token": csrf(client)})
    login("admin")
    html = client.get("/console/admin/audit").get_data(as_text=True)
    assert "Zeinabou" in html and "Ticket pris en charge" in html and "Murya (automatique)" in html
    mine = client.get(f"/console/admin/audit?actor=user:{operator.id}").get_data(as_text=True)
    assert 'data-action="ticket.claim"' in mine and 'data-action="ticket.open"' not in mine
    opened = client.get("/console/admin/audit?action=ticket.open&object_type=ticket").get_data(as_text=True)
    assert 'data-action="ticket.open"' in opened and 'data-action="ticket.claim"' not in opened
    assert 'data-action="ticket.claim"' not in client.get("/console/admin/audit?from=2099-01-01").get_data(as_text=True)
    assert "2026-11-26" in client.get("/console/admin/audit?from=nope").get_data(as_text=True)   # the format, shown


@pytest.mark.parametrize("path", ["/console/admin/audit", "/console/admin/texts"])
def test_admin_only_pages(client, login, seeded, path):
    login("staff")
    assert client.get(path).status_code == 403


# ---------------------------------------------------------------- keywords

def test_staff_add_a_keyword_it_answers_the_next_sms(client, login, seeded):
    login("staff")
    response = post(client, "/console/admin/keywords", {"word": "Shiga Rajista", "language": "hau",
                                                        "action": "register"})
    assert response.status_code == 302
    keyword = db.session.scalar(select(Keyword).where(Keyword.word == "shiga rajista"))
    assert (keyword.language, keyword.action, keyword.active) == ("hau", "register", True)
    assert keywords.match("SHIGA RAJISTA DLG01").action == "register"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "keyword.create"))
    assert entry.details["word"] == "shiga rajista"
    # Disabling it: the next SMS is feedback again.
    post(client, f"/console/admin/keywords/{keyword.id}", {"word": "shiga rajista", "language": "hau",
                                                           "action": "register", "active": "0"})
    assert keywords.match("SHIGA RAJISTA DLG01").action != "register" or \
        keywords.match("SHIGA RAJISTA DLG01").word != "shiga rajista"


@pytest.mark.parametrize("form, message", [
    ({"word": "", "language": "hau", "action": "register"}, "un ou deux mots"),
    ({"word": "un deux trois", "language": "hau", "action": "register"}, "un ou deux mots"),
    ({"word": "rajista", "language": "hau", "action": "report"}, "est déjà un mot-clé"),
    ({"word": "bidiyo", "language": "xx", "action": "report"}, "Choisissez une langue"),
    ({"word": "bidiyo", "language": "hau", "action": "explode"}, "ce que fait le mot-clé"),
    ({"word": "bidiyo", "language": "hau", "action": "join", "argument": "nothing"}, "Aucun thème"),
    ({"word": "bidiyo", "language": "hau", "action": "stop", "argument": "x"}, "pas d’argument fixe"),
])
def test_bad_keywords_are_refused_in_words(client, login, seeded, form, message):
    login("staff")
    before = db.session.scalar(select(db.func.count()).select_from(Keyword))
    response = post(client, "/console/admin/keywords", form)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count()).select_from(Keyword)) == before


def test_a_keyword_one_letter_from_another_meaning_is_saved_with_a_warning(client, login, seeded):
    login("staff")
    saved = post(client, "/console/admin/keywords", {"word": "rajisto", "language": "hau", "action": "report"},
                 follow_redirects=True)
    assert "à une lettre de « RAJISTA »" in saved.get_data(as_text=True)


# ---------------------------------------------------------------- flag rules and the tester

def test_staff_add_a_phrase_and_try_a_message(client, login, seeded):
    # "an yi fada" is seeded already (hau:fighting); staff add a phrase of their own the same way.
    login("staff")
    sample = "Rumbun hatsi ya kone a kauyenmu"
    before = client.get("/console/admin/flag-rules", query_string={"sample": sample, "sample_language": "hau"})
    assert "Non signalé." in before.get_data(as_text=True)
    response = post(client, "/console/admin/flag-rules", {
        "name": "hau:market_fight", "language": "hau", "label": "fight", "category": "intercommunal",
        "priority": "1", "flag": "1", "active": "1", "terms": "rumbun hatsi\nan yi fada a kasuwa"})
    assert response.status_code == 302
    rule = db.session.scalar(select(FlagRule).where(FlagRule.name == "hau:market_fight"))
    assert rule.terms == ["rumbun hatsi", "an yi fada a kasuwa"] and rule.priority == 1
    tried = client.get("/console/admin/flag-rules", query_string={"sample": sample, "sample_language": "hau"})
    html = tried.get_data(as_text=True)
    assert "Signalé à la ligne d’écoute : priorité Haute" in html and "hau:market_fight" in html
    assert "<q>rumbun hatsi</q>" in html and "Tension entre communautés" in html
    # The same page tries keywords too.
    keyword = client.get("/console/admin/keywords", query_string={"sample": "RAJISTA DLG01"}).get_data(as_text=True)
    assert "Lu comme le mot-clé RAJISTA" in keyword
    # Disabled, it no longer flags.
    post(client, f"/console/admin/flag-rules/{rule.id}", {
        "name": "hau:market_fight", "language": "hau", "label": "fight", "category": "intercommunal",
        "priority": "1", "flag": "1", "active": "0", "terms": "rumbun hatsi"})
    again = client.get("/console/admin/flag-rules", query_string={"sample": sample, "sample_language": "hau"})
    html = again.get_data(as_text=True)
    assert "Non signalé." in html[html.index('id="tester"'):html.index("Nouvelle règle")]
    actions = list(db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "flag_rule")))
    assert actions == ["flag_rule.create", "flag_rule.update"]


def test_the_tester_detects_the_language_when_none_is_given(client, login, seeded):
    login("staff")
    html = client.get("/console/admin/flag-rules", query_string={
        "sample": "Des hommes armés ont attaqué le village cette nuit"}).get_data(as_text=True)
    assert "Langue détectée : Français" in html and "Signalé à la ligne d’écoute" in html


@pytest.mark.parametrize("form, message", [
    ({"name": "", "terms": "x", "label": "x"}, "nom de 1 à 80"),
    ({"name": "r", "terms": "", "label": "x"}, "au moins un terme"),
    ({"name": "r", "terms": "***", "label": "x"}, "pas de lettres"),
    ({"name": "r", "terms": "x", "label": "Bad Label!"}, "minuscules"),
    ({"name": "r", "terms": "x", "label": "x", "category": "nope"}, "catégorie"),
    ({"name": "fra:attack", "terms": "x", "label": "x"}, "existe déjà"),
])
def test_bad_flag_rules_are_refused_in_words(client, login, seeded, form, message):
    login("staff")
    data = {"language": "fra", "priority": "2", "flag": "1", "active": "1", **form}
    response = post(client, "/console/admin/flag-rules", data)
    assert response.status_code == 400 and message in response.get_data(as_text=True)


def test_rules_of_sensitive_categories_are_for_cleared_staff(client, login, seeded):
    login("staff")
    html = client.get("/console/admin/flag-rules", query_string={"sample": "Il y a eu un viol au village",
                                                                 "sample_language": "fra"}).get_data(as_text=True)
    assert "fra:gbv" not in html and "Violence basée sur le genre" not in html
    assert "Signalé à la ligne d’écoute" in html               # the verdict, not the rule
    gbv = db.session.scalar(select(FlagRule).where(FlagRule.category_code == "gbv"))
    assert post(client, f"/console/admin/flag-rules/{gbv.id}", {"name": "x"}).status_code == 404
    client.post("/console/logout", data={"csrf_token": csrf(client)})
    login("staff", email="cleared@example.org", sensitive=True)
    assert gbv.name in client.get("/console/admin/flag-rules").get_data(as_text=True)


def test_viewers_and_operators_do_not_edit_rules(client, login, seeded):
    login("operator")
    assert client.get("/console/admin/keywords").status_code == 403
    assert post(client, "/console/admin/flag-rules", {"name": "x"}).status_code == 403


# ---------------------------------------------------------------- menu texts

def test_a_reviewer_edits_and_reviews_a_text_in_the_catalog(app, client, login, seeded, tmp_path):
    from gateway import i18n
    catalogs = tmp_path / "translations"           # a copy: the repository's catalogs stay as they are
    shutil.copytree(i18n.TRANSLATIONS, catalogs)
    app.config["USSD_TRANSLATIONS_DIR"] = str(catalogs)
    login("admin")
    page = client.get("/console/admin/texts?domain=ussd&language=hau&status=draft").get_data(as_text=True)
    assert "ussd.main.title" in page and "brouillon" in page
    saved = post(client, "/console/admin/texts", {"domain": "ussd", "language": "hau", "key": "ussd.main.title",
                                                  "text": "Barka da zuwa Murya!", "reviewed": "1"})
    assert saved.status_code == 302
    po = (catalogs / "hau" / "LC_MESSAGES" / "ussd.po").read_text(encoding="utf-8")
    block = po[:po.index('msgid "ussd.main.title"')].rsplit("\n\n", 1)[-1]
    assert "fuzzy" not in block and 'msgstr "Barka da zuwa Murya!"' in po
    assert i18n.load(catalogs).get("ussd", "hau", "ussd.main.title").draft is False
    assert app.extensions["menus"].texts.get("ussd.main.title", "hau") == "Barka da zuwa Murya!"
    # A screen that would not fit, a character no screen shows, a changed placeholder: refused.
    for domain, key, text, words in (
            ("ussd", "ussd.main.title", "W" * 200, "trop long"),
            ("ussd", "ussd.main.title", "Barka ☺", "ne peut pas afficher"),
            ("notify", "notify.ticket_closed", "An gama da sakonka {ref}", "{reference}")):
        refused = post(client, "/console/admin/texts", {"domain": domain, "language": "hau", "key": key,
                                                        "text": text}, follow_redirects=True)
        assert words in refused.get_data(as_text=True), text
    assert 'msgstr "Barka da zuwa Murya!"' in (catalogs / "hau" / "LC_MESSAGES" / "ussd.po").read_text(encoding="utf-8")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "text.update"))
    assert entry.details == {"domain": "ussd", "language": "hau", "key": "ussd.main.title", "reviewed": True}
    assert "Barka da zuwa Murya!" not in (i18n.TRANSLATIONS / "hau" / "LC_MESSAGES" / "ussd.po").read_text(encoding="utf-8")


# ---------------------------------------------------------------- users and canned replies

def test_new_users_default_to_the_least_role(client, login, seeded):
    login("admin")
    html = client.get("/console/admin/users").get_data(as_text=True)
    form = html[html.index('id="user-form"'):]
    assert '<option value="viewer" selected>' in form


def test_segment_counter(client, login, seeded):
    login("operator")
    gsm = post(client, "/console/admin/segments.json", {"text": "Merci, nous vous rappelons."}).get_json()
    assert gsm["encoding"] == "GSM-7" and gsm["segments"] == 1 and "1 segment" in gsm["message"]
    hausa = post(client, "/console/admin/segments.json", {"text": "Mun karɓi saƙonku " * 5}).get_json()
    assert hausa["encoding"] == "UCS-2" and hausa["segments"] == 2 and "ɓ" in hausa["message"]
    page = client.get("/console/inbox/1")
    assert page.status_code == 404
    login("admin", email="boss@example.org")
    assert 'data-segments="/console/admin/segments.json"' in client.get("/console/admin/canned-replies").get_data(as_text=True)
