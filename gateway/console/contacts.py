"""Console: contact list import with a dry-run preview before anything is saved.

The previewed file is kept for 15 minutes in Redis under a random token bound to the user, so
"Import" saves exactly what was previewed without uploading it again.
"""
from __future__ import annotations

import secrets

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from gateway import queue
from gateway.console import bp
from gateway.console.auth import NAV, current_user, login_required
from gateway.console.helpers import check_csrf
from gateway.extensions import db
from gateway.services.imports import COLUMNS, MAX_ROWS, ImportFileError, import_file

NAV.append(("console.contacts_import", _l("Contacts"), "staff"))
PREVIEW_TTL = 15 * 60


def _explain(exc: ImportFileError) -> str:
    """Why the file cannot be read, in the console's language (the service's words are the API's)."""
    reason = str(exc)
    for start, text in (("upload a", _("Choose a .csv or .xlsx file.")),
                        ("the file is empty", _("The file is empty.")),
                        ("the first row",
                         _("The first row must name the columns, with at least a “phone” column.")),
                        ("at most", _("The file has too many rows (%(n)s at most).", n=MAX_ROWS)),
                        ("not a readable", _("This XLSX file cannot be read."))):
        if reason.startswith(start):
            return text
    return _("The file cannot be imported.")


def _key(token: str) -> str:
    return f"import-preview:{current_user().id}:{token}"


@bp.get("/contacts/import")
@login_required("staff")
def contacts_import():
    """The upload form."""
    return render_template("console/contacts_import.html", columns=COLUMNS, preview=None)


@bp.post("/contacts/import")
@login_required("staff")
def contacts_import_preview():
    """Dry run: validate the upload, show what would happen, keep the file for the real import."""
    check_csrf()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Choose a CSV or XLSX file."), "error")
        return render_template("console/contacts_import.html", columns=COLUMNS, preview=None), 400
    data = upload.read()
    try:
        preview = import_file(upload.filename, data, dry_run=True, actor=g.actor)
    except ImportFileError as exc:
        flash(_explain(exc), "error")
        return render_template("console/contacts_import.html", columns=COLUMNS, preview=None), 400
    token = secrets.token_urlsafe(16)
    redis = queue.connection()
    redis.setex(_key(token), PREVIEW_TTL, data)
    redis.setex(_key(token) + ":name", PREVIEW_TTL, upload.filename)
    return render_template("console/contacts_import.html", columns=COLUMNS, preview=preview, token=token,
                           filename=upload.filename)


@bp.post("/contacts/import/confirm")
@login_required("staff")
def contacts_import_confirm():
    """Import the previewed file."""
    check_csrf()
    token = request.form.get("token", "")
    redis = queue.connection()
    data, name = redis.get(_key(token)), redis.get(_key(token) + ":name")
    if not token or data is None:
        flash(_("The preview has expired: upload the file again."), "error")
        return redirect(url_for("console.contacts_import"))
    try:
        result = import_file(name.decode() if name else "upload.csv", data, actor=g.actor)
    except ImportFileError as exc:
        db.session.rollback()
        flash(_explain(exc), "error")
        return redirect(url_for("console.contacts_import"))
    redis.delete(_key(token), _key(token) + ":name")
    flash(_("Imported: %(created)s created, %(updated)s updated, %(rejected)s rejected.", created=result.created,
            updated=result.updated, rejected=len(result.rejected)), "info")
    return redirect(url_for("console.contacts_import"))
