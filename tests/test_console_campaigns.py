"""The console's campaign pages: checkboxes and departments under their region, the confirmation
step, the progress that follows the sending, errors in plain French, the default price."""
from __future__ import annotations

from gateway.extensions import db
from gateway.models import Campaign
from tests.conftest import csrf
from tests.factories import ContactFactory


def _form(client, **extra) -> dict:
    return {"name": "Paix", "default_language": "fra", "text_fra": "Bonjour", "csrf_token": csrf(client), **extra}


def test_the_form_offers_checkboxes_and_departments_under_their_region(client, login, seeded):
    login("staff")
    html = client.get("/console/campaigns/new").get_data(as_text=True)
    assert "<select" in html and 'multiple' not in html                 # no Ctrl-click lists
    for name in ("adm1", "adm2", "languages", "topics", "activities", "groups"):
        assert f'type="checkbox" name="{name}"' in html
    diffa = html.split('id="departments-NE002"')[1].split("</div>")[0]
    assert "Maïné Soroa" in diffa
    assert "Téra" not in diffa                                          # a Tillabéri department
    assert "Haoussa" in html and "Jeunes" in html


def test_ticking_departments_narrows_their_region(client, login, seeded):
    ContactFactory(adm1_pcode="NE002", adm2_pcode="NE002003")
    ContactFactory(adm1_pcode="NE002", adm2_pcode="NE002004")
    ContactFactory(adm1_pcode="NE006", adm2_pcode="NE006011")
    login("staff")
    form = _form(client, adm1=["NE002", "NE006"], adm2=["NE002003"])
    client.post("/console/campaigns/new", data=form)
    campaign = db.session.query(Campaign).one()
    assert campaign.audience == {"adm1": ["NE006"], "adm2": ["NE002003"]}
    assert client.post("/console/campaigns/preview.json", data=form).json["recipients"] == 2


def test_nothing_is_sent_before_the_confirmation_which_shows_recipients_cost_and_audience(
        app, client, login, seeded, drain):
    for _ in range(2):
        ContactFactory(language="fra", adm1_pcode="NE002")
    login("staff")
    created = client.post("/console/campaigns/new", data=_form(client, adm1="NE002", languages="fra", review="1"))
    campaign = db.session.query(Campaign).one()
    assert created.headers["Location"] == f"/console/campaigns/{campaign.id}/confirm"
    html = client.get(created.headers["Location"]).get_data(as_text=True)
    # The default price: 25 XOF a segment, two people, one segment each.
    assert "Destinataires : 2 · coût estimé : 50\u00a0F\u202fCFA" in html
    assert "<dt>Régions</dt><dd>Diffa</dd>" in html and "<dt>Langues</dt><dd>Français</dd>" in html
    assert '"adm1"' not in html                                          # words, not JSON
    assert "Confirmer et envoyer à 2 personnes" in html
    drain()
    db.session.refresh(campaign)
    assert campaign.status == "draft"
    client.post(f"/console/campaigns/{campaign.id}/send", data={"csrf_token": csrf(client)})
    assert client.get(f"/console/campaigns/{campaign.id}/confirm").status_code == 302     # sent: no second time


def test_progress_follows_the_sending_and_the_buttons_follow_the_status(app, client, login, seeded, drain):
    ContactFactory(language="fra")
    ContactFactory(language="hau")
    login("staff")
    client.post("/console/campaigns/new", data=_form(client, text_hau="Sannu"))
    campaign = db.session.query(Campaign).one()
    draft = client.get(f"/console/campaigns/{campaign.id}/progress.json").json
    assert draft["actions"] == {"send": True, "pause": False, "resume": False, "cancel": True, "retry": False}
    assert draft["live"] is False and draft["status_label"] == "Brouillon"
    client.post(f"/console/campaigns/{campaign.id}/send", data={"csrf_token": csrf(client)})
    sending = client.get(f"/console/campaigns/{campaign.id}/progress.json").json
    assert sending["live"] is True and sending["actions"]["pause"] is True
    drain()
    done = client.get(f"/console/campaigns/{campaign.id}/progress.json").json
    assert done["status"] == "completed" and done["status_label"] == "Terminée" and done["live"] is False
    assert done["progress"]["percent"] == 100.0 and done["progress"]["done"] == 2
    assert done["actions"]["pause"] is False and done["actions"]["cancel"] is False
    assert done["per_language"]["fra"]["sent"] == 1 and done["per_language"]["hau"]["sent"] == 1
    page = client.get(f"/console/campaigns/{campaign.id}").get_data(as_text=True)
    assert '<progress id="progress-bar" max="100" value="100.0"' in page
    assert 'id="action-pause" data-action="pause" disabled' in page
    assert 'id="lang-hau-sent">1<' in page


def test_campaign_errors_read_in_plain_french(client, login, seeded):
    login("staff")
    no_text = client.post("/console/campaigns/new", data={"name": "Vide", "csrf_token": csrf(client)})
    html = no_text.get_data(as_text=True)
    assert no_text.status_code == 400 and "Écrivez le message dans au moins une langue" in html
    assert "texts must be an object" not in html
    preview = client.post("/console/campaigns/preview.json", data=_form(client, text_fra=""))
    assert preview.status_code == 400 and preview.json["error"]["message"].startswith("Écrivez le message")
    test = client.post("/console/campaigns/test-send.json", data=_form(client, phone="12345"))
    assert test.json["error"]["message"] == "Ce numéro n’est pas valide : écrivez-le comme +227 90 12 34 56."
    client.post("/console/campaigns/new", data=_form(client))
    campaign = db.session.query(Campaign).one()
    again = client.post(f"/console/campaigns/{campaign.id}/pause", data={"csrf_token": csrf(client)},
                        follow_redirects=True)
    assert "Impossible pour l’instant : la campagne est « Brouillon »." in again.get_data(as_text=True)


def test_an_explicit_segment_price_is_kept(make_app):
    app = make_app(SEGMENT_PRICE=0.0)
    assert app.config["SEGMENT_PRICE"] == 0.0
    from gateway.config import TestConfig
    assert TestConfig().SEGMENT_PRICE == 25.0
