"""Console: contact list import with a dry-run preview before anything is saved.

The previewed file is kept for 15 minutes in Redis under a random token bound to the user, so
"Import" saves exactly what was previewed without uploading it again.
"""
from __future__ import annotations

import secrets

from flask import flash, g, redirect, render_template, request, url_for

from gateway import queue
from gateway.console import bp
from gateway.console.auth import NAV, current_user, login_required
from gateway.console.helpers import check_csrf
from gateway.extensions import db
from gateway.services.imports import COLUMNS, ImportFileError, import_file

NAV.append(("console.contacts_import", "Contacts", "staff"))
PREVIEW_TTL = 15 * 60


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
        flash("Choose a CSV or XLSX file.", "error")
        return render_template("console/contacts_import.html", columns=COLUMNS, preview=None), 400
    data = upload.read()
    try:
        preview = import_file(upload.filename, data, dry_run=True, actor=g.actor)
    except ImportFileError as exc:
        flash(str(exc), "error")
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
        flash("The preview has expired; upload the file again.", "error")
        return redirect(url_for("console.contacts_import"))
    try:
        result = import_file(name.decode() if name else "upload.csv", data, actor=g.actor)
    except ImportFileError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("console.contacts_import"))
    redis.delete(_key(token), _key(token) + ":name")
    flash(f"Imported: {result.created} created, {result.updated} updated, {len(result.rejected)} rejected.", "info")
    return redirect(url_for("console.contacts_import"))
