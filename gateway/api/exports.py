"""GET /api/v1/exports/reports.csv (HXL) and GET /api/v1/reports/summary (counts for charts)."""
from __future__ import annotations

from flask import Response, g, request

from gateway.api import bp
from gateway.api.auth import require_role
from gateway.api.openapi import document, query
from gateway.api.pagination import parse_since
from gateway.errors import APIError
from gateway.models import utcnow
from gateway.models.reports import REPORT_STATUSES
from gateway.services import exports

FILTER_PARAMS = [
    query("since", "reports created at or after this ISO 8601 time"),
    query("until", "reports created before this ISO 8601 time"),
    query("region", "admin1 P-code (NE… or NER…)"), query("category", "category code"),
    query("status", "report status", {"type": "string", "enum": list(REPORT_STATUSES)}),
]

document("/exports/reports.csv", "get",
         "Reports as HXL-tagged CSV (header row, then the HXL hashtag row). No phone numbers; "
         "no free text unless text=1 (roles that may read text); sensitive categories need clearance",
         params=[*FILTER_PARAMS, query("text", "1: add the free text column (#description)")],
         responses={"200": {"description": "text/csv", "content": {"text/csv": {}}}})
document("/reports/summary", "get", "Report counts by region, category and ISO week (Niger time)",
         params=FILTER_PARAMS,
         responses={"200": {"description": "`{total, by_region: [{adm1_pcode, name, count}], "
                                           "by_category: [{category, name, sensitive, count}], "
                                           "by_week: [{week, count}]}`"}})


def report_filters() -> exports.ReportFilters:
    """The report filters from the query string."""
    filters = exports.ReportFilters(since=parse_since("since"), until=parse_since("until"),
                                    region=request.args.get("region") or None,
                                    category=request.args.get("category") or None,
                                    status=request.args.get("status") or None)
    filters.validate()    # now, so a bad filter is a 400 and not an error half-way through a stream
    return filters


@bp.get("/exports/reports.csv")
@require_role("viewer")
def export_reports_csv():
    """The HXL CSV of reports."""
    filters = report_filters()
    include_text = request.args.get("text", "").lower() in ("1", "true", "yes")
    if include_text and not g.viewer.reads_text:
        raise APIError(403, "forbidden", "your role may not export free text")
    # Built in memory: a year of reports is a few MB; a streamed body would outlive the
    # request's database session.
    body = "".join(exports.csv_chunks(exports.report_rows(filters, g.viewer, include_text=include_text)))
    filename = f"murya-reports-{utcnow().strftime('%Y%m%d')}.csv"
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/reports/summary")
@require_role("viewer")
def reports_summary():
    """Counts for the charts and the map."""
    return exports.summary(report_filters(), g.viewer)

