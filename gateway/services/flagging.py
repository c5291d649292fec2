"""Flagging, as CasePro does: admin-editable rules label inbound text and open or update a
hotline ticket with a priority.

A rule (`flag_rules` row) has terms in one language (or every language): each term matches on
word boundaries of the folded text (lowercase, no accents/hooks, apostrophes as spaces), `*`
stands for any letters (stems: `enlev*`), several words form a phrase. The most urgent match
gives the category and priority; a sensitive category (gender-based violence, abuse by staff)
wins so the ticket is shown only to designated roles. Someone whose messages are flagged again
and again within a day gets a higher priority (repeat sender).
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select

from gateway.extensions import db
from gateway.models import Category, Contact, FlagRule, Message, Ticket, utcnow
from gateway.services.keywords import fold
from gateway.services.ticket_intake import open_ticket

REPEAT_WINDOW = timedelta(hours=24)
REPEAT_THRESHOLD = 2        # earlier flagged messages in the window that make a repeat sender


@functools.lru_cache(maxsize=4096)
def compile_term(term: str) -> re.Pattern:
    """A term as a regex over folded text: words on boundaries, `*` = any letters."""
    words = fold(term).split()
    parts = [r"\w*".join(re.escape(piece) for piece in word.split("*")) for word in words]
    return re.compile(r"(?<!\w)" + r"\s+".join(parts) + r"(?!\w)")


@dataclass
class FlagResult:
    """Which rules matched, and what they say together."""

    labels: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    flagged: bool = False
    priority: int | None = None
    category_code: str | None = None


def active_rules(languages: set[str] | None = None) -> list[FlagRule]:
    """Active rules for these languages (plus every-language rules); all when `languages` is None."""
    stmt = select(FlagRule).where(FlagRule.active.is_(True))
    if languages:
        stmt = stmt.where((FlagRule.language.is_(None)) | (FlagRule.language.in_(sorted(languages))))
    return list(db.session.scalars(stmt.order_by(FlagRule.priority, FlagRule.id)))


def evaluate(text: str, languages: set[str] | None = None, rules: list[FlagRule] | None = None) -> FlagResult:
    """Match `text` against the rules; no side effects."""
    folded = fold(text)
    result = FlagResult()
    if not folded:
        return result
    sensitive = set(db.session.scalars(select(Category.code).where(Category.sensitive.is_(True))))
    best = None
    for rule in rules if rules is not None else active_rules(languages):
        if not any(compile_term(term).search(folded) for term in rule.terms or [] if term.strip()):
            continue
        result.rules.append(rule.name)
        if rule.label not in result.labels:
            result.labels.append(rule.label)
        if rule.flag:
            result.flagged = True
            rank = (rule.category_code not in sensitive, rule.priority)
            if best is None or rank < best[0]:
                best = (rank, rule)
    if best is not None:
        result.priority = best[1].priority
        result.category_code = best[1].category_code
    return result


def repeat_sender(contact: Contact, message: Message) -> bool:
    """True when the contact had REPEAT_THRESHOLD flagged messages in the last REPEAT_WINDOW."""
    since = utcnow() - REPEAT_WINDOW
    count = db.session.scalar(select(func.count()).select_from(Message).where(
        Message.contact_id == contact.id, Message.direction == "in", Message.flagged.is_(True),
        Message.id != message.id, Message.created_at >= since)) or 0
    return count >= REPEAT_THRESHOLD


def flag_message(message: Message, contact: Contact | None, languages: set[str] | None = None,
                 text: str | None = None) -> tuple[FlagResult, Ticket | None]:
    """Label `message` and, when a rule flags it, open or update the contact's ticket. No commit."""
    result = evaluate(text if text is not None else (message.text or ""), languages)
    if not result.labels:
        return result, None
    message.labels = sorted(set(message.labels or []) | set(result.labels))
    if not result.flagged:
        return result, None
    message.flagged = True
    priority = result.priority or 2
    labels = list(result.labels)
    if contact is not None and repeat_sender(contact, message):
        labels.append("repeat_sender")
        priority = max(1, priority - 1)
        message.labels = sorted(set(message.labels) | {"repeat_sender"})
    reference = (message.extra or {}).get("reference") or f"M{message.id}"
    ticket = open_ticket("flagged_message", contact_id=contact.id if contact else None, message=message,
                         priority=priority, labels=labels, category_code=result.category_code,
                         language=message.language, summary=f"{reference} {' '.join(labels)}")
    return result, ticket
