"""Console: reports as a table, charts by region, category and week, a map, and the HXL export."""
from __future__ import annotations

from flask import Response, g, render_template, request
from sqlalchemy import select

from gateway.console import bp
from gateway.console.auth import NAV, login_required
from gateway.extensions import db
from gateway.models import AdminArea, Category, utcnow
from gateway.models.reports import REPORT_STATUSES
from gateway.services import exports

NAV.append(("console.reports", "Reports", "viewer"))

# Approximate centroids of Niger's regions (lat, lon), for circles on a schematic map only.
REGION_CENTROIDS = {
    "Agadez": (18.7, 9.0), "Diffa": (15.0, 12.5), "Dosso": (13.0, 3.4), "Maradi": (13.8, 7.2),
    "Tahoua": (15.5, 5.0), "Tillabéri": (14.2, 1.5), "Zinder": (15.5, 9.5), "Niamey": (13.5, 2.1),
}
# Niger's bounding box, lon 0.16–16.0 E, lat 11.7–23.5 N.
BBOX = {"west": 0.16, "east": 16.0, "south": 11.7, "north": 23.5}
MAP_WIDTH = 480


def _project(lat: float, lon: float) -> tuple[float, float]:
    scale = MAP_WIDTH / (BBOX["east"] - BBOX["west"])
    return (round((lon - BBOX["west"]) * scale, 1), round((BBOX["north"] - lat) * scale, 1))


def map_points(by_region: list[dict]) -> tuple[list[dict], int]:
    """Circles for the map: every region, radius by count (area proportional); and the height."""
    counts = {r["name"]: r["count"] for r in by_region}
    top = max(counts.values(), default=0) or 1
    points = []
    for name, (lat, lon) in REGION_CENTROIDS.items():
        x, y = _project(lat, lon)
        count = counts.get(name, 0)
        points.append({"name": name, "x": x, "y": y, "count": count,
                       "r": 0 if not count else round(4 + 26 * (count / top) ** 0.5, 1)})
    height = round((BBOX["north"] - BBOX["south"]) * MAP_WIDTH / (BBOX["east"] - BBOX["west"]))
    return points, height


def _filters() -> exports.ReportFilters:
    from gateway.api.pagination import parse_since
    from gateway.errors import APIError
    try:
        since, until = parse_since("since"), parse_since("until")
    except APIError:
        since = until = None
    return exports.ReportFilters(since=since, until=until, region=request.args.get("region") or None,
                                 category=request.args.get("category") or None,
                                 status=request.args.get("status") or None)


@bp.get("/reports")
@login_required("viewer")
def reports():
    """Charts, map and the latest reports."""
    filters = _filters()
    try:
        summary = exports.summary(filters, g.sensitive_access)
        latest = exports.recent_reports(filters, g.sensitive_access)
        error = None
    except exports.InvalidFilter as exc:
        summary, latest, error = {"total": 0, "by_region": [], "by_category": [], "by_week": []}, [], str(exc)
    points, map_height = map_points(summary["by_region"])
    regions = db.session.scalars(select(AdminArea).where(AdminArea.level == 1).order_by(AdminArea.name)).all()
    categories = db.session.scalars(select(Category).order_by(Category.position)).all()
    if not g.sensitive_access:
        categories = [c for c in categories if not c.sensitive]
    names = {a.pcode: a.name for a in db.session.scalars(select(AdminArea))}
    return render_template("console/reports.html", summary=summary, latest=latest, error=error,
                           points=points, map_width=MAP_WIDTH, map_height=map_height, regions=regions,
                           categories=categories, statuses=REPORT_STATUSES, names=names,
                           args=request.args, query=request.query_string.decode())


@bp.get("/reports/export.csv")
@login_required("viewer")
def reports_export():
    """The HXL CSV, as the API's export (no numbers, no free text, clearance respected)."""
    filters = _filters()
    try:
        filters.validate()
    except exports.InvalidFilter as exc:
        return Response(str(exc), status=400, mimetype="text/plain")
    body = "".join(exports.csv_chunks(exports.report_rows(filters, g.sensitive_access)))
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="murya-reports-{utcnow().strftime("%Y%m%d")}.csv"'})
