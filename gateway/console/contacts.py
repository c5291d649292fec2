"""Console: contacts — the list (search by reporter code, or by number for roles that may see
numbers, through the keyed hash), groups and stopped contacts, a person's profile and history,
editing, and the import with a template, a preview of errors and a rejected-rows CSV.

The previewed file is kept for 15 minutes in Redis under a random token bound to the user, so
"Import" saves exactly what was previewed without uploading it again, and the rejected rows can
be downloaded from it.
"""
from __future__ import annotations

import secrets

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from gateway import queue
from gateway.console import bp, names
from gateway.console.auth import NAV, current_user, login_required
from gateway.console.helpers import (can_see_names, can_see_numbers, check_csrf, page_number, query_args)
from gateway.extensions import db
from gateway.i18n import LANGUAGES
from gateway.phone import InvalidNumber
from gateway.services import audit, contact_views, contacts as contacts_service, exports, places, visibility
from gateway.services.imports import COLUMNS, MAX_ROWS, ImportFileError, import_file, read_table

NAV.append(("console.contacts", _l("Contacts"), "operator"))
PREVIEW_TTL = 15 * 60
FILTER_KEYS = ("q", "group", "stopped", "region", "language")
# The template's example row: a made-up number (+227 90 00 00 00 is no one's).
TEMPLATE_ROWS = [list(COLUMNS), ["+22790000000", "Aïssa Moussa", "hau", "NE002", "NE002003", "women;leaders"]]


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


def reason(rejection: dict) -> str:
    """Why an import row was rejected, in the console's language (the service's words are the API's)."""
    code, value = rejection.get("code", ""), rejection.get("value", "")
    texts = {
        "phone_empty": _("No phone number."),
        "phone_not_digits": _("The phone number may only have digits (after + or 00)."),
        "phone_too_short": _("The phone number is too short: a Niger number has 8 digits (90 12 34 56), "
                             "or give the country code (+227…)."),
        "phone_too_long": _("The phone number is too long (15 digits at most)."),
        "phone_unparseable": _("This is not a phone number: check the country code."),
        "phone_invalid": _("This is not a valid number for its country (a Niger number starts with 8 or 9)."),
        "duplicate": _("Same phone number as row %(row)s.", row=rejection.get("first_row", "?")),
        "name_too_long": _("The name is longer than %(n)s characters.", n=rejection.get("limit", 120)),
        "unknown_language": _("Language “%(value)s” is not one of fra, hau, dje, fuv, knc, taq, arb.", value=value),
        "pcode_invalid": _("“%(value)s” is not a Niger P-code (NE… or NER…).", value=value),
        "pcode_unknown": _("No region or department has the P-code “%(value)s”.", value=value),
        "pcode_not_region": _("“%(value)s” is a department, not a region.", value=value),
        "pcode_not_department": _("“%(value)s” is a region, not a department.", value=value),
        "bad_group": _("Group “%(value)s”: letters, digits, spaces and - only, 40 characters at most.", value=value),
    }
    if code == "department_outside_region":
        return _("Department %(department)s is not in region %(region)s.", department=_area_name(value),
                 region=rejection.get("region", ""))
    return texts.get(code) or rejection.get("reason", "")


def _area_name(code: str) -> str:
    try:
        return names.area(places.canonical_pcode(code))
    except places.InvalidPcode:
        return code


@bp.get("/contacts/import/template.csv")
@login_required("staff")
def contacts_import_template():
    """A CSV with the columns and one made-up example row, to fill in a spreadsheet."""
    return _csv_response(TEMPLATE_ROWS, "murya-contacts-template.csv")


def _csv_response(rows: list[list], filename: str) -> Response:
    # Cells a spreadsheet would run as a formula are written as text (exports.spreadsheet_cell).
    body = exports.csv_text(rows)
    # A BOM so that Excel (French Windows) reads the accents as UTF-8.
    return Response("\ufeff" + body, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


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
    rejected = [{**r, "text": reason(r)} for r in preview.rejected]
    return render_template("console/contacts_import.html", columns=COLUMNS, preview=preview, token=token,
                           filename=upload.filename, rejected=rejected)


@bp.get("/contacts/import/<token>/rejected.csv")
@login_required("staff")
def contacts_import_rejected(token: str):
    """The previewed file's rejected rows as they were uploaded, each with its reason: to fix and
    upload again."""
    redis = queue.connection()
    data, name = redis.get(_key(token)), redis.get(_key(token) + ":name")
    if data is None:
        abort(404)
    filename = name.decode() if name else "upload.csv"
    try:
        preview = import_file(filename, data, dry_run=True, actor=g.actor)
        cells = {number: row for number, row in read_table(filename, data)}
    except ImportFileError:
        abort(404)
    rows = [[_("row"), *COLUMNS, _("reason")]]
    for rejection in preview.rejected:
        row = cells.get(rejection["row"], {})
        rows.append([rejection["row"], *(row.get(c, "") for c in COLUMNS), reason(rejection)])
    return _csv_response(rows, "murya-rejected-rows.csv")


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


# ---------------------------------------------------------------- the list and a profile

def _contact_filters() -> tuple[contact_views.ContactFilters, list[str]]:
    errors: list[str] = []
    search = (request.args.get("q") or "").strip()[:40]
    filters = contact_views.ContactFilters(
        group=request.args.get("group") or None,
        stopped={"1": True, "0": False}.get(request.args.get("stopped", "")),
        region=request.args.get("region") or None, language=request.args.get("language") or None)
    looks_like_number = search.replace(" ", "").lstrip("+").isdigit() and len(search.replace(" ", "")) >= 6
    if looks_like_number:
        if can_see_numbers():
            filters.number = search
        else:
            errors.append(_("Your role does not search by phone number: search by reporter code (C-…)."))
    elif search:
        filters.code = search
    return filters, errors


@bp.get("/contacts")
@login_required("operator")
def contacts():
    """Contacts, the most recently heard from first: by reporter code (or number), group, place,
    language, stopped or not."""
    filters, errors = _contact_filters()
    try:
        page = contact_views.contacts_page(filters, page_number())
    except InvalidNumber:
        errors.append(_("This is not a phone number we can look up."))
        filters.number = None
        page = contact_views.contacts_page(filters, page_number())
    if filters.number:
        # Who looked a number up is recorded, never the number.
        audit.record(g.actor, "contact.search_by_number", "contact", None, found=page.total)
        db.session.commit()
    return render_template("console/contacts.html", page=page, errors=errors, args=request.args,
                           groups=contact_views.groups(), stopped=contact_views.stopped_count(),
                           regions=places.regions(), languages=LANGUAGES,
                           page_url=lambda n: url_for("console.contacts", **query_args(FILTER_KEYS, page=n)))


def _contact_or_404(contact_id: int):
    contact = contact_views.get_contact(contact_id)
    if contact is None:
        abort(404)
    return contact


def render_contact(contact, revealed_number: str | None = None, error: str | None = None, status: int = 200):
    """A person's page: what we know, their history, the edit form."""
    regions = places.regions()
    return render_template(
        "console/contact.html", contact=contact, history=contact_views.history(contact, g.viewer),
        name=visibility.contact_name(g.viewer, contact) if can_see_names() else None, revealed_number=revealed_number,
        regions=regions, departments=[d for r in regions for d in places.departments(r.pcode)],
        languages=LANGUAGES, groups=[name for name, _count in contact_views.groups()], error=error), status


@bp.get("/contacts/<int:contact_id>")
@login_required("operator")
def contact_page(contact_id: int):
    """One person: their messages, reports and registrations (never their number unless revealed)."""
    return render_contact(_contact_or_404(contact_id))


def _explain_contact(exc: contacts_service.InvalidContact) -> str:
    return {"name_too_long": _("A name has at most %(n)s characters.", n=contacts_service.MAX_NAME),
            "unknown_language": _("Choose a language from the list."),
            "unknown_place": _("Choose a region and a department from the lists."),
            "department_outside_region": _("The department is not in the region chosen."),
            "bad_group": _("Groups: letters, digits, spaces and - only, 40 characters at most, separated by ;."),
            }.get(exc.code, _("These changes cannot be saved."))


@bp.post("/contacts/<int:contact_id>")
@login_required("staff")
def contact_save(contact_id: int):
    """Save the edit form: name, language, place, groups."""
    check_csrf()
    contact = _contact_or_404(contact_id)
    form = request.form
    groups = [g for g in form.getlist("groups")] + (form.get("new_groups") or "").split(";")
    try:
        changed = contacts_service.update_profile(
            contact, g.actor, name=form.get("name", contact_views.name_of(contact)),
            language=form.get("language") or None, adm1=form.get("adm1") or None, adm2=form.get("adm2") or None,
            groups=groups)
    except contacts_service.InvalidContact as exc:
        db.session.rollback()
        return render_contact(contact, error=_explain_contact(exc), status=400)
    flash(_("Saved.") if changed else _("Nothing changed."), "info")
    return redirect(url_for("console.contact_page", contact_id=contact.id))


@bp.post("/contacts/<int:contact_id>/<any(stop, restart):action>")
@login_required("staff")
def contact_stop(contact_id: int, action: str):
    """Stop or restart every message to the person, as they asked staff (audited)."""
    check_csrf()
    contact = _contact_or_404(contact_id)
    if action == "stop":
        done = contacts_service.stop_by_staff(contact, g.actor)
        flash(_("No message will reach this person any more, on any channel.") if done
              else _("This person had already stopped messages."), "info")
    else:
        done = contacts_service.restart_by_staff(contact, g.actor)
        flash(_("Messages reach this person again.") if done else _("This person was not stopped."), "info")
    return redirect(url_for("console.contact_page", contact_id=contact.id))


@bp.post("/contacts/<int:contact_id>/reveal")
@login_required("operator")
def contact_reveal(contact_id: int):
    """Show the number once, to a role that may see it; recorded in the audit log."""
    check_csrf()
    contact = _contact_or_404(contact_id)
    if not can_see_numbers():
        abort(403, _("Only administrators can see phone numbers."))
    return render_contact(contact, revealed_number=contacts_service.reveal_number(contact, g.actor, page="contact"))

