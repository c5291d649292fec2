"""The console in French first, English second: catalogs complete, the language switch, codes in
words, Niger time, error pages inside the layout, no inline script."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from gateway.console.locale import CATALOGS
from tests.conftest import csrf
from tests.factories import ReportFactory

ROOT = Path(__file__).resolve().parent.parent
FRENCH = CATALOGS / "fr" / "LC_MESSAGES" / "console.po"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2), "_l": None,
            "_lp": ((1, "c"), 2)}
TEMPLATES = ROOT / "gateway" / "console" / "templates"


def _source_messages() -> set[tuple]:
    """(context, msgid) of every text marked in the console's code and templates, as pybabel sees it."""
    method_map = [("gateway/console/**.py", "python"), ("gateway/console/templates/**.html", "jinja2")]
    found = set()
    for _, _, message, _, context in extract_from_dir(str(ROOT), method_map, keywords=KEYWORDS):
        msgid = message[0] if isinstance(message, tuple) else message
        found.add((context, msgid))
    return found


def test_every_console_text_has_a_reviewed_french_translation():
    with open(FRENCH, "rb") as fh:
        catalog = read_po(fh, locale="fr")
    translated = {(m.context, m.id if isinstance(m.id, str) else m.id[0]): m for m in catalog if m.id}
    missing = sorted(str(key) for key in _source_messages() if key not in translated)
    assert not missing, f"run the pybabel commands of README (Console languages); untranslated: {missing[:10]}"
    empty = [m.id for m in translated.values() if m.fuzzy or not m.string or
             (isinstance(m.string, tuple) and not all(m.string))]
    assert not empty, f"draft or empty French texts: {empty[:10]}"
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalog.check() if errors]
    assert not problems, f"placeholders differ between English and French: {problems[:5]}"


def _plain(value):
    """Plural ids and strings as tuples, contexts as text (Babel's read_mo gives bytes)."""
    if isinstance(value, bytes):
        return value.decode()
    return tuple(value) if isinstance(value, (list, tuple)) else value


def test_the_compiled_catalog_is_the_po_file():
    def table(catalog) -> dict:
        return {(_plain(m.context), _plain(m.id)): _plain(m.string) for m in catalog if m.id}
    with open(FRENCH, "rb") as fh:
        po = table(read_po(fh, locale="fr"))
    with open(FRENCH.with_suffix(".mo"), "rb") as fh:
        mo = table(read_mo(fh))
    assert mo == po, "console.mo is stale: run `pybabel compile -d gateway/translations/console -D console`"


def test_french_by_default_english_on_request_and_kept_across_sign_in(client, login):
    login("viewer")
    page = client.get("/console/").get_data(as_text=True)
    assert '<html lang="fr">' in page and "Tableau de bord" in page and "Lecteur" in page
    switched = client.post("/console/language", data={"lang": "en", "next": "/console/reports?status=new",
                                                      "csrf_token": csrf(client)})
    assert switched.status_code == 302 and switched.headers["Location"] == "/console/reports?status=new"
    page = client.get("/console/").get_data(as_text=True)
    assert '<html lang="en">' in page and "Dashboard" in page and "Viewer" in page
    client.post("/console/logout", data={"csrf_token": csrf(client)})
    assert "Sign in" in client.get("/console/login").get_data(as_text=True)       # still English
    # The switch only goes back to local pages, and refuses what it does not offer.
    away = client.post("/console/language", data={"lang": "xx", "next": "//evil.example/",
                                                  "csrf_token": csrf(client)})
    assert away.headers["Location"] == "/console/"
    assert client.post("/console/language", data={"lang": "fr"}).status_code == 403      # no form token


def test_codes_read_as_words_in_both_languages(client, login, seeded, clock):
    ReportFactory(reference="R-WORDS1", category_code="livestock_theft", status="in_review", urgency=3,
                  adm1_pcode="NE002", adm2_pcode="NE002003", channel="ussd")
    login("viewer")
    page = client.get("/console/reports").get_data(as_text=True)
    for words in ("Vol de bétail", "En examen", "Haute", "Diffa", "26 nov. 2026 10:00"):
        assert words in page
    for code in ("livestock_theft", "in_review", "NE002003"):
        assert f">{code}<" not in page
    client.post("/console/language", data={"lang": "en", "csrf_token": csrf(client)})
    page = client.get("/console/reports").get_data(as_text=True)
    for words in ("Livestock theft", "In review", "High", "Nov 26, 2026 10:00"):
        assert words in page


def test_priority_urgency_and_severity_share_one_vocabulary(app):
    from gateway.console import names
    with app.test_request_context():
        assert names.priority(1) == names.urgency(3) == names.severity(3) == "Haute"
        assert names.priority(3) == names.urgency(1) == "Basse"
        assert names.status("completed", "campaign") == "Terminée" and names.status("new", "report") == "Nouveau"
        assert names.language("hau") == "Haoussa" and names.role("operator") == "Opérateur de la ligne d’écoute"
        assert names.group("youth") == "Jeunes" and names.group("imported-list") == "imported-list"
        assert names.money(15500, "XOF") == "15\u202f500\u00a0F\u202fCFA"


@pytest.mark.parametrize("model, field", [
    ("gateway.models.reports:REPORT_STATUSES", "report"), ("gateway.models.tickets:TICKET_STATUSES", "ticket"),
    ("gateway.models.campaigns:CAMPAIGN_STATUSES", "campaign"),
    ("gateway.models.campaigns:DELIVERY_STATUSES", "delivery"), ("gateway.models.messages:OUT_STATUSES", "message"),
    ("gateway.services.activity_admin:ACTIVITY_STATUSES", "activity"),
])
def test_every_status_has_a_name(model, field):
    import importlib
    from gateway.console.names import STATUSES
    module, name = model.split(":")
    assert set(getattr(importlib.import_module(module), name)) <= set(STATUSES[field])


def test_root_leads_to_the_console(client):
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/console/"


def test_error_pages_inside_the_layout_json_under_api_text_on_webhooks(app, client, login):
    login("viewer")
    missing = client.get("/console/nowhere")
    html = missing.get_data(as_text=True)
    assert missing.status_code == 404 and "Page introuvable" in html and 'class="top"' in html
    forbidden = client.get("/console/campaigns")
    assert forbidden.status_code == 403 and "Votre rôle ne donne pas accès" in forbidden.get_data(as_text=True)
    expired = client.post("/console/logout", data={"csrf_token": "stale"})
    assert expired.status_code == 403 and "Le formulaire a expiré" in expired.get_data(as_text=True)
    api = client.get("/api/v1/nowhere")
    assert api.status_code == 404 and api.is_json
    webhook = client.get("/sms/nowhere")
    assert webhook.status_code == 404 and webhook.mimetype == "text/plain"


def test_an_unexpected_error_is_a_page_in_the_layout(make_app):
    app = make_app()

    @app.get("/console/boom")
    def boom():
        raise RuntimeError("secret-detail")
    response = app.test_client().get("/console/boom")
    html = response.get_data(as_text=True)
    assert response.status_code == 500 and "Erreur inattendue" in html and "secret-detail" not in html


def test_no_inline_script_or_event_handler_in_any_template():
    # A later Content-Security-Policy without 'unsafe-inline' must not break a page.
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), template.name
        assert not re.search(r"\son[a-z]+\s*=", text), template.name
        assert "style=" not in text, template.name


def test_the_menu_marks_the_current_page_and_offers_a_skip_link(client, login):
    login("staff")
    page = client.get("/console/campaigns/new").get_data(as_text=True)
    assert re.search(r'<a href="/console/campaigns" aria-current="page">', page)
    assert 'href="#main"' in page and 'id="main"' in page
    assert 'aria-current="page"' not in re.search(r'<a href="/console/"[^>]*>', page).group(0)
