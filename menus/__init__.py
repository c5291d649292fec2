"""USSD menus: journeys as data (`menus/journeys/*.yaml`), texts in gettext catalogs, a small engine.

`init_app` loads and validates every journey against the catalogs; an invalid journey stops
start-up (the factory calls it). See menus/README.md for the format and the translator workflow.
"""
from __future__ import annotations

from pathlib import Path

from flask import Flask

from menus.engine import Engine
from menus.model import JOURNEYS_DIR, InvalidJourney, load
from menus.texts import Texts
from menus.validate import validate

__all__ = ["init_app", "load_checked", "InvalidJourney"]


def load_checked(journeys_dir: Path | None = None, translations_dir: Path | None = None, fresh: bool = False):
    """(menus, texts, findings) for a journeys folder and a catalogs folder; raises on errors.

    `fresh` reads the catalogs again instead of using the process's cached copy.
    """
    menus = load(Path(journeys_dir or JOURNEYS_DIR))
    texts = Texts(Path(translations_dir) if translations_dir else None, fresh=fresh)
    findings = validate(menus, texts)
    if findings.errors:
        raise InvalidJourney(findings.errors)
    return menus, texts, findings


def init_app(app: Flask) -> None:
    """Load and validate the journeys, and build the app's USSD engine. Raises InvalidJourney."""
    menus, texts, _ = load_checked(app.config["USSD_JOURNEYS_DIR"], app.config["USSD_TRANSLATIONS_DIR"])
    app.extensions["menus"] = Engine(menus, texts)
