"""SMS keywords: the first word (or first two) of a message, in any supported language.

Matching is case-, accent- and hook-insensitive (SIGNALER = signaler = Signalér, ƊAINA = daina)
because feature phones and their owners type all of these. Keywords are rows of the `keywords`
table (admins edit them); defaults come from `rules_seed`. A message that starts with no
keyword is free-text feedback.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import select

from gateway.extensions import db
from gateway.models import Keyword

# Stop and restart must be deliberate: they match only short messages ("STOP", "STOP ALL",
# "arret svp"), so a Zarma sentence that happens to start with "kay" stays feedback.
SHORT_ACTIONS = {"stop": 3, "restart": 3}

_LETTERS = str.maketrans({"ɓ": "b", "ɗ": "d", "ƙ": "k", "ƴ": "y", "ŋ": "n", "ɲ": "ny", "ɛ": "e",
                          "ɔ": "o", "ə": "e", "ǝ": "e", "ß": "ss", "œ": "oe", "æ": "ae",
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
    "arb": "arb", "ar": "arb", "arabe": "arb", "arabic": "arb", "larabci": "arb", "العربية": "arb",
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


def _split_original(text: str, words: int) -> str:
    """The original text after its first `words` words (keeps accents for the report)."""
    parts = (text or "").strip().split(None, words)
    return parts[words].strip() if len(parts) > words else ""


def match(text: str) -> KeywordMatch | None:
    """The keyword a message starts with, or None for free text."""
    folded = fold(text).replace("*", " ").split()
    if not folded:
        return None
    candidates = [" ".join(folded[:2])] if len(folded) >= 2 else []
    candidates.append(folded[0])
    rows = {k.word: k for k in db.session.scalars(
        select(Keyword).where(Keyword.word.in_(candidates), Keyword.active.is_(True)))}
    for word in candidates:   # two-word keywords (KAI RAHOTO) win over one-word ones
        row = rows.get(word)
        if row is None:
            continue
        n_words = len(word.split())
        limit = SHORT_ACTIONS.get(row.action)
        if limit is not None and len(folded) > limit:
            return None
        argument = row.argument or (folded[n_words] if len(folded) > n_words else None)
        return KeywordMatch(row.action, row.language, row.word, argument, _split_original(text, n_words))
    return None


def language_from_name(name: str | None) -> str | None:
    """ISO 639-3 code for a typed language name or code (`hausa`, `HAU`, `Français`), or None."""
    if not name:
        return None
    return LANGUAGE_NAMES.get(fold(name))
