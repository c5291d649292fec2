"""Journeys as data: validation (valid and invalid fixtures), the CLI, and a crawler of every screen."""
from __future__ import annotations

import itertools
import re
import shutil
from collections import deque
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway import i18n
from gateway.extensions import db
from gateway.services import ussd_sessions
from menus import InvalidJourney, load_checked
from menus.model import JOURNEYS_DIR
from menus.screens import MAX_SCREEN, layout, numbered
from menus.texts import USSD_LANGUAGES, to_screen
from tests.ussd_tester import LANGUAGE_CHOICES, check_screen, new_number

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def dirs(tmp_path):
    """Copies of the real journeys and catalogs, to break one thing at a time."""
    journeys, translations = tmp_path / "journeys", tmp_path / "translations"
    shutil.copytree(JOURNEYS_DIR, journeys)
    shutil.copytree(i18n.TRANSLATIONS, translations)
    return journeys, translations


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def set_text(translations: Path, lang: str, key: str, value: str | None) -> None:
    """Change (or with None remove) one entry of a language's ussd.po."""
    po = translations / lang / "LC_MESSAGES" / "ussd.po"
    text = po.read_text(encoding="utf-8")
    pattern = re.compile(r'(#[^\n]*\n)?msgid "' + re.escape(key) + r'"\nmsgstr "(?:[^"\\]|\\.)*"\n')
    assert pattern.search(text), key
    replacement = "" if value is None else f'msgid "{key}"\nmsgstr "{value}"\n'
    po.write_text(pattern.sub(lambda m: replacement, text, count=1), encoding="utf-8")


def errors_for(journeys: Path, translations: Path) -> list[str]:
    with pytest.raises(InvalidJourney) as caught:
        load_checked(journeys, translations, fresh=True)
    return caught.value.errors


def test_the_shipped_journeys_are_valid():
    menus, texts, findings = load_checked()
    assert {"main", "report", "activities", "topics", "callback"} <= set(menus.journeys)
    assert findings.screens_measured == len(menus.screens) * len(USSD_LANGUAGES)
    assert not [w for w in findings.warnings if "cannot be reached" in w]


BREAKAGES = [
    # (what, how to break it, expected error fragment)
    ("dangling next", lambda j, t: edit(j / "main.yaml", "next: topics.list", "next: topics.nowhere"),
     "'topics.nowhere' does not exist"),
    ("unknown action", lambda j, t: edit(j / "main.yaml", "action: start_activities", "action: launch"),
     "unknown action 'launch'"),
    ("unknown source", lambda j, t: edit(j / "report.yaml", "source: regions", "source: planets"),
     "unknown list source 'planets'"),
    ("bad action argument", lambda j, t: edit(j / "main.yaml", "language: taq}", "language: xxx}"),
     "language='xxx' is not allowed"),
    ("unknown field", lambda j, t: edit(j / "callback.yaml", "type: end", "type: end\n    nxet: main"),
     "unknown field(s) nxet"),
    ("bad type", lambda j, t: edit(j / "callback.yaml", "type: end", "type: ending"), "type must be one of"),
    ("no entry screen", lambda j, t: edit(j / "main.yaml", "  resume:", "  resumed:"),
     "the engine needs a screen 'resume'"),
    ("not YAML", lambda j, t: edit(j / "topics.yaml", "screens:", "screens: ["), "not valid YAML"),
    ("missing French", lambda j, t: set_text(t, "fra", "ussd.callback.done", None),
     "'ussd.callback.done' is missing in fra"),
    ("missing Hausa", lambda j, t: set_text(t, "hau", "ussd.main.report", None),
     "'ussd.main.report' is missing in hau"),
    ("missing Zarma", lambda j, t: set_text(t, "dje", "ussd.topics.join", None),
     "'ussd.topics.join' is missing in dje"),
    ("partial language lacks the report journey", lambda j, t: set_text(t, "knc", "ussd.report.when", None),
     "'ussd.report.when' is missing in knc"),
    ("screen too long", lambda j, t: set_text(t, "fra", "ussd.main.title", "Bienvenue " * 12),
     "screen 'main' in fra needs"),
    ("too long with the longest parameters", lambda j, t: set_text(
        t, "hau", "ussd.report.confirm", "A aika wannan rahoto yanzu?\\n{category}\\n{place}, {when}\\n" + "x" * 40),
     "screen 'report.confirm' in hau needs"),
    ("not GSM-7", lambda j, t: set_text(t, "hau", "ussd.main.title", "Barka 😀 ب"), "no USSD screen can show"),
    ("unknown parameter", lambda j, t: set_text(t, "fra", "ussd.report.done", "Merci {phone}"),
     "unknown parameter(s) phone"),
    ("parameter the French lacks", lambda j, t: set_text(t, "dje", "ussd.cancelled", "A ban {reference}"),
     "uses reference which the French text does not"),
]


@pytest.mark.parametrize("what, breakage, expected", BREAKAGES, ids=[b[0] for b in BREAKAGES])
def test_invalid_journeys_are_refused(dirs, what, breakage, expected):
    journeys, translations = dirs
    load_checked(journeys, translations, fresh=True)    # valid before
    breakage(journeys, translations)
    errors = errors_for(journeys, translations)
    assert any(expected in e for e in errors), errors


def test_partial_languages_may_lack_other_journeys(dirs):
    journeys, translations = dirs
    for key in ("ussd.activities.list", "ussd.callback.confirm"):
        assert key not in (translations / "fuv" / "LC_MESSAGES" / "ussd.po").read_text()
    load_checked(journeys, translations)            # they fall back to French


def test_the_app_refuses_to_start_on_an_invalid_journey(make_app, dirs):
    journeys, translations = dirs
    edit(journeys / "report.yaml", "next: report.when", "next: report.whenever")
    with pytest.raises(InvalidJourney, match="report.whenever"):
        make_app(USSD_JOURNEYS_DIR=journeys, USSD_TRANSLATIONS_DIR=translations)


# --- Screens -------------------------------------------------------------------------------

def test_layout_paginates_and_never_exceeds_the_screen():
    labels = [f"Departement numero {i} avec un nom long" for i in range(1, 40)]
    lines = numbered(labels)
    first = layout("Titre", lines, more_label="Suite", nav="0 Retour 00 Accueil")
    assert first.pages > 3 and "98. Suite" in first.text
    shown = []
    for page in range(first.pages):
        text = layout("Titre", lines, more_label="Suite", nav="0 Retour 00 Accueil", page=page).text
        assert len(text) <= MAX_SCREEN and text.startswith("Titre\n") and text.endswith("0 Retour 00 Accueil")
        shown += [line for line in text.splitlines() if re.match(r"^\d+\. ", line) and not line.startswith("98.")]
    assert shown == lines                           # every item once, in order
    huge = layout("T" * 300, ["1. " + "x" * 300], more_label="Suite", nav="0 Retour", error="Choix invalide.")
    assert len(huge.text) <= MAX_SCREEN and huge.text.startswith("Choix invalide.")


@pytest.mark.parametrize("raw, shown", [
    ("Ƙasa ɗaya ɓarna ƴan", "Kasa daya barna yan"), ("Tillabéri, Maïné-Soroa", "Tillaberi, Maine-Soroa"),
    ("Être rappelé à côté", "Etre rappele a cote"), ("l’école «ici»", "l'ecole \"ici\""),
    ("Baani nda margayaŋ", "Baani nda margayan"), ("ɣ ḍ ə š", "gh d e s"), ("Émission € {x}", "Emission ? ?x?"),
])
def test_screen_text_is_plain_gsm7(raw, shown):
    assert to_screen(raw) == shown


# --- CLI -----------------------------------------------------------------------------------

def test_menus_check_command(runner, seeded):
    result = runner.invoke(args=["menus", "check"])
    assert result.exit_code == 0, result.output
    assert re.search(r"5 journeys, \d+ screens, \d+ screen renderings measured, \d+ list pages from the "
                     r"database: OK", result.output)
    assert int(re.search(r"(\d+) list pages", result.output).group(1)) > 100


def test_menus_check_command_fails_on_an_invalid_journey(runner, dirs):
    journeys, translations = dirs
    set_text(translations, "hau", "ussd.main.title", "x" * 170)
    result = runner.invoke(args=["menus", "check", "--journeys", str(journeys), "--translations", str(translations)])
    assert result.exit_code == 1
    assert "error: screen 'main' in hau needs" in result.output


def test_menus_translations_command(runner):
    result = runner.invoke(args=["menus", "translations"])
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line.split() for line in result.output.splitlines()[2:]}
    total = int(rows["fra"][2])
    assert rows["fra"][2:6] == [str(total), "0", "0", str(total)]          # French complete, reviewed
    assert rows["hau"][2:6] == [str(total), "0", str(total), "0"]          # Hausa complete, all drafts
    assert rows["dje"][3] == "0" and int(rows["dje"][4]) == total
    for lang in ("fuv", "knc", "taq"):
        assert int(rows[lang][3]) > 0 and "fall back to French" in " ".join(rows[lang])
    assert "not offered on USSD" in " ".join(rows["arb"])
    verbose = runner.invoke(args=["menus", "translations", "-v"]).output
    assert "draft    ussd.main.report" in verbose and "missing  ussd.callback.done" in verbose


def test_ussd_simulate_command(runner, seeded):
    import os
    result = runner.invoke(args=["ussd", "simulate", "--phone", "+22790555666", "--script", "3*4*1"])
    assert result.exit_code == 0, result.output
    assert "Langue" in result.output and "Bienvenue sur Murya" in result.output
    assert "ligne d'ecoute vous rappellera bientot" in result.output and "[END" in result.output
    if not os.environ.get("REDIS_URL"):
        assert "SMS inbox of +22790555666: 1 message(s)" in result.output


# --- The crawler ---------------------------------------------------------------------------

# Screens a fresh number cannot reach by choosing options alone (each has its own test).
NEEDS_SETUP = {"resume", "failed", "activities.already", "activities.closed"}
_sessions = itertools.count(1)


@pytest.mark.parametrize("lang", USSD_LANGUAGES)
def test_crawler_visits_every_reachable_screen_in_every_language(app, client, seeded, lang):
    """Every option of every screen, from a fresh number each time (replaying inputs on one hop)."""
    from gateway.models import Activity
    from gateway.services import contacts
    from gateway.services.activities import register
    full = db.session.scalar(select(Activity).where(Activity.code == "DLG02"))
    for _ in range(full.capacity):                  # so that the waiting list is reachable too
        register(full, contacts.get_or_create(new_number())[0].id, channel="sms")
    db.session.commit()
    menus = app.extensions["menus"].menus
    choice = str(list(LANGUAGE_CHOICES).index(lang) + 1)
    todo, seen_screens, seen_ids, hops = deque([[choice]]), set(), set(), 0
    while todo:
        path = todo.popleft()
        session_id = f"crawl-{lang}-{next(_sessions)}"
        response = client.post("/ussd/africastalking", data={
            "sessionId": session_id, "phoneNumber": new_number(), "serviceCode": "*384#", "text": "*".join(path)})
        hops += 1
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        check_screen(body)
        assert "{" not in body and "}" not in body
        state = ussd_sessions.load("africastalking", session_id)
        screen_id = state["screen"]
        seen_ids.add(screen_id)
        # The confirmation looks the same whether the report is anonymous or not, but leads to
        # different closing screens: both must be explored.
        key = (body, bool(state.get("data", {}).get("anonymous")))
        if key in seen_screens or body.startswith("END ") or screen_id == "language":
            continue                                # (each language has its own crawl)
        seen_screens.add(key)
        numbers = re.findall(r"^(\d+)\. ", body[4:], flags=re.M)
        if not numbers and "0 " in body:            # a free-text screen
            todo.extend([path + ["1"], path + ["Un texte libre"]])
        todo.extend(path + [n] for n in numbers)
    assert set(menus.screens) - NEEDS_SETUP <= seen_ids, set(menus.screens) - NEEDS_SETUP - seen_ids
    assert hops < 400
