"""Error pages (400, 403, 404, 405, 413, 500 …) inside the console's layout, in its language."""
from __future__ import annotations

import logging

from flask import render_template
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


def _explanations() -> dict[int, tuple[str, str]]:
    return {
        400: (_("Request not understood"), _("The page could not handle what was sent.")),
        403: (_("Access denied"), _("Your role does not give access to this page.")),
        404: (_("Page not found"), _("This page does not exist, or no longer exists.")),
        405: (_("Action not possible here"), _("This page does not accept that action.")),
        413: (_("File too large"), _("The file sent is too large (5 MB at most).")),
        429: (_("Too many requests"), _("Wait a moment, then try again.")),
        500: (_("Unexpected error"), _("Something went wrong on our side. It has been recorded; "
                                       "try again in a moment.")),
    }


def error_page(status: int, exc: HTTPException | None = None):
    """The error page for `status`; a view's own explanation (abort(403, _("…"))) is shown too."""
    title, explanation = _explanations().get(status, (_("Error"), ""))
    detail = None
    if exc is not None and exc.description and exc.description != type(exc).description:
        detail = exc.description
    try:
        return render_template("console/error.html", status=status, title=title, explanation=explanation,
                               detail=detail), status
    except Exception:  # the layout itself failed (database down…): still answer, in plain text
        log.exception("the error page could not be rendered")
        return f"{status} {title}", status, {"Content-Type": "text/plain; charset=utf-8"}
