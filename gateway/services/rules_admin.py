"""Staff edit the SMS keywords and flag rules themselves, in every language, and try a message
against them before the villages do.

Both take effect at once: the keyword matcher and the flagger read their tables on every
message. A rule is never deleted, only disabled, so the audit log can always say what matched.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import func, select

from gateway.extensions import db
from gateway.i18n import FALLBACK, LANGUAGES
from gateway.models import Activity, Category, FlagRule, Keyword, Topic
from gateway.services import audit, flagging, keywords, language
from gateway.services.sms_conversation import HANDLERS

# What a keyword can ask for: every SMS handler but free-text feedback (no keyword at all).
ACTIONS = tuple(a for a in HANDLERS if a != "feedback")
MAX_TERMS = 200
MAX_TERM = 80
_LABEL = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,39}$")
PRIORITIES = (1, 2, 3)


class RuleError(ValueError):
    """A keyword or flag rule that cannot be saved; `code` names what is wrong for screens that
    word it themselves, `details` what they need to."""

    def __init__(self, message: str, code: str, **details):
        super().__init__(message)
        self.code, self.details = code, details


# ---------------------------------------------------------------- keywords

def keywords_list(language_code: str | None = None) -> list[Keyword]:
    """Keywords (active and not), by language, action and word."""
    stmt = select(Keyword)
    if language_code:
        stmt = stmt.where(Keyword.language == language_code)
    return list(db.session.scalars(stmt.order_by(Keyword.language, Keyword.action, Keyword.word)))


def _check_argument(action: str, argument: str | None) -> str | None:
    argument = (argument or "").strip() or None
    if argument is None:
        return None
    if action in ("join", "leave"):
        if db.session.scalar(select(Topic.id).where(Topic.code == argument.lower())) is None:
            raise RuleError(f"no topic {argument!r}", "unknown_topic", value=argument)
        return argument.lower()
    if action == "register":
        if db.session.scalar(select(Activity.id).where(func.upper(Activity.code) == argument.upper())) is None:
            raise RuleError(f"no activity {argument!r}", "unknown_activity", value=argument)
        return argument.upper()
    if action == "language":
        chosen = keywords.language_from_name(argument)
        if chosen is None:
            raise RuleError(f"no language {argument!r}", "unknown_language", value=argument)
        return chosen
    raise RuleError(f"the {action} keyword takes no fixed argument", "no_argument")


def save_keyword(actor: str, *, word: str, language_code: str, action: str, argument: str | None = None,
                 active: bool = True, keyword: Keyword | None = None) -> tuple[Keyword, list[tuple[str, str]]]:
    """Create or update a keyword; returns it and the keywords of another meaning one typo away
    (both still match exactly; a typo between them is then never guessed)."""
    folded = keywords.fold(word).replace("*", "")
    if not folded or len(folded) > 40 or len(folded.split()) > 2:
        raise RuleError("a keyword is one or two words, at most 40 letters", "bad_word")
    if language_code not in LANGUAGES:
        raise RuleError(f"language must be one of {', '.join(LANGUAGES)}", "unknown_language", value=language_code)
    if action not in ACTIONS:
        raise RuleError(f"action must be one of {', '.join(ACTIONS)}", "unknown_action", value=action)
    argument = _check_argument(action, argument)
    clash = db.session.scalar(select(Keyword).where(Keyword.word == folded))
    if clash is not None and clash is not keyword:
        raise RuleError(f"{folded!r} is already a keyword ({clash.action}, {clash.language})", "duplicate",
                        word=folded, action=clash.action, language=clash.language)
    created = keyword is None
    keyword = keyword or Keyword()
    before = {"word": keyword.word, "language": keyword.language, "does": keyword.action,
              "argument": keyword.argument, "active": keyword.active}
    keyword.word, keyword.language, keyword.action = folded, language_code, action
    keyword.argument, keyword.active = argument, active
    db.session.add(keyword)
    db.session.flush()
    after = {"word": folded, "language": language_code, "does": action, "argument": argument, "active": active}
    audit.record(actor, "keyword.create" if created else "keyword.update", "keyword", keyword.id,
                 **(after if created else {"before": before, "after": after}))
    db.session.commit()
    return keyword, close_keywords(keyword)


def close_keywords(keyword: Keyword) -> list[tuple[str, str]]:
    """Active keywords of another meaning one typo from `keyword`: [(word, action)]."""
    others = [(k.word, k.action, k.argument) for k in db.session.scalars(
        select(Keyword).where(Keyword.active.is_(True), Keyword.id != keyword.id))]
    mine = (keyword.word, keyword.action, keyword.argument)
    meaning = {w: a for w, a, _ in others}
    pairs = keywords.typo_conflicts([mine, *others], distance=1)
    return [(other, meaning[other]) for first, second in pairs if keyword.word in (first, second)
            for other in [second if first == keyword.word else first]]


# ---------------------------------------------------------------- flag rules

def flag_rules(language_code: str | None = None) -> list[FlagRule]:
    """Flag rules (active and not): every-language ones first, then by language and priority."""
    stmt = select(FlagRule)
    if language_code:
        stmt = stmt.where(FlagRule.language == language_code)
    rules = list(db.session.scalars(stmt.order_by(FlagRule.priority, FlagRule.name)))
    return sorted(rules, key=lambda r: (r.language is not None, r.language or "", r.priority, r.name))


def parse_terms(text: str) -> list[str]:
    """Terms from a box, one per line (or separated by commas), as typed, without repeats."""
    found = [t.strip() for line in (text or "").splitlines() for t in line.split(",")]
    return list(dict.fromkeys(t for t in found if t))


def save_flag_rule(actor: str, *, name: str, language_code: str | None, terms: list[str], label: str,
                   category: str | None, priority: int, flag: bool = True, active: bool = True,
                   rule: FlagRule | None = None) -> FlagRule:
    """Create or update a flag rule; audited with what it was and what it is."""
    name = " ".join((name or "").split())
    if not name or len(name) > 80:
        raise RuleError("a rule's name has 1 to 80 characters", "bad_name")
    if language_code is not None and language_code not in LANGUAGES:
        raise RuleError(f"language must be one of {', '.join(LANGUAGES)}", "unknown_language", value=language_code)
    terms = [t for t in terms if t.strip()]
    if not terms:
        raise RuleError("give at least one term", "no_terms")
    if len(terms) > MAX_TERMS:
        raise RuleError(f"at most {MAX_TERMS} terms", "too_many_terms", limit=MAX_TERMS)
    for term in terms:
        if len(term) > MAX_TERM or not keywords.fold(term).replace("*", ""):
            raise RuleError(f"term {term!r}: at most {MAX_TERM} characters, with letters", "bad_term", value=term)
    label = (label or "").strip().lower().replace(" ", "_")
    if not _LABEL.match(label):
        raise RuleError("a label has 1 to 40 lowercase letters, digits, _ or -", "bad_label")
    if category and db.session.get(Category, category) is None:
        raise RuleError(f"no category {category!r}", "unknown_category", value=category)
    if priority not in PRIORITIES:
        raise RuleError("priority must be 1 (high), 2 or 3 (low)", "bad_priority")
    clash = db.session.scalar(select(FlagRule).where(FlagRule.name == name))
    if clash is not None and clash is not rule:
        raise RuleError(f"a rule named {name!r} exists", "duplicate", name=name)
    created = rule is None
    rule = rule or FlagRule()
    before = _rule_state(rule)
    rule.name, rule.language, rule.terms, rule.label = name, language_code, terms, label
    rule.category_code, rule.priority, rule.flag, rule.active = category or None, priority, flag, active
    db.session.add(rule)
    db.session.flush()
    audit.record(actor, "flag_rule.create" if created else "flag_rule.update", "flag_rule", rule.id,
                 **(_rule_state(rule) if created else {"before": before, "after": _rule_state(rule)}))
    db.session.commit()
    return rule


def _rule_state(rule: FlagRule) -> dict:
    return {"name": rule.name, "language": rule.language, "terms": list(rule.terms or []), "label": rule.label,
            "category": rule.category_code, "priority": rule.priority, "flag": rule.flag, "active": rule.active}


# ---------------------------------------------------------------- trying a message

@dataclass
class Trial:
    """What the gateway would make of one SMS: a keyword, or feedback and the rules it matches."""

    text: str
    keyword: keywords.KeywordMatch | None
    languages: list[str]                    # the languages whose rules were applied
    detected: language.Detection | None     # when no language was given
    flags: flagging.FlagResult
    matched_terms: dict[str, list[str]] = field(default_factory=dict)   # rule name -> its terms that matched
    rules: dict[str, FlagRule] = field(default_factory=dict)


def try_message(text: str, language_code: str | None = None) -> Trial:
    """Run `text` through the keyword matcher and the flag rules of `language_code` (detected
    when None, as for an SMS from someone we know nothing of). Changes nothing."""
    text = (text or "")[:1000]
    match = keywords.match(text)
    detected = None
    if language_code is None:
        # As for a first SMS: the default language's rules, and those of the language detected.
        detected = language.detect(text)
        chosen = {FALLBACK} | ({detected.language} if detected.language else set())
    else:
        chosen = {language_code}
    flags = flagging.evaluate(text, chosen)
    folded = keywords.fold(text)
    rules = {r.name: r for r in db.session.scalars(select(FlagRule).where(FlagRule.name.in_(flags.rules)))}
    matched = {name: [t for t in rule.terms or [] if t.strip() and flagging.compile_term(t).search(folded)]
               for name, rule in rules.items()}
    return Trial(text, match, sorted(chosen), detected, flags, matched, rules)
