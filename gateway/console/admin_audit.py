"""Console: the audit log for administrators — who did what to which object, and when."""
from __future__ import annotations

from flask import render_template, request, url_for

from gateway.console import bp
from gateway.console.auth import login_required
from gateway.console.helpers import day_arg, page_number, query_args
from gateway.services import audit_views
from gateway.services.report_views import day_range

FILTER_KEYS = ("actor", "action", "object_type", "object_id", "from", "to")


@bp.get("/admin/audit")
@login_required("admin")
def admin_audit():
    """The audit log, newest first, with actors by name."""
    errors: list[str] = []
    since, until = day_range(day_arg("from", errors), day_arg("to", errors))
    filters = audit_views.AuditFilters(
        actor=request.args.get("actor") or None, action=request.args.get("action") or None,
        object_type=request.args.get("object_type") or None,
        object_id=(request.args.get("object_id") or "").strip()[:40] or None, since=since, until=until)
    page, names = audit_views.audit_page(filters, page_number())
    return render_template("console/admin_audit.html", page=page, names=names, errors=errors, args=request.args,
                           choices=audit_views.choices(), admin_tab="audit",
                           page_url=lambda n: url_for("console.admin_audit", **query_args(FILTER_KEYS, page=n)))
