"""Console: administrators manage users and roles, and the canned replies operators send."""
from __future__ import annotations

import re

from flask import abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from gateway.console import bp
from gateway.console.auth import NAV, current_user, login_required
from gateway.console.helpers import check_csrf
from gateway.extensions import db
from gateway.i18n import LANGUAGES
from gateway.models import CannedReply, User
from gateway.models.users import ROLES
from gateway.services import audit
from gateway.services.encoding import sms_info

NAV.append(("console.admin_keywords", _l("Keywords and rules"), "staff"))
NAV.append(("console.admin_users", _l("Administration"), "admin"))
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 10


@bp.get("/admin/users")
@login_required("admin")
def admin_users(error: str | None = None, form: dict | None = None):
    """Every user with role and access; the create form."""
    users = db.session.scalars(select(User).order_by(User.email)).all()
    return render_template("console/admin_users.html", users=users, roles=ROLES, error=error, form=form or {})


def _validate_user(form) -> tuple[str, str, str, bool, str]:
    email = (form.get("email") or "").strip().lower()
    if not _EMAIL.match(email):
        raise ValueError(_("Enter a valid e-mail address."))
    role = form.get("role")
    if role not in ROLES:
        raise ValueError(_("Choose a role from the list."))
    password = form.get("password") or ""
    if len(password) < MIN_PASSWORD:
        raise ValueError(_("The password needs at least %(n)s characters.", n=MIN_PASSWORD))
    return email, (form.get("name") or "").strip()[:120], role, form.get("sensitive") == "1", password


@bp.post("/admin/users")
@login_required("admin")
def admin_create_user():
    """Create a user."""
    check_csrf()
    try:
        email, name, role, sensitive, password = _validate_user(request.form)
    except ValueError as exc:
        return admin_users(error=str(exc), form=request.form), 400
    user = User(email=email, name=name, role=role, sensitive_access=sensitive)
    user.set_password(password)
    try:
        with db.session.begin_nested():
            db.session.add(user)
    except IntegrityError:
        db.session.rollback()
        return admin_users(error=_("%(email)s already has an account.", email=email), form=request.form), 400
    audit.record(g.actor, "user.create", "user", user.id, role=role, sensitive_access=sensitive)
    db.session.commit()
    flash(_("User %(email)s created.", email=email), "info")
    return redirect(url_for("console.admin_users"))


@bp.post("/admin/users/<int:user_id>")
@login_required("admin")
def admin_update_user(user_id: int):
    """Change a user's role, sensitive access or active flag."""
    check_csrf()
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    role = request.form.get("role")
    if role not in ROLES:
        flash(_("Choose a role from the list."), "error")
        return redirect(url_for("console.admin_users"))
    active, sensitive = request.form.get("active") == "1", request.form.get("sensitive") == "1"
    if user.id == current_user().id and (role != "admin" or not active):
        flash(_("You cannot remove your own administrator access."), "error")
        return redirect(url_for("console.admin_users"))
    before = {"role": user.role, "active": user.active, "sensitive_access": user.sensitive_access}
    user.role, user.active, user.sensitive_access = role, active, sensitive
    audit.record(g.actor, "user.update", "user", user.id, before=before,
                 after={"role": role, "active": active, "sensitive_access": sensitive})
    db.session.commit()
    flash(_("User %(email)s saved.", email=user.email), "info")
    return redirect(url_for("console.admin_users"))


@bp.get("/admin/canned-replies")
@login_required("admin")
def admin_canned(error: str | None = None, form: dict | None = None, status: int = 200):
    """Canned replies with their texts per language."""
    replies = db.session.scalars(select(CannedReply).order_by(CannedReply.name)).all()
    return render_template("console/admin_canned.html", replies=replies, languages=LANGUAGES,
                           error=error, form=form or {}), status


def _canned_from_form(form) -> tuple[str, dict, str]:
    name = (form.get("name") or "").strip()
    if not name or len(name) > 80:
        raise ValueError(_("Give the reply a name of 1 to 80 characters."))
    texts = {lang: form.get(f"text_{lang}", "").strip() for lang in LANGUAGES}
    texts = {lang: text for lang, text in texts.items() if text}
    if "fra" not in texts:
        raise ValueError(_("The French text is required: it is sent when a language has no text."))
    if any(len(t) > 640 for t in texts.values()):
        raise ValueError(_("Each text has at most 640 characters."))
    return name, texts, (form.get("notes") or "").strip()


@bp.post("/admin/canned-replies")
@bp.post("/admin/canned-replies/<int:reply_id>")
@login_required("admin")
def admin_save_canned(reply_id: int | None = None):
    """Create or update a canned reply."""
    check_csrf()
    try:
        name, texts, notes = _canned_from_form(request.form)
    except ValueError as exc:
        return admin_canned(error=str(exc), form=request.form, status=400)
    reply = db.session.get(CannedReply, reply_id) if reply_id else CannedReply()
    if reply is None:
        abort(404)
    reply.name, reply.texts, reply.notes = name, texts, notes
    try:
        with db.session.begin_nested():
            db.session.add(reply)
    except IntegrityError:
        db.session.rollback()
        return admin_canned(error=_("A canned reply named “%(name)s” already exists.", name=name),
                            form=request.form, status=400)
    audit.record(g.actor, "canned_reply.update" if reply_id else "canned_reply.create", "canned_reply",
                 reply.id, languages=sorted(texts))
    db.session.commit()
    flash(_("Canned reply “%(name)s” saved.", name=name), "info")
    return redirect(url_for("console.admin_canned"))


@bp.post("/admin/canned-replies/<int:reply_id>/delete")
@login_required("admin")
def admin_delete_canned(reply_id: int):
    """Delete a canned reply."""
    check_csrf()
    reply = db.session.get(CannedReply, reply_id)
    if reply is None:
        abort(404)
    db.session.delete(reply)
    audit.record(g.actor, "canned_reply.delete", "canned_reply", reply_id, name=reply.name)
    db.session.commit()
    flash(_("Canned reply “%(name)s” deleted.", name=reply.name), "info")
    return redirect(url_for("console.admin_canned"))


@bp.post("/admin/segments.json")
@login_required("operator")
def admin_segments_json():
    """How a text travels as SMS (GSM-7 or UCS-2, segments), as the campaign form shows it."""
    check_csrf()
    info = sms_info((request.form.get("text") or "")[:2000])
    words = ngettext("%(num)s segment", "%(num)s segments", info.segments)
    message = _("%(encoding)s · %(length)s characters · %(segments)s", encoding=info.encoding, length=info.length,
                segments=words)
    if info.non_gsm:
        message += " — " + _("not GSM-7 because of: %(chars)s", chars=" ".join(info.non_gsm[:8]))
    return jsonify({"encoding": info.encoding, "segments": info.segments, "length": info.length, "message": message})
