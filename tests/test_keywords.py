"""SMS keywords: what the menus and SMS texts teach people to type is a keyword in that language
(read from the catalogs), common spellings, one forgiven typo, and no ambiguity between keywords."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from gateway.extensions import db
from gateway.i18n import FALLBACK, load
from gateway.models import Keyword
from gateway.services import keywords
from gateway.services.rules_seed import KEYWORDS

# USSD screens whose label names an action in a word people can type back by SMS ("Rajista a
# wani aiki" → RAJISTA). The topic screens say "receive these messages", a phrase, not a word:
# their keywords (REJOINDRE, SHIGA, FURO…) are taught by the SMS texts, checked below.
MENU_ACTIONS = {
    "ussd.main.report": "report",
    "ussd.main.activities": "register",
    "ussd.activities.register": "register",
    "ussd.main.callback": "callback",
    "ussd.callback.yes": "callback",
    "ussd.main.language": "language",
}
SHARED = "mul"
# A word in capitals in an SMS text is a keyword it teaches ("envoyez SIGNALER suivi de…").
_TAUGHT = re.compile(r"(?<!\w)[^\W\d_a-zà-ÿ]{3,}(?!\w)")
NOT_KEYWORDS = {"SMS"}


def taught_words(text: str) -> list[str]:
    """The words an SMS text writes in capitals, minus words that are no keyword (SMS)."""
    return [w for w in _TAUGHT.findall(text) if w.upper() == w and w not in NOT_KEYWORDS]


def _exact(text: str):
    return keywords.match(text, typos=False)


def _sms_entries():
    catalogs = load().entries
    for domain in ("sms", "notify"):
        for language, table in catalogs.get(domain, {}).items():
            for key, entry in table.items():
                yield domain, language, key, entry.text


@pytest.fixture
def seeded_keywords(seeded):
    return db.session.scalar(select(db.func.count()).select_from(Keyword))


def test_taught_words_are_found_in_capitals():
    text = "Murya: envoyez SIGNALER; ƊEMNGAL e ɗemngal; TƏLƏM + x; SMS, {reference}, Diffa"
    assert taught_words(text) == ["SIGNALER", "ƊEMNGAL", "TƏLƏM"]


def test_every_word_an_sms_text_teaches_is_a_keyword_of_its_language(seeded_keywords):
    gaps = []
    for domain, language, key, text in _sms_entries():
        for word in taught_words(text):
            found = _exact(word)
            if found is None or found.language not in (language, SHARED):
                gaps.append((language, key, word, found and (found.action, found.language)))
    assert not gaps, gaps


def test_sms_texts_teach_the_same_actions_in_every_language(seeded_keywords):
    catalogs = load().entries
    differences = []
    for domain, language, key, text in _sms_entries():
        french = catalogs[domain][FALLBACK][key].text
        actions = {m.action for m in map(_exact, taught_words(text)) if m}
        expected = {m.action for m in map(_exact, taught_words(french)) if m}
        if actions != expected:
            differences.append((language, key, sorted(actions), sorted(expected)))
    assert not differences, differences


def test_french_texts_teach_something():
    catalogs = load().entries
    assert taught_words(catalogs["sms"][FALLBACK]["sms.help"].text) == [
        "SIGNALER", "INSCRIRE", "REJOINDRE", "LANGUE", "ARRET"]


def test_every_action_a_menu_names_is_a_keyword_of_its_language(seeded_keywords):
    ussd = load().entries["ussd"]
    gaps, checked = [], 0
    for key, action in MENU_ACTIONS.items():
        for language, table in ussd.items():
            if key not in table:
                continue
            checked += 1
            tokens = table[key].text.split()
            pieces = tokens + [" ".join(pair) for pair in zip(tokens, tokens[1:])]
            found = [m for m in map(_exact, pieces) if m]
            if not any(m.action == action and m.language in (language, SHARED) for m in found):
                gaps.append((language, key, table[key].text, [(m.word, m.action) for m in found]))
    assert checked >= 30
    assert not gaps, gaps


def test_language_names_an_sms_text_lists_are_understood():
    for language, table in load().entries["sms"].items():
        text = table["sms.language_unknown"].text
        items = [item.strip(" .") for item in text.rsplit(":", 1)[1].split(",")]
        *names, last = items
        names += [last.split()[0], last.split()[-1]]      # "tamasheq ou arabe"
        unknown = [n for n in names if keywords.language_from_name(n) is None]
        assert not unknown, (language, unknown)


@pytest.mark.parametrize("text, action, language", [
    # what the Hausa menu shows, and the spelling the SMS help uses
    ("rajista DLG04", "register", "hau"), ("RIJISTA DLG04", "register", "hau"), ("Rejista DLG04", "register", "hau"),
    ("YI RAJISTA DLG04", "register", "hau"), ("RAHOTON satar shanu a Diffa", "report", "hau"),
    ("Kai rahoton matsala: yan bindiga", "report", "hau"), ("KIRA NI", "callback", "hau"),
    ("S'INSCRIRE DLG04", "register", "fra"), ("M’inscrire dlg04", "register", "fra"),
    ("Rappelez-moi svp", "callback", "fra"), ("signalement vol de bétail", "report", "fra"),
    ("ŠENNI hausa", "language", "dje"), ("SENNI hausa", "language", "dje"), ("SHENNI hausa", "language", "dje"),
    ("hantumyaŋ DLG04", "register", "dje"), ("AY CE", "callback", "dje"),
    ("ƊEMNGAL fulfulde", "language", "fuv"), ("DEMNGAL fulfulde", "language", "fuv"),
    ("HABRU wujjo na'i", "report", "fuv"), ("WINNDITO DLG04", "register", "fuv"),
    ("LƏMAR DLG04", "register", "knc"), ("LEMAR DLG04", "register", "knc"), ("TELEM kanuri", "language", "knc"),
    ("EREM DLG04", "register", "taq"), ("ƔRƏT-I", "callback", "taq"), ("GHRET I", "callback", "taq"),
    ("JOIN PEACE", "join", SHARED), ("HELP", "help", SHARED),
])
def test_common_spellings(seeded_keywords, text, action, language):
    found = _exact(text)
    assert found is not None and (found.action, found.language) == (action, language), found
    assert not found.typo


@pytest.mark.parametrize("text, action, word", [
    ("RAJSTA DLG04", "register", "rajista"),       # a letter missing
    ("INSCIRE DLG04", "register", "inscrire"),
    ("INSRCIRE dlg04", "register", "inscrire"),    # two letters swapped
    ("ARRTE", "stop", "arret"),
    ("tsyaa", "stop", "tsaya"),
    ("LANGE hausa", "language", "langue"),         # a letter wrong
    ("TAIMAKOO", "help", "taimako"),               # a letter too many
    ("REJOINDE paix", "join", "rejoindre"),
    ("haaru", "report", "baaru"),                  # BAARU or HABRU: one meaning, so no doubt
])
def test_one_typo_is_forgiven_in_long_keywords(seeded_keywords, text, action, word):
    found = keywords.match(text)
    assert found is not None and found.action == action and found.typo, found
    assert keywords.match(text, typos=False) is None
    if word != "baaru":
        assert found.word == word


@pytest.mark.parametrize("text", [
    "FUNN",                     # FUN is too short to forgive a typo
    "KAYY",
    "lamar DLG04",              # LABAR (report) or LƏMAR (register): no guess
    "RAJSTA don Allah ina son in shiga",   # a long message is feedback
    "Labari mai dadi daga kauyenmu",        # Hausa news, not a misspelt Kanuri LABAR
    "RAJSTA DLG04 DLG02",
    "TAIMAKO yan bindiga sun shigo kauyenmu da dare",   # a cry for help is feedback, to be flagged
])
def test_no_guess(seeded_keywords, text):
    assert keywords.match(text) is None


def test_exact_keyword_beats_a_typo_of_another():
    # FITA (Hausa, leave) is a keyword itself, one edit from nothing longer of another meaning.
    words = [(keywords.fold(w), a, g) for w, _l, a, g in KEYWORDS]
    assert ("fita", "leave", None) in words


def test_seeded_keywords_are_never_one_typo_apart():
    """A typo of one keyword must never be another keyword of a different meaning."""
    words = [(keywords.fold(w), a, g) for w, _l, a, g in KEYWORDS]
    assert len({w for w, *_ in words}) == len(words), "a keyword twice"
    assert keywords.typo_conflicts(words, distance=1) == []


def test_keywords_two_typos_apart_are_never_guessed(seeded_keywords):
    """LABAR (report) and LƏMAR (register) are two edits apart: LAMAR is one from each."""
    words = [(keywords.fold(w), a, g) for w, _l, a, g in KEYWORDS]
    pairs = keywords.typo_conflicts(words, distance=2)
    assert ("labar", "lemar") in pairs
    for first, second in pairs:
        for between in _one_edit_from_both(first, second):
            assert keywords.match(between) is None, (first, second, between)


def test_an_admin_keyword_close_to_another_meaning_disables_the_guess(seeded_keywords):
    assert keywords.match("RAJSTA DLG04").action == "register"
    db.session.add(Keyword(word="rajsto", language="hau", action="report"))
    db.session.commit()
    assert keywords.match("RAJSTA DLG04") is None        # rajista or rajsto: no guess
    assert keywords.match("RAJSTO").action == "report"   # exact


def _one_edit_from_both(first: str, second: str) -> list[str]:
    """Strings one substitution, insertion or deletion from ``first`` that are also one edit
    from ``second``."""
    from rapidfuzz.distance import DamerauLevenshtein
    letters = set(first + second)
    edits = {first[:i] + first[i + 1:] for i in range(len(first))}
    edits |= {first[:i] + c + first[i + 1:] for i in range(len(first)) for c in letters}
    edits |= {first[:i] + c + first[i:] for i in range(len(first) + 1) for c in letters}
    return sorted(e for e in edits if e not in (first, second) and DamerauLevenshtein.distance(e, second) == 1)
