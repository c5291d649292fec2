"""Screenshots of the console's main pages, in French, into docs/screenshots/ (PNG).

    .venv/bin/python docs/screenshots.py            # needs Chromium (CHROMIUM_PATH or /usr/bin/chromium)

Builds a throw-away app (SQLite in a temporary folder, the in-process queue and worker, the fake
SMS channel), fills it with made-up demo data (contacts, reports across the programme's
regions, hotline tickets, a sent campaign), serves it on a free local port and photographs each
page with Playwright, at 1366 px wide and at 390 px (a phone). Nothing here is real data.
"""
from __future__ import annotations

import os
import random
import shutil
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "docs" / "screenshots"
PASSWORD = "screenshots-only"

# (file name, path, width) — the path may name {ticket}, {report}, {campaign}, {draft}, {activity}, {contact}.
SHOTS = [
    ("01-tableau-de-bord", "/console/", 1366),
    ("02-signalements-liste", "/console/reports", 1366),
    ("03-signalements-carte", "/console/reports/map", 1366),
    ("04-signalement", "/console/reports/{report}", 1366),
    ("05-signalements-graphiques", "/console/reports/charts", 1366),
    ("06-boite-de-reception", "/console/inbox", 1366),
    ("07-ticket", "/console/inbox/{ticket}", 1366),
    ("08-activites", "/console/activities", 1366),
    ("09-activite", "/console/activities/{activity}", 1366),
    ("10-campagne-nouvelle", "/console/campaigns/new", 1366),
    ("11-campagne-confirmation", "/console/campaigns/{draft}/confirm", 1366),
    ("12-campagne-envoyee", "/console/campaigns/{campaign}", 1366),
    ("13-simulateur", "/console/simulator", 1366),
    ("14-messages", "/console/messages", 1366),
    ("15-contacts", "/console/contacts", 1366),
    ("16-contact", "/console/contacts/{contact}", 1366),
    ("17-import-contacts", "/console/contacts/import", 1366),
    ("18-regles-essai", "/console/admin/flag-rules?language=hau&sample=An+yi+fada+a+kasuwa%2C+mutane+sun+ji+rauni&sample_language=hau", 1366),
    ("19-journal-audit", "/console/admin/audit", 1366),
    ("24-telephone-messages", "/console/messages", 390),
    ("25-telephone-boite", "/console/inbox", 390),
    ("26-telephone-ticket", "/console/inbox/{ticket}", 390),
    ("20-telephone-signalements", "/console/reports", 390),
    ("21-telephone-carte", "/console/reports/map", 390),
    ("22-telephone-campagne", "/console/campaigns/{campaign}", 390),
    ("23-telephone-menu", "/console/", 390),
]


def chromium() -> str:
    for candidate in (os.environ.get("CHROMIUM_PATH"), shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and os.path.exists(candidate):
            return candidate
    raise SystemExit("no Chromium found: set CHROMIUM_PATH")


def build_app(folder: Path):
    """A development app on its own SQLite file, migrated and seeded."""
    os.environ.update(GATEWAY_ENV="development", DATABASE_URL=f"sqlite:///{folder}/murya.db",
                      SMS_PROVIDER="fake", EMBEDDED_WORKER="1")
    os.environ.pop("REDIS_URL", None)
    from flask_migrate import upgrade
    from gateway import create_app
    from gateway.config import REFERENCE_DATA
    from gateway.services.reference_data import load_all
    app = create_app()
    with app.app_context():
        upgrade()
        load_all(REFERENCE_DATA, demo=True)
    return app


REPORT_TEXTS = {
    "fra": "Des éleveurs et des agriculteurs se disputent près du puits.",
    "hau": "An yi fada tsakanin manoma da makiyaya, mutane sun ji rauni.",
    "dje": "Boro yaŋ kaŋ na ngey care kar habo ra.",
}


# Made-up feedback, as people write it (Hausa, French, Zarma), and the acknowledgements.
FEEDBACK = [("An yi fada a kasuwa, mutane sun ji rauni", "hau"),
            ("Les éleveurs et les agriculteurs se disputent encore le point d'eau de Kablewa", "fra"),
            ("Boro yaŋ kaŋ i na kwaara naŋ", "dje"), ("Ruwa ya yi yawa a gonakinmu", "hau"),
            ("Merci pour la causerie de samedi, les jeunes étaient nombreux", "fra"),
            ("Akwai jita-jita a kauyenmu game da sabbin mutane", "hau")]
ACKS = {"hau": "Mun karbi sakonka {reference}. Na gode.", "fra": "Message reçu, référence {reference}. Merci.",
        "dje": "Iri na ni sanno ta {reference}. Fofo."}


def demo_data(app) -> dict:
    """Made-up contacts, reports, tickets, a registration and two campaigns; returns ids for SHOTS."""
    from sqlalchemy import select
    from gateway.extensions import db
    from gateway.models import Activity, Campaign, CannedReply, Message, Report, Ticket, User
    from gateway.services import activities, campaigns, contacts, inbox
    from gateway.services.reports import ReportDraft, create_report
    rng = random.Random(2026)
    places = {"NE002": ["NE002001", "NE002002", "NE002003", "NE002004", "NE002006"],
              "NE005": ["NE005001", "NE005009", "NE005011", "NE005012"],
              "NE006": ["NE006004", "NE006008", "NE006011", "NE006013"]}
    categories = ["farmer_herder", "land_water", "livestock_theft", "intercommunal", "armed_groups",
                  "rumours", "peace_initiative", "displacement"]
    with app.app_context():
        admin = User(email="coordination@murya.local", name="Aïssa Moussa", role="admin", sensitive_access=True)
        admin.set_password(PASSWORD)
        operator = User(email="ligne@murya.local", name="Ibrahim Adamou", role="operator")
        operator.set_password(PASSWORD)
        db.session.add_all([admin, operator])
        db.session.add(CannedReply(name="Merci, on vous rappelle", texts={
            "fra": "Merci pour votre message. Un membre de l'équipe vous rappelle.",
            "hau": "Na gode da sakonka. Za mu kira ka."}, notes=""))
        db.session.commit()
        people = []
        for n in range(48):
            region = rng.choice(list(places))
            contact, _ = contacts.get_or_create(f"+2279{n:07d}", channel="fake",
                                                language=rng.choice(["fra", "hau", "hau", "dje"]))
            contact.adm1_pcode, contact.adm2_pcode = region, rng.choice(places[region])
            people.append(contact)
        db.session.commit()
        weights = {"NE002003": 9, "NE002002": 7, "NE006011": 6, "NE005009": 5, "NE002004": 3}
        for n in range(70):
            department = rng.choices(list(weights) + [d for ds in places.values() for d in ds],
                                     weights=list(weights.values()) + [1] * 13)[0]
            person = rng.choice(people)
            language = person.language or "fra"
            report, _ = create_report(ReportDraft(
                category_code=rng.choice(categories), channel=rng.choice(["ussd", "ussd", "sms"]),
                language=language, adm1_pcode=department[:5], adm2_pcode=department,
                occurred=rng.choice(["today", "yesterday", "this_week"]), urgency=rng.choice([1, 2, 2, 3]),
                text=REPORT_TEXTS.get(language) if n % 3 == 0 else None, anonymous=n % 5 == 0), person)
            report.created_at -= timedelta(days=rng.randint(0, 40), hours=rng.randint(0, 20))
        db.session.commit()
        ticket = db.session.scalars(select(Ticket).where(Ticket.contact_id.is_not(None)).order_by(Ticket.id)).first()
        inbox.claim(ticket, operator, f"user:{operator.id}")
        inbox.triage(ticket, operator, f"user:{operator.id}", severity=3, verified="1")
        inbox.add_note(ticket, operator, f"user:{operator.id}", "Appelé le chef de village, situation calme ce soir.")
        report = db.session.get(Report, ticket.report_id)
        for n, (text, language) in enumerate(FEEDBACK):
            person = people[n % len(people)]
            db.session.add(Message(direction="in", channel="fake", contact_id=person.id, text=text, language=language,
                                   status="received", kind="inbound", flagged=n % 3 == 0,
                                   extra={"reference": f"M-DEMO{n:02d}"}))
            db.session.add(Message(direction="out", channel="fake", contact_id=person.id, language=language,
                                   text=ACKS[language].format(reference=f"M-DEMO{n:02d}"), status="delivered", kind="ack"))
        contacts.set_groups(people[0], ["leaders", "women"])
        db.session.commit()
        activity = db.session.scalar(select(Activity).where(Activity.code == "DLG01"))
        for person in people[:9]:
            activities.register(activity, person.id, "ussd")
        db.session.commit()
        sent = campaigns.create({"name": "Journée de la paix", "default_language": "fra",
                                 "texts": {"fra": "Samedi, journée de la paix au stade. Venez nombreux !",
                                           "hau": "Ranar Asabar, ranar zaman lafiya a filin wasa."},
                                 "audience": {"adm1": ["NE002", "NE006"]}}, f"user:{admin.id}")
        campaigns.send(sent, f"user:{admin.id}")
        draft = campaigns.create({"name": "Formation des jeunes à Téra", "default_language": "fra",
                                  "texts": {"fra": "Inscrivez-vous à la formation leadership : INSCRIRE TRN01.",
                                            "dje": "Hantum goy zaaru ga: INSCRIRE TRN01."},
                                  "audience": {"adm2": ["NE006011"], "groups": ["youth"]}}, f"user:{admin.id}")
        for _ in range(100):                     # the embedded worker sends the first campaign
            db.session.expire_all()
            if db.session.get(Campaign, sent.id).status == "completed":
                break
            time.sleep(0.2)
        return {"ticket": ticket.id, "report": report.reference, "campaign": sent.id, "draft": draft.id,
                "activity": activity.id, "contact": people[0].id}


def serve(app):
    from werkzeug.serving import make_server
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def photograph(base: str, ids: dict) -> None:
    from playwright.sync_api import sync_playwright
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=["--headless", "--no-sandbox", "--lang=fr-FR"])
        for width in sorted({w for _, _, w in SHOTS}, reverse=True):
            context = browser.new_context(base_url=base, viewport={"width": width, "height": 900 if width > 500 else 844},
                                          device_scale_factor=1, locale="fr-FR")
            page = context.new_page()
            page.goto("/console/login")
            page.fill("input[name=email]", "coordination@murya.local")
            page.fill("input[name=password]", PASSWORD)
            page.click("form.card button[type=submit]")
            page.wait_for_selector("header.top #menu", state="attached")
            for name, path, shot_width in SHOTS:
                if shot_width != width:
                    continue
                page.goto(path.format(**ids))
                if path.endswith("/new"):
                    page.fill("input[name=name]", "Sensibilisation cohésion sociale")
                    page.fill("textarea[name=text_fra]", "La paix se construit ensemble : parlez-en au comité de paix.")
                    page.fill("textarea[name=text_hau]", "Zaman lafiya muna gina shi tare.")
                    page.check("input[name=adm1][value=NE002]")
                    page.wait_for_selector("#preview-body .total-recipients")
                if name.endswith("-menu"):
                    page.click(".menu-toggle")
                page.wait_for_load_state("networkidle")
                # Phones: the first two screens, as someone scrolling would see them.
                clip = {"x": 0, "y": 0, "width": width, "height": 1700} if width < 500 else None
                page.screenshot(path=str(OUT / f"{name}.png"), full_page=True, clip=clip)
                print(f"  {name}.png")
            context.close()
        browser.close()


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="murya-shots-") as folder:
        app = build_app(Path(folder))
        ids = demo_data(app)
        server = serve(app)
        try:
            photograph(f"http://127.0.0.1:{server.server_port}", ids)
        finally:
            server.shutdown()
            worker = app.extensions.get("embedded_worker")
            if worker is not None:
                worker.stop()


if __name__ == "__main__":
    main()
