"""Small helpers shared by the console pages: a CSRF token for every form, roles."""
from __future__ import annotations

import hmac
import secrets

from flask import abort, g, request, session
from flask_babel import gettext as _

from gateway.api.auth import ROLE_RANK, TEXT_ROLES
from gateway.console import bp


def csrf_token() -> str:
    """This session's form token (created on first use)."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return session["csrf"]


def check_csrf() -> None:
    """Refuse a POST whose form does not carry this session's token (403)."""
    sent = request.form.get("csrf_token", "")
    if not sent or "csrf" not in session or not hmac.compare_digest(sent, session["csrf"]):
        abort(403, _("The form has expired: reload the page and try again."))


def can(minimum: str) -> bool:
    """True when the signed-in user's role is at least `minimum`."""
    return ROLE_RANK.get(getattr(g, "role", "viewer"), 0) >= ROLE_RANK[minimum]


def can_read_text() -> bool:
    """True when the role may read message and report text."""
    return getattr(g, "role", None) in TEXT_ROLES


@bp.app_context_processor
def inject_helpers():
    return {"csrf_token": csrf_token, "can": can, "can_read_text": can_read_text}
