"""POST /api/v1/contacts/import — CSV or XLSX contact lists."""
from __future__ import annotations

from flask import g, request

from gateway.api import bp
from gateway.api.auth import require_role
from gateway.api.openapi import document, query
from gateway.errors import APIError
from gateway.services.imports import COLUMNS, import_file

TRUE = ("1", "true", "yes", "on")

document("/contacts/import", "post",
         "Import contacts from a CSV or XLSX file (columns: " + ", ".join(COLUMNS) + "; groups separated by ;)",
         role="staff", params=[query("dry_run", "1: validate and count, save nothing")],
         body={"multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
             "file": {"type": "string", "format": "binary"},
             "dry_run": {"type": "string", "enum": ["0", "1"]}}}}},
         responses={"200": {"description": "`{created, updated, rejected: [{row, reason}], dry_run, rows}`; "
                                           "rows are numbered as in the spreadsheet (header = row 1)"},
                    "400": {"description": "no file, or a file that cannot be read"}})


def is_dry_run() -> bool:
    """`dry_run` from the query string or the form."""
    raw = request.args.get("dry_run") or request.form.get("dry_run") or ""
    return raw.strip().lower() in TRUE


@bp.post("/contacts/import")
@require_role("staff")
def import_contacts():
    """Validate every row; create or update contacts unless `dry_run=1`."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise APIError(400, "missing_file", "send the list as a multipart upload named 'file'")
    result = import_file(upload.filename, upload.read(), dry_run=is_dry_run(), actor=g.actor)
    return result.as_dict()
