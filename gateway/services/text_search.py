"""Search over what people wrote (SMS bodies, report text): the one place that knows how.

Every console search over text goes through `message_matches` / `report_matches`, so the day
message bodies are encrypted at rest (a blind index of folded words, or a decrypted recent
window) only this module changes. Today the text is stored in the clear and a search is a
case-insensitive substring match of every word typed (all must appear, in any order), tried as
typed and folded (`securite` finds "sécurité" where the database folds case, as PostgreSQL does).
"""
from __future__ import annotations

from sqlalchemy import and_, func, or_

from gateway.models import Message, Report
from gateway.services.keywords import fold

MAX_WORDS = 8
MIN_LENGTH = 2


def words(query: str | None) -> list[str]:
    """The words of a search, lowercased, at most MAX_WORDS, none shorter than MIN_LENGTH."""
    found = [w for w in (query or "").lower().split() if len(w) >= MIN_LENGTH]
    return list(dict.fromkeys(found))[:MAX_WORDS]


def _escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _matches(column, query: str | None):
    """A condition: `column` contains every word of `query` (as typed or folded); None if no word."""
    terms = words(query)
    if not terms:
        return None
    lowered = func.lower(column)
    conditions = []
    for word in terms:
        forms = {word, fold(word)} - {""}
        conditions.append(or_(*(lowered.like(f"%{_escape(form)}%", escape="\\") for form in forms)))
    return and_(*conditions)


def message_matches(query: str | None):
    """A WHERE condition over Message: its text has every word of `query` (None: no usable word)."""
    return _matches(Message.text, query)


def report_matches(query: str | None):
    """A WHERE condition over Report: its free text has every word of `query` (None: no usable word)."""
    return _matches(Report.text, query)
