"""Journeys as data: the YAML files under `menus/journeys/` read into plain objects.

A journey file names its journey, says whether a half-finished run is kept as a draft, and
lists screens by id. Screen ids are global (`report.category`), so `next` may point into
another journey. See menus/README.md for the format.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

JOURNEYS_DIR = Path(__file__).resolve().parent / "journeys"
SCREEN_TYPES = ("menu", "list", "input", "end")
# Screens the engine itself enters: first-dial language choice, the main menu, the resume offer.
ENTRY_SCREENS = ("language", "main", "resume")


class InvalidJourney(ValueError):
    """A journey file is malformed or refers to something that does not exist."""

    def __init__(self, errors: list[str]):
        super().__init__("invalid USSD journey: " + "; ".join(errors))
        self.errors = errors


@dataclass
class Option:
    """One numbered choice of a menu screen."""

    label: str | None = None          # catalog key
    literal: str | None = None        # shown as is (language names in the language menu)
    next: str | None = None
    action: str | None = None
    args: dict = field(default_factory=dict)
    set: dict = field(default_factory=dict)   # values stored in the session's data when chosen


@dataclass
class Screen:
    """A screen: a menu, a dynamic list, a free-text input or a closing (END) text."""

    id: str
    journey: str
    type: str
    text: str
    options: list[Option] = field(default_factory=list)
    source: str | None = None         # list: where the items come from (menus.sources)
    store: str | None = None          # list/input: the data field the answer goes to
    next: str | None = None
    action: str | None = None
    args: dict = field(default_factory=dict)
    empty: str | None = None          # list: where to go when the list is empty
    params: str | None = None         # a parameter provider filling `{names}` in `text`
    skip: str | None = None           # input: the answer meaning "nothing to add"
    max_length: int = 480             # input: longer answers are cut


@dataclass
class Journey:
    """A named group of screens; `draft` journeys survive a dropped session."""

    name: str
    draft: bool
    source: str
    screens: list[str] = field(default_factory=list)


@dataclass
class Menus:
    """Every journey and screen, as loaded (validate before use: `menus.validate`)."""

    journeys: dict[str, Journey] = field(default_factory=dict)
    screens: dict[str, Screen] = field(default_factory=dict)

    def journey_of(self, screen_id: str) -> Journey:
        """The journey a screen belongs to."""
        return self.journeys[self.screens[screen_id].journey]


_SCREEN_KEYS = {"type", "text", "options", "source", "store", "next", "action", "args", "empty",
                "params", "skip", "max_length"}
_OPTION_KEYS = {"label", "literal", "next", "action", "args", "set"}


def load(directory: Path = JOURNEYS_DIR) -> Menus:
    """Read every `*.yaml` journey under `directory`. Raises InvalidJourney on malformed files."""
    menus, errors = Menus(), []
    files = sorted(Path(directory).glob("*.yaml"))
    if not files:
        raise InvalidJourney([f"no journey files in {directory}"])
    for path in files:
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            errors.append(f"{path.name}: not valid YAML ({exc})")
            continue
        errors.extend(_read_journey(menus, path.name, doc))
    if errors:
        raise InvalidJourney(errors)
    return menus


def _read_journey(menus: Menus, filename: str, doc) -> list[str]:
    if not isinstance(doc, dict) or not isinstance(doc.get("journey"), str) \
            or not isinstance(doc.get("screens"), dict):
        return [f"{filename}: needs `journey: name` and a `screens:` mapping"]
    name = doc["journey"]
    if name in menus.journeys:
        return [f"{filename}: journey {name!r} is defined twice"]
    journey = Journey(name=name, draft=bool(doc.get("draft", False)), source=filename)
    menus.journeys[name] = journey
    errors = []
    for screen_id, spec in doc["screens"].items():
        where = f"{filename}: screen {screen_id!r}"
        if screen_id in menus.screens:
            errors.append(f"{where} is defined twice")
            continue
        if not isinstance(spec, dict):
            errors.append(f"{where} must be a mapping")
            continue
        unknown = set(spec) - _SCREEN_KEYS
        if unknown:
            errors.append(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        options = []
        for i, raw in enumerate(spec.get("options") or [], start=1):
            if not isinstance(raw, dict) or set(raw) - _OPTION_KEYS:
                errors.append(f"{where}: option {i} must be a mapping of {', '.join(sorted(_OPTION_KEYS))}")
                continue
            options.append(Option(label=raw.get("label"), literal=raw.get("literal"), next=raw.get("next"),
                                  action=raw.get("action"), args=dict(raw.get("args") or {}),
                                  set=dict(raw.get("set") or {})))
        try:
            max_length = int(spec.get("max_length", 480))
        except (TypeError, ValueError):
            errors.append(f"{where}: max_length must be a number")
            max_length = 480
        screen = Screen(id=screen_id, journey=name, type=str(spec.get("type", "")), text=spec.get("text"),
                        options=options, source=spec.get("source"), store=spec.get("store"),
                        next=spec.get("next"), action=spec.get("action"), args=dict(spec.get("args") or {}),
                        empty=spec.get("empty"), params=spec.get("params"),
                        skip=None if spec.get("skip") is None else str(spec["skip"]), max_length=max_length)
        menus.screens[screen_id] = screen
        journey.screens.append(screen_id)
    return errors
