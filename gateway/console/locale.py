"""The console's own language: French first, English second, chosen by the user (kept in the session).

Console texts are gettext catalogs read by Flask-Babel, domain `console`, under
`gateway/translations/console/<locale>/LC_MESSAGES/console.po`. The locales there are Babel's
(`fr`, `en`: they also pick the date and number formats), unlike the ISO 639-3 folders beside
them that hold what the *people* read (USSD, SMS). Message ids are the English texts, so English
needs no catalog of its own and French must translate every one (tests/test_console_i18n.py).
"""
from __future__ import annotations

from pathlib import Path

from flask import Flask, has_request_context, redirect, request, session, url_for

from gateway.console import bp
from gateway.console.helpers import check_csrf
from gateway.extensions import babel
from gateway.timezone import NIGER

CATALOGS = Path(__file__).resolve().parent.parent / "translations" / "console"
DOMAIN = "console"
DEFAULT = "fr"
# Each language named in itself, as a language switch should.
UI_LANGUAGES = {"fr": "Français", "en": "English"}
SESSION_KEY = "lang"


def select_locale() -> str:
    """The signed-in person's choice, else French."""
    chosen = session.get(SESSION_KEY) if has_request_context() else None
    return chosen if chosen in UI_LANGUAGES else DEFAULT


def init_app(app: Flask) -> None:
    """Bind Flask-Babel: French by default, Niger time for every date shown."""
    babel.init_app(app, default_locale=DEFAULT, default_domain=DOMAIN,
                   default_translation_directories=str(CATALOGS),
                   default_timezone=NIGER.key,
                   locale_selector=select_locale)
    app.jinja_env.globals["ui_languages"] = UI_LANGUAGES
    app.jinja_env.globals["ui_language"] = select_locale


def keep_language(clear) -> None:
    """Run `clear()` on the session (sign-in, sign-out) without losing the chosen language."""
    chosen = session.get(SESSION_KEY)
    clear()
    if chosen in UI_LANGUAGES:
        session[SESSION_KEY] = chosen


@bp.post("/language")
def set_language():
    """Choose the console's language (any visitor: sign-in has the switch), then go back."""
    check_csrf()
    chosen = request.form.get("lang")
    if chosen in UI_LANGUAGES:
        session[SESSION_KEY] = chosen
    target = request.form.get("next") or ""
    # Only local paths: the switch never sends anyone to another site.
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("console.index")
    return redirect(target)
