"""Console: reports — a filtered, paginated list, one report's page, charts, the map, the HXL export.

The filters (`from`, `to` as Niger days, `category`, `region`, `department`, `status`) are the
same query string on every tab and on the export link, so a department followed from the map
opens its list, and what is listed is what is exported.
"""
from __future__ import annotations

from flask import Response, abort, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from gateway.console import bp, names
from gateway.console.auth import NAV, login_required
from gateway.console.helpers import day_arg, query_args
from gateway.models import utcnow
from gateway.models.reports import REPORT_STATUSES
from gateway.services import exports, lookups, maps, places, report_views

NAV.append(("console.reports", _l("Reports"), "viewer"))
FILTER_KEYS = ("from", "to", "category", "region", "department", "status")


def _filters() -> tuple[report_views.ReportListFilters, list[str]]:
    """The filters from the query string, and what was wrong with it (wrong parts are ignored)."""
    errors: list[str] = []
    since, until = report_views.day_range(day_arg("from", errors), day_arg("to", errors))
    filters = report_views.ReportListFilters(
        since=since, until=until, category=request.args.get("category") or None,
        region=request.args.get("region") or None, department=request.args.get("department") or None,
        status=request.args.get("status") or None)
    if filters.status and filters.status not in REPORT_STATUSES:
        errors.append(_("Choose a status from the list."))
        filters.status = None
    for name in ("region", "department"):
        value = getattr(filters, name)
        try:
            if value:
                places.canonical_pcode(value)
        except places.InvalidPcode:
            errors.append(_("Choose a region and a department from the lists."))
            setattr(filters, name, None)
    return filters, errors


def _query(**changes) -> dict:
    """The current filters as URL arguments, with `changes` (None removes a key)."""
    return query_args(FILTER_KEYS, **changes)


def _choices() -> dict:
    categories = sorted(lookups.categories().values(), key=lambda c: c.position)
    if not g.viewer.cleared:
        categories = [c for c in categories if not c.sensitive]
    regions = places.regions()
    return {"categories": categories, "regions": regions, "statuses": REPORT_STATUSES,
            "departments": [d for r in regions for d in places.departments(r.pcode)],
            "args": request.args, "query": _query}


@bp.get("/reports")
@login_required("viewer")
def reports():
    """The reports matching the filters, newest first, a page at a time."""
    filters, errors = _filters()
    number = request.args.get("page", type=int) or 1
    page = report_views.reports_page(filters, g.viewer, number)
    return render_template("console/reports.html", tab="list", page=page, errors=errors, **_choices())


@bp.get("/reports/charts")
@login_required("viewer")
def reports_charts():
    """Reports by region, category and ISO week (Niger time)."""
    filters, errors = _filters()
    summary = exports.summary(filters, g.viewer)
    by_region = [{"name": names.area(r["adm1_pcode"]) or _("unknown"), "count": r["count"]}
                 for r in summary["by_region"]]
    by_category = [{"name": names.category(c["category"]), "count": c["count"]} for c in summary["by_category"]]
    return render_template("console/reports_charts.html", tab="charts", summary=summary, by_region=by_region,
                           by_category=by_category, errors=errors, **_choices())


@bp.get("/reports/map")
@login_required("viewer")
def reports_map():
    """Departments shaded by their number of reports; each one opens its list."""
    filters, errors = _filters()
    # The map shows the whole country: a region or department filter would only blank the rest.
    filters.region = filters.department = None
    counts = maps.department_counts(filters, g.viewer)
    threshold = maps.min_count()
    shades = maps.classes(counts, threshold)
    shapes = []
    for shape in maps.geometry().departments:
        count = counts.get(shape.pcode, 0)
        shown = names.number(count) if count >= threshold or not count else f"< {threshold}"
        shapes.append({"shape": shape, "count": count, "shown": shown, "fill": maps.shade_of(count, shades),
                       "href": url_for("console.reports", **_query(region=None, department=shape.pcode, page=None))})
    return render_template("console/reports_map.html", tab="map", geometry=maps.geometry(), shapes=shapes,
                           shades=shades, threshold=threshold, blank=maps.BLANK, errors=errors,
                           total=sum(counts.values()), attribution=maps.ATTRIBUTION, **_choices())


@bp.get("/reports/export.csv")
@login_required("viewer")
def reports_export():
    """The HXL CSV of the listed reports (no numbers, no free text, clearance respected)."""
    filters, errors = _filters()
    if errors:
        return Response("\n".join(errors), status=400, mimetype="text/plain")
    body = "".join(exports.csv_chunks(exports.report_rows(filters, g.viewer)))
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="murya-reports-{utcnow().strftime("%Y%m%d")}.csv"'})


@bp.get("/reports/<reference>")
@login_required("viewer")
def report_page(reference: str):
    """One report: what, where, when, how urgent, its status history and linked ticket."""
    report = report_views.get_report(reference, g.viewer)
    if report is None:
        abort(404)
    tickets = report_views.linked_tickets(report, g.viewer)
    return render_template("console/report.html", report=report, tickets=tickets,
                           history=report_views.history(report, tickets))
