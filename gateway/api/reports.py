"""GET /api/v1/reports."""
from __future__ import annotations

from flask import g, request
from sqlalchemy import select

from gateway.api import bp
from gateway.api.auth import require_role
from gateway.api.openapi import document, query
from gateway.api.pagination import page, parse_since, where_choice
from gateway.errors import APIError
from gateway.models import Report
from gateway.models.reports import REPORT_STATUSES
from gateway.services import visibility
from gateway.services.places import InvalidPcode, canonical_pcode


def serialize_report(report: Report) -> dict:
    """The public shape of a report (no contact, no free text)."""
    return {
        "reference": report.reference, "category": report.category_code,
        "adm1_pcode": report.adm1_pcode, "adm2_pcode": report.adm2_pcode,
        "adm3_pcode": report.adm3_pcode, "language": report.language, "channel": report.channel,
        "status": report.status, "urgent": report.urgent, "urgency": report.urgency,
        "occurred": report.occurred, "anonymous": report.anonymous,
        "created_at": report.created_at.isoformat(),
    }


document("/reports", "get", "List reports, newest first", params=[
    query("since", "only reports created at or after this ISO 8601 time"),
    query("region", "admin1 P-code (NE… or NER…)"), query("category", "category code"),
    query("status", "report status", {"type": "string", "enum": list(REPORT_STATUSES)}),
    query("limit", "page size (1-500)", {"type": "integer"}), query("after", "cursor from `next`", {"type": "integer"}),
])


@bp.get("/reports")
@require_role("viewer")
def list_reports():
    """Reports, filtered by since, region, category and status; sensitive ones need clearance."""
    stmt = visibility.reports(g.viewer, select(Report))
    since = parse_since()
    if since:
        stmt = stmt.where(Report.created_at >= since)
    if request.args.get("region"):
        try:
            stmt = stmt.where(Report.adm1_pcode == canonical_pcode(request.args["region"]))
        except InvalidPcode as exc:
            raise APIError(400, "invalid_parameter", str(exc)) from None
    if request.args.get("category"):
        stmt = stmt.where(Report.category_code == request.args["category"])
    stmt = where_choice(stmt, Report.status, "status", REPORT_STATUSES)
    return page(stmt, Report.id, serialize_report, "api.list_reports")
