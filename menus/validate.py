"""Checking journeys before they run: targets, actions, texts, placeholders, length, encoding.

Used at start-up (an invalid journey stops the app) and by `flask --app wsgi menus check`.
Screens are measured with the real layout code, with every `{parameter}` at its longest
(PARAM_MAX) and the longest list label (LABEL_MAX), in every language a phone may be set to,
French standing in where a language has no text (what the phone would show).
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from sqlalchemy.exc import SQLAlchemyError

from gateway.extensions import db
from menus.actions import ACTION_ARGS, ACTION_TARGETS, ACTIONS
from menus.engine import ENGINE_KEYS, INVALID_KEY, MORE_KEY, NAV_KEY
from menus.model import ENTRY_SCREENS, SCREEN_TYPES, Menus, Screen
from menus.screens import LABEL_MAX, MAX_SCREEN, MORE, layout, numbered
from menus.sources import PARAM_MAX, PARAM_TEXT_KEYS, PARAMS, SOURCES, _areas
from menus.texts import COMPLETE, FALLBACK, PARTIAL, USSD_LANGUAGES, Texts, placeholders, to_screen, unshowable

# Journeys every partial language must have (the minimum): the rest may fall back.
PARTIAL_JOURNEYS = ("main", "report")


@dataclass
class Findings:
    """What `validate` found: errors stop start-up, warnings are for translators and authors."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    screens_measured: int = 0


def targets(screen: Screen) -> list[str]:
    """Every screen this one can lead to."""
    out = [t for t in (screen.next, screen.empty) if t]
    out.extend(o.next for o in screen.options if o.next)
    actions = [screen.action] + [o.action for o in screen.options]
    for action in actions:
        out.extend(ACTION_TARGETS.get(action or "", ()))
    return out


def keys_of(screen: Screen) -> list[str]:
    """Catalog keys a screen shows."""
    keys = [screen.text] if screen.text else []
    keys.extend(o.label for o in screen.options if o.label)
    keys.extend(PARAM_TEXT_KEYS.get(screen.params or "", ()))
    return keys


def validate(menus: Menus, texts: Texts) -> Findings:
    """Check `menus` against the catalogs in `texts`."""
    found = Findings()
    for screen in menus.screens.values():
        _check_structure(menus, screen, found.errors)
    for entry in ENTRY_SCREENS:
        if entry not in menus.screens:
            found.errors.append(f"the engine needs a screen {entry!r}")
    _check_reachability(menus, found)
    _check_texts(menus, texts, found)
    if not found.errors:
        _check_lengths(menus, texts, found)
    return found


def _check_structure(menus: Menus, screen: Screen, errors: list[str]) -> None:
    where = f"screen {screen.id!r} ({menus.journeys[screen.journey].source})"
    if screen.type not in SCREEN_TYPES:
        errors.append(f"{where}: type must be one of {', '.join(SCREEN_TYPES)}")
        return
    if not isinstance(screen.text, str) or not screen.text:
        errors.append(f"{where}: `text` (a catalog key) is required")
    if screen.params and screen.params not in PARAMS:
        errors.append(f"{where}: unknown params provider {screen.params!r}")

    def check_target(target, what):
        if target not in menus.screens:
            errors.append(f"{where}: {what} {target!r} does not exist")

    def check_action(action, args, what):
        if action not in ACTIONS:
            errors.append(f"{where}: {what} uses unknown action {action!r}")
            return
        allowed = ACTION_ARGS.get(action, {})
        for name, value in args.items():
            if name not in allowed:
                errors.append(f"{where}: action {action!r} takes no argument {name!r}")
            elif value not in allowed[name]:
                errors.append(f"{where}: action {action!r} argument {name}={value!r} is not allowed")
        for name in set(allowed) - set(args):
            errors.append(f"{where}: action {action!r} needs argument {name!r}")
        for target in ACTION_TARGETS.get(action, ()):
            check_target(target, f"action {action!r} target")

    if screen.type == "menu":
        for i, option in enumerate(screen.options, start=1):
            if bool(option.label) == bool(option.literal):
                errors.append(f"{where}: option {i} needs exactly one of `label` or `literal`")
            if bool(option.next) == bool(option.action):
                errors.append(f"{where}: option {i} needs exactly one of `next` or `action`")
            if option.next:
                check_target(option.next, f"option {i} next")
            if option.action:
                check_action(option.action, option.args, f"option {i}")
    elif screen.options:
        errors.append(f"{where}: only menus have options")
    if screen.type == "list":
        if screen.source not in SOURCES:
            errors.append(f"{where}: unknown list source {screen.source!r}")
        if not screen.store:
            errors.append(f"{where}: a list needs `store`")
        if bool(screen.next) == bool(screen.action):
            errors.append(f"{where}: a list needs exactly one of `next` or `action`")
        if screen.empty:
            check_target(screen.empty, "empty")
    if screen.type == "input":
        if not screen.store:
            errors.append(f"{where}: an input needs `store`")
        if not screen.next:
            errors.append(f"{where}: an input needs `next`")
    if screen.type in ("list", "input"):
        if screen.next:
            check_target(screen.next, "next")
        if screen.action:
            check_action(screen.action, screen.args, "the list")
    if screen.type == "end" and (screen.next or screen.action or screen.source):
        errors.append(f"{where}: an end screen leads nowhere")


def _check_reachability(menus: Menus, found: Findings) -> None:
    seen, todo = set(), deque(s for s in ENTRY_SCREENS if s in menus.screens)
    while todo:
        current = todo.popleft()
        if current in seen:
            continue
        seen.add(current)
        todo.extend(t for t in targets(menus.screens[current]) if t in menus.screens)
    for screen_id in menus.screens:
        if screen_id not in seen:
            found.warnings.append(f"screen {screen_id!r} cannot be reached")


def required_keys(menus: Menus) -> dict[str, set[str]]:
    """{language: keys it must have}: complete languages everything, partial ones the minimum."""
    every, minimum = set(ENGINE_KEYS), set(ENGINE_KEYS)
    for screen in menus.screens.values():
        every.update(keys_of(screen))
        if screen.journey in PARTIAL_JOURNEYS:
            minimum.update(keys_of(screen))
    needs = {lang: set(every) for lang in COMPLETE}
    needs.update({lang: set(minimum) for lang in PARTIAL})
    return needs


def _check_texts(menus: Menus, texts: Texts, found: Findings) -> None:
    needs = required_keys(menus)
    used = needs[FALLBACK]
    for language, keys in needs.items():
        for key in sorted(keys):
            if not texts.has(key, language):
                found.errors.append(f"text {key!r} is missing in {language}")
    for language in USSD_LANGUAGES:
        for key, entry in texts.table(language).items():
            if key not in used:
                found.warnings.append(f"text {key!r} ({language}) is not used by any journey")
                continue
            bad = unshowable(entry.text)
            if bad:
                found.errors.append(f"text {key!r} ({language}) has characters no USSD screen can show: "
                                    f"{' '.join(bad)}")
            names = placeholders(entry.text)
            unknown = names - set(PARAM_MAX)
            if unknown:
                found.errors.append(f"text {key!r} ({language}) uses unknown parameter(s) {', '.join(sorted(unknown))}")
            if language != FALLBACK and texts.has(key, FALLBACK):
                extra = names - placeholders(texts.raw(key, FALLBACK)[0])
                if extra:
                    found.errors.append(f"text {key!r} ({language}) uses {', '.join(sorted(extra))} "
                                        f"which the French text does not")


def _longest_params(text: str) -> dict:
    return {name: "W" * PARAM_MAX.get(name, 30) for name in placeholders(text)}


def measure(menus: Menus, texts: Texts, screen: Screen, language: str, with_error: bool = False) -> int:
    """Characters the screen needs at worst, before any cutting (what must stay ≤ 160)."""
    raw_header = texts.raw(screen.text, language)[0]
    header = texts.format(screen.text, language, _longest_params(raw_header))
    if screen.type == "end":
        return len(header)
    if with_error:
        header = texts.get(INVALID_KEY, language) + "\n" + header
    nav = 0 if screen.id == "main" else len(texts.get(NAV_KEY, language)) + 1
    if screen.type == "input":
        return len(header) + nav
    if screen.type == "menu":
        labels = [o.literal or texts.get(o.label, language) for o in screen.options]
        return len(header) + sum(len(line) + 1 for line in numbered(labels)) + nav
    more = len(f"{MORE}. {texts.get(MORE_KEY, language)}") + 1
    return len(header) + len(f"97. {'W' * LABEL_MAX}") + 1 + more + nav


def _check_lengths(menus: Menus, texts: Texts, found: Findings) -> None:
    for screen in menus.screens.values():
        for language in USSD_LANGUAGES:
            found.screens_measured += 1
            size = measure(menus, texts, screen, language)
            if size > MAX_SCREEN:
                found.errors.append(f"screen {screen.id!r} in {language} needs {size} characters "
                                    f"at worst (limit {MAX_SCREEN})")
            elif screen.type == "menu" and measure(menus, texts, screen, language, with_error=True) > MAX_SCREEN:
                found.warnings.append(f"screen {screen.id!r} in {language} overflows to a second page "
                                      f"after an invalid choice")


class _ListContext:
    """Just enough of a hop's context for a list source: a language and a region."""

    def __init__(self, texts: Texts, language: str, region: str | None):
        self.texts, self.language, self.contact, self.state = texts, language, None, {}
        self.data = {"adm1": region} if region else {}


def check_lists(menus: Menus, texts: Texts) -> tuple[int, list[str]]:
    """Lay out every dynamic list from the database in every language; (pages checked, errors).

    Needs an app context. Without reference data (or without tables) nothing is checked.
    """
    try:
        regions = _areas()["regions"]
    except SQLAlchemyError:
        db.session.rollback()
        return 0, []
    pages, errors = 0, []
    for screen in (s for s in menus.screens.values() if s.type == "list"):
        per_region = screen.source in ("departments", "activities")
        for language in USSD_LANGUAGES:
            header = texts.get(screen.text, language)
            for region in (regions if per_region else [None]):
                items = SOURCES[screen.source](_ListContext(texts, language, region))
                lines = numbered([i.label for i in items])
                nav = texts.get(NAV_KEY, language)
                first = layout(header, lines, more_label=texts.get(MORE_KEY, language), nav=nav)
                for page in range(first.pages):
                    text = layout(header, lines, more_label=texts.get(MORE_KEY, language), nav=nav, page=page).text
                    pages += 1
                    where = f"list {screen.id!r} ({language}{', ' + region if region else ''}) page {page + 1}"
                    if len(text) > MAX_SCREEN:
                        errors.append(f"{where} has {len(text)} characters")
                    if to_screen(text) != text:
                        errors.append(f"{where} is not plain GSM-7")
                    if not text.startswith(header):
                        errors.append(f"{where} had to cut its title")
    return pages, errors
