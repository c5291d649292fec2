"""SMS keywords: the first word (or first two) of a message, in any supported language.

Matching is case-, accent- and hook-insensitive (SIGNALER = signaler = Signalér, ƊAINA = daina)
because feature phones and their owners type all of these. One typo is forgiven in keywords of
TYPO_MIN_LENGTH letters or more (RAJSTA, INSCIRE, ARRTE: Damerau-Levenshtein distance 1 — a
letter wrong, missing or extra, or two letters swapped), only in messages of a keyword and its
argument, and never when the typed word is that close to two keywords that mean different
things. Keywords are rows of the `keywords` table (admins edit them); defaults come
from `rules_seed`. A message that starts with no keyword is free-text feedback.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from rapidfuzz.distance import DamerauLevenshtein
from sqlalchemy import select

from gateway.extensions import db
from gateway.models import Keyword

# Stop and restart must be deliberate: they match only short messages ("STOP", "STOP ALL",
# "arret svp"), so a Zarma sentence that happens to start with "kay" stays feedback. Help too:
# "TAIMAKO, yan bindiga sun shigo kauye" is a cry for help that must be flagged, not answered
# with the list of keywords.
SHORT_ACTIONS = {"stop": 3, "restart": 3, "help": 3}

#: Keywords this long (folded) forgive one typo; shorter ones (KAY, FUN, STOP) are too close to
#: ordinary words.
TYPO_MIN_LENGTH = 5
#: A typo is forgiven only in messages of at most this many words: the keyword and its argument
#: ("RAJSTA DLG04", "LANGE hausa", "ARRTE SVP"). A longer message is feedback, which is safe
#: (acknowledged, flagged): "Labari mai dadi" is Hausa news, not a misspelt Kanuri LABAR report.
TYPO_MAX_WORDS = 2

_LETTERS = str.maketrans({"ɓ": "b", "ɗ": "d", "ƙ": "k", "ƴ": "y", "ŋ": "n", "ɲ": "ny", "ɛ": "e",
                          "ɔ": "o", "ə": "e", "ǝ": "e", "ß": "ss", "œ": "oe", "æ": "ae", "ɣ": "gh",
                          "’": " ", "ʼ": " ", "‘": " ", "'": " ", "`": " "})
_PUNCT = re.compile(r"[^\w\s*]+")
_SPACES = re.compile(r"\s+")

# Names people type after LANGUE / HARSHE / … , folded, → ISO 639-3.
LANGUAGE_NAMES = {
    "fra": "fra", "fr": "fra", "francais": "fra", "french": "fra", "faransanci": "fra", "faransi": "fra",
    "hau": "hau", "ha": "hau", "hausa": "hau", "haoussa": "hau", "hawsa": "hau",
    "dje": "dje", "zarma": "dje", "djerma": "dje", "zarmaciine": "dje", "zarmanci": "dje",
    "fuv": "fuv", "ful": "fuv", "fulfulde": "fuv", "peul": "fuv", "fulani": "fuv", "fillanci": "fuv",
    "knc": "knc", "kanuri": "knc", "kanouri": "knc", "beriberi": "knc",
    "taq": "taq", "tamasheq": "taq", "tamajaq": "taq", "tamachek": "taq", "touareg": "taq",
    "arb": "arb", "ar": "arb", "arabe": "arb", "arabic": "arb", "larabci": "arb", "laarabu": "arb", "العربية": "arb",
    "عربي": "arb",
}


def fold(text: str) -> str:
    """Lowercase, no accents or hooks, apostrophes and punctuation as spaces, single spaces."""
    text = unicodedata.normalize("NFKD", (text or "").lower().translate(_LETTERS))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _PUNCT.sub(" ", text.translate(_LETTERS))
    return _SPACES.sub(" ", text).strip()


@dataclass
class KeywordMatch:
    """What a message asks for: `action`, the keyword's language, its argument, the rest."""

    action: str
    language: str
    word: str
    argument: str | None     # the second word, or the keyword row's fixed argument
    rest: str                # the original text after the keyword (report text)
    typo: bool = False       # matched with one typo forgiven: says nothing of the language


def _split_original(text: str, words: int) -> str:
    """The original text after its first `words` words (keeps accents for the report)."""
    parts = (text or "").strip().split(None, words)
    return parts[words].strip() if len(parts) > words else ""


def match(text: str, typos: bool = True) -> KeywordMatch | None:
    """The keyword a message starts with, or None for free text; ``typos=False`` matches exactly."""
    folded = fold(text).replace("*", " ").split()
    if not folded:
        return None
    candidates = [" ".join(folded[:2])] if len(folded) >= 2 else []
    candidates.append(folded[0])
    rows = {k.word: k for k in db.session.scalars(
        select(Keyword).where(Keyword.word.in_(candidates), Keyword.active.is_(True)))}
    for word in candidates:   # two-word keywords (KAI RAHOTO) win over one-word ones
        row = rows.get(word)
        if row is not None:
            return _matched(row, text, folded)
    if typos:
        row = _typo_of(folded)
        if row is not None:
            return _matched(row, text, folded, typo=True)
    return None


def _matched(row: Keyword, text: str, folded: list[str], typo: bool = False) -> KeywordMatch | None:
    """The match for keyword ``row`` at the start of ``folded``; None when the action wants a
    short message and this one is long."""
    n_words = len(row.word.split())
    limit = SHORT_ACTIONS.get(row.action)
    if limit is not None and len(folded) > limit:
        return None
    argument = row.argument or (folded[n_words] if len(folded) > n_words else None)
    return KeywordMatch(row.action, row.language, row.word, argument, _split_original(text, n_words), typo)


def _typo_of(folded: list[str]) -> Keyword | None:
    """The one keyword of TYPO_MIN_LENGTH letters or more that the first word misspells by one
    edit, or None (no such keyword, a long message, or keywords of different meanings as close)."""
    first = folded[0]
    if len(first) < TYPO_MIN_LENGTH - 1:
        return None
    close = [row for row in db.session.scalars(select(Keyword).where(Keyword.active.is_(True)))
             if " " not in row.word and abs(len(row.word) - len(first)) <= 1
             and DamerauLevenshtein.distance(first, row.word, score_cutoff=1) <= 1]
    # A short keyword this close counts too: between KAY-like words and a long one, no guess.
    # The same action in two languages (LANGUE, LANGUAGE) is one meaning.
    if not close or len({(row.action, row.argument) for row in close}) > 1 or len(folded) > TYPO_MAX_WORDS:
        return None
    return next((row for row in close if len(row.word) >= TYPO_MIN_LENGTH), None)


def typo_conflicts(words: list[tuple[str, str, str | None]], distance: int = 1) -> list[tuple[str, str]]:
    """Pairs of one-word keywords (folded word, action, argument) of different meanings, one of
    them typo-tolerant, at most ``distance`` edits apart. At distance 1 a typo of one *is* the
    other; at 2 one typo may sit between them (the matcher then guesses neither)."""
    single = [w for w in words if " " not in w[0]]
    conflicts = []
    for i, (word, *meaning) in enumerate(single):
        for other, *other_meaning in single[i + 1:]:
            if meaning == other_meaning or max(len(word), len(other)) < TYPO_MIN_LENGTH:
                continue
            if DamerauLevenshtein.distance(word, other, score_cutoff=distance) <= distance:
                conflicts.append((word, other))
    return conflicts


def language_from_name(name: str | None) -> str | None:
    """ISO 639-3 code for a typed language name or code (`hausa`, `HAU`, `Français`), or None."""
    if not name:
        return None
    return LANGUAGE_NAMES.get(fold(name))
