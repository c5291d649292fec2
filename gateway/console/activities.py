"""Console: activities, the create form, and registrations with the waiting list."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from gateway.console import bp
from gateway.console.auth import NAV, login_required
from gateway.console.helpers import check_csrf
from gateway.extensions import db
from gateway.models import Activity, AdminArea
from gateway.models.activities import ACTIVITY_KINDS
from gateway.services.activity_admin import (DuplicateActivity, InvalidActivity, create_activity,
                                             registration_counts, registrations_with_positions)

NAV.append(("console.activities", _l("Activities"), "viewer"))


def _explain(exc: InvalidActivity) -> str:
    """What to correct, in the console's language (the service's message is for the API)."""
    if isinstance(exc, DuplicateActivity):
        return _("This code is already used by another activity: choose another one.")
    return {
        "code": _("The code needs 2 to 20 letters or digits, without spaces (people type it in an SMS)."),
        "name": _("Give the activity a name (120 characters at most)."),
        "kind": _("Choose a kind from the list."),
        "adm1_pcode": _("Choose a region from the list."),
        "adm2_pcode": _("Choose a department of the chosen region."),
        "starts_at": _("Give a start date and time in the future (Niger time)."),
        "ends_at": _("The end must come after the start."),
        "capacity": _("The capacity is a whole number: 0 for unlimited."),
        "place": _("The place has at most 120 characters."),
        "description": _("The description has at most 2,000 characters."),
    }.get(exc.field, _("Check the form: something is missing or wrong."))


def _areas():
    areas = db.session.scalars(select(AdminArea).where(AdminArea.level.in_((1, 2))).order_by(AdminArea.name)).all()
    return [a for a in areas if a.level == 1], [a for a in areas if a.level == 2]


@bp.get("/activities")
@login_required("viewer")
def activities(form=None, error=None):
    """Every activity, soonest first, with its registration counts, and the create form."""
    rows = db.session.scalars(select(Activity).order_by(Activity.starts_at.desc())).all()
    regions, departments = _areas()
    return render_template("console/activities.html", activities=rows,
                           counts=registration_counts([a.id for a in rows]), kinds=ACTIVITY_KINDS,
                           regions=regions, departments=departments, form=form or {}, error=error)


@bp.post("/activities")
@login_required("staff")
def create_activity_form():
    """Create an activity from the form (Niger time)."""
    check_csrf()
    data = {k: v for k, v in request.form.items() if k != "csrf_token"}
    try:
        activity = create_activity(data, actor=g.actor)
    except InvalidActivity as exc:
        db.session.rollback()
        return activities(form=data, error=_explain(exc)), 400
    flash(_("Activity %(code)s created.", code=activity.code), "info")
    return redirect(url_for("console.activity_page", activity_id=activity.id))


@bp.get("/activities/<int:activity_id>")
@login_required("viewer")
def activity_page(activity_id: int):
    """One activity and its registrations (reporter codes, never numbers)."""
    activity = db.session.get(Activity, activity_id)
    if activity is None:
        abort(404)
    registrations = registrations_with_positions(activity)
    counts = registration_counts([activity.id])[activity.id]
    return render_template("console/activity.html", activity=activity, registrations=registrations,
                           counts=counts)
