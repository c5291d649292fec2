"""Reference data: Niger's regions and departments, report categories, topics, demo activities."""
from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from gateway.extensions import db
from gateway.models import Activity, AdminArea, Category, Partner, Topic, utcnow
from gateway.services.places import canonical_pcode
from gateway.services.rules_seed import load_flag_rules, load_keywords

PROGRAMME_REGIONS = ("NE002", "NE005", "NE006")   # Diffa, Tahoua, Tillabéri

# Report categories, after conflict early-warning practice. Names marked draft in hau/dje until
# reviewed by native speakers (see `flask --app wsgi menus translations`).
CATEGORIES = [
    # code, fra, hau, dje, hxl event type, sensitive, urgent by default
    ("farmer_herder", "Conflit agriculteurs-éleveurs", "Rikicin manoma da makiyaya",
     "Farkooy nda hawjiyey kakaw", "conflict-farmer-herder", False, False),
    ("land_water", "Litige foncier ou sur l'eau", "Rigimar ƙasa ko ruwa",
     "Laabu wala hari kakaw", "dispute-land-water", False, False),
    ("livestock_theft", "Vol de bétail", "Satar dabbobi", "Almaney zay", "theft-livestock", False, False),
    ("intercommunal", "Tension entre communautés", "Tashin hankali tsakanin al'umma",
     "Kondey game kakaw", "tension-intercommunal", False, False),
    ("armed_groups", "Présence ou menace de groupes armés", "Bayyanar 'yan bindiga",
     "Marga bonkoonyaŋ", "armed-group-presence", False, True),
    ("attack", "Attaque ou violence", "Hari ko tashin hankali", "Kaŋ ka zumbu", "attack-violence", False, True),
    ("kidnapping", "Enlèvement", "Garkuwa da mutane", "Boro zaa", "kidnapping", False, True),
    ("displacement", "Arrivée ou départ de déplacés", "Zuwa ko tafiyar 'yan gudun hijira",
     "Yawey kaa wala koy", "displacement", False, False),
    ("rumours", "Rumeurs et discours de haine", "Jita-jita da kalaman ƙiyayya",
     "Sanni laalo", "rumour-hate-speech", False, False),
    ("gbv", "Violence basée sur le genre", "Cin zarafin mata", "Wayborey gurzugay",
     "gender-based-violence", True, True),
    ("staff_abuse", "Abus par du personnel humanitaire", "Cin zarafi daga ma'aikatan agaji",
     "Gaakasinay goy-teerey laala", "abuse-by-aid-staff", True, True),
    ("peace_initiative", "Initiative de paix (bonne nouvelle)", "Shirin zaman lafiya",
     "Baani goyo", "peace-initiative", False, False),
    ("other", "Autre", "Wani abu", "Hay fo", "other", False, False),
]

TOPICS = [
    ("peace", "Paix et cohésion", "Zaman lafiya", "Baani nda margayaŋ"),
    ("activities", "Nouvelles des activités", "Labaran ayyuka", "Goyey baaru"),
    ("youth", "Jeunesse et emploi", "Matasa da aikin yi", "Arwasey nda goy"),
    ("women", "Femmes et leadership", "Mata da shugabanci", "Wayborey nda jine-borotaray"),
]

PARTNERS = [
    ("Protection cluster", "Referral for protection cases"),
    ("Comité de paix communal", "Local peace committee"),
    ("GBV service provider", "Specialised care for gender-based violence survivors"),
]


def _pcode(code: str) -> str:
    """Store COD-AB's `NE…` form; the HNRP file writes `NER…`."""
    return canonical_pcode(code)


def load_admin_areas(csv_path: Path) -> tuple[int, int]:
    """Upsert regions and departments from the HNRP adm2 CSV. Returns (regions, departments)."""
    regions, departments = {}, []
    with open(csv_path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            regions[_pcode(row["admin1_code"])] = row["admin1_name"].strip()
            departments.append((_pcode(row["admin2_code"]), row["admin2_name"].strip(),
                                _pcode(row["admin1_code"])))
    for position, (pcode, name) in enumerate(sorted(regions.items(), key=lambda kv: kv[1])):
        area = db.session.get(AdminArea, pcode) or AdminArea(pcode=pcode)
        area.level, area.name, area.parent_pcode = 1, name, None
        area.programme = pcode in PROGRAMME_REGIONS
        # Programme regions first on USSD lists; the others follow alphabetically.
        area.position = (0 if area.programme else 100) + position
        db.session.add(area)
    db.session.flush()
    for position, (pcode, name, parent) in enumerate(sorted(departments, key=lambda d: d[1])):
        area = db.session.get(AdminArea, pcode) or AdminArea(pcode=pcode)
        area.level, area.name, area.parent_pcode, area.position = 2, name, parent, position
        area.programme = parent in PROGRAMME_REGIONS
        db.session.add(area)
    return len(regions), len(departments)


def load_categories() -> int:
    """Upsert the report categories (names of existing ones are kept: admins may have edited them)."""
    for position, (code, fra, hau, dje, hxl, sensitive, urgent) in enumerate(CATEGORIES):
        category = db.session.get(Category, code)
        if category is None:
            category = Category(code=code, names={"fra": fra, "hau": hau, "dje": dje})
            db.session.add(category)
        category.hxl_type, category.sensitive, category.urgent_by_default = hxl, sensitive, urgent
        category.position = position
    return len(CATEGORIES)


def load_topics() -> int:
    """Upsert awareness topics and referral partners."""
    for position, (code, fra, hau, dje) in enumerate(TOPICS):
        topic = db.session.scalar(select(Topic).where(Topic.code == code))
        if topic is None:
            db.session.add(Topic(code=code, names={"fra": fra, "hau": hau, "dje": dje}, position=position))
    for name, description in PARTNERS:
        if db.session.scalar(select(Partner).where(Partner.name == name)) is None:
            db.session.add(Partner(name=name, description=description))
    return len(TOPICS)


DEMO_ACTIVITIES = [
    # code, name, kind, adm1, adm2, place, days from now, capacity
    ("DLG01", "Dialogue intercommunautaire Diffa", "dialogue", "NE002", "NE002002", "Diffa", 5, 40),
    ("CFW01", "Cash for Work Maïné-Soroa", "cash_for_work", "NE002", "NE002004", "Maïné-Soroa", 9, 60),
    ("TRN01", "Formation leadership des jeunes", "training", "NE006", "NE006011", "Téra", 7, 25),
    ("CUL01", "Festival culturel de la paix", "cultural", "NE006", "NE006008", "Kollo", 14, 200),
    ("TRN02", "Formation résolution des conflits", "training", "NE005", "NE005009", "Tahoua", 6, 30),
    ("DLG02", "Dialogue agriculteurs-éleveurs Tillia", "dialogue", "NE005", "NE005012", "Tillia", 12, 3),
]


def load_demo_activities() -> int:
    """Create demo activities (only those whose code does not exist yet)."""
    created = 0
    now = utcnow().replace(hour=8, minute=0, second=0, microsecond=0)
    for code, name, kind, adm1, adm2, place, days, capacity in DEMO_ACTIVITIES:
        if db.session.scalar(select(Activity).where(Activity.code == code)) is not None:
            continue
        if db.session.get(AdminArea, adm2) is None:
            adm2 = None
        db.session.add(Activity(code=code, name=name, kind=kind, adm1_pcode=adm1, adm2_pcode=adm2,
                                place=place, starts_at=now + timedelta(days=days),
                                ends_at=now + timedelta(days=days, hours=8), capacity=capacity))
        created += 1
    return created


def load_all(data_dir: Path, demo: bool = True) -> dict:
    """Load every kind of reference data; returns counts. Idempotent."""
    regions, departments = load_admin_areas(data_dir / "niger" / "hnrp_2026_adm2.csv")
    counts = {"regions": regions, "departments": departments, "categories": load_categories(),
              "topics": load_topics()}
    db.session.flush()
    counts["keywords"], counts["flag_rules"] = load_keywords(), load_flag_rules()
    if demo:
        counts["demo_activities"] = load_demo_activities()
    db.session.commit()
    return counts
