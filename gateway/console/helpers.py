"""Small helpers shared by the console pages: a CSRF token for every form, roles, and the
need-to-know accessors of gateway/services/visibility.py for templates (`message_text(m)`,
`report_text(r)`, `visible_labels(labels)`, …: None or nothing when the user may not see it)."""
from __future__ import annotations

import hmac
import secrets
from datetime import date
from urllib.parse import unquote, urlsplit

from flask import abort, g, request, session
from flask_babel import gettext as _

from gateway.console import bp
from gateway.services import visibility
from gateway.services.visibility import Viewer


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


def local_path(target: str | None) -> str | None:
    """`target` when it is a path on this site (`/console/x?y`), else None: never `//host`,
    `/\\host`, a scheme, or a whitespace/control character a browser would drop to make one
    (`/%09/evil.example` arrives as `/\t/evil.example`), checked again after one more decoding."""
    if not target:
        return None
    for candidate in (target, unquote(target)):
        if (not candidate.startswith("/") or candidate[1:2] in ("/", "\\") or "\\" in candidate
                or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in candidate)):
            return None
        parts = urlsplit(candidate)
        if parts.scheme or parts.netloc:
            return None
    return target


def viewer() -> Viewer:
    """Who is looking (set by login_required); a page outside it sees as the lowest role."""
    return getattr(g, "viewer", None) or Viewer(role="viewer")


def can(minimum: str) -> bool:
    """True when the signed-in user's role is at least `minimum`."""
    return viewer().at_least(minimum)


def can_read_text() -> bool:
    """True when the role may read message and report text."""
    return viewer().reads_text


def message_text(message) -> str | None:
    """A message's text, or None when the user may not read it."""
    return visibility.message_text(viewer(), message) if message is not None else None


def report_text(report) -> str | None:
    """A report's free text, or None when the user may not read it."""
    return visibility.report_text(viewer(), report) if report is not None else None


def ticket_summary(ticket) -> str | None:
    """A ticket's one-line summary, or None when the user may not read it."""
    return visibility.ticket_summary(viewer(), ticket)


def visible_labels(labels) -> list[str]:
    """The labels the user may see (sensitive ones only for the cleared)."""
    return visibility.labels(viewer(), labels)


def text_allowed(labels) -> bool:
    """True when this user may read a text carrying `labels` (none of them hidden from them)."""
    return can_read_text() and len(visible_labels(labels)) == len(list(labels or []))


def can_see_numbers() -> bool:
    """True when the role may have a phone number revealed (always audited)."""
    return viewer().sees_numbers


def can_see_names() -> bool:
    """True when the role may see the names staff imported or typed."""
    return viewer().sees_names


@bp.app_context_processor
def inject_helpers():
    return {"csrf_token": csrf_token, "can": can, "can_read_text": can_read_text, "message_text": message_text,
            "report_text": report_text, "ticket_summary": ticket_summary,
            "visible_labels": visible_labels, "text_allowed": text_allowed, "can_see_numbers": can_see_numbers,
            "can_see_names": can_see_names}


def query_args(keys: tuple[str, ...], **changes) -> dict:
    """The current query string's `keys` as URL arguments, with `changes` (None removes a key)."""
    args = {k: request.args[k] for k in keys if request.args.get(k)}
    args.update(changes)
    return {k: v for k, v in args.items() if v not in (None, "")}


def day_arg(name: str, errors: list) -> date | None:
    """A `YYYY-MM-DD` query argument as a day; a wrong one is noted in `errors` and ignored."""
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors.append(_("Dates are written as a day: 2026-11-26."))
        return None


def page_number() -> int:
    """The `page` query argument (1 when missing or wrong)."""
    number = request.args.get("page", type=int) or 1
    return max(1, min(number, 100_000))
