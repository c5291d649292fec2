"""Niger's departments and regions as SVG paths, and report counts per department to shade them.

Boundaries: `gateway/data/niger/niger_adm2.geojson` and `niger_adm1.geojson` (geoBoundaries,
CC BY 3.0, see SOURCES.md; the map must show ATTRIBUTION). They are drawn with a plain planar
(equirectangular) projection, x scaled by the cosine of Niger's middle latitude so shapes keep
their proportions, and nothing simplified beyond the file's own ~100 m. The paths are built once
per process: they depend on the files only.

Small counts single people out: a department with fewer than `MAP_MIN_COUNT` reports (but
some) is shown as "< N" and not shaded, on every map.
"""
from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from gateway.config import REFERENCE_DATA
from gateway.extensions import db
from gateway.models import Report

ATTRIBUTION = "Department boundaries: geoBoundaries (www.geoboundaries.org), CC BY 3.0"
WIDTH = 1000          # SVG user units across the map; heights follow the projection
SHADES = ("#fde0c5", "#f8ad7c", "#ee7746", "#d2442a", "#9e1f1b")   # light to dark, colour-blind safe order
BLANK = "#dde3e8"     # no report, or fewer than the threshold


@dataclass(frozen=True)
class Shape:
    """One area drawn on the map."""

    pcode: str
    name: str
    region_pcode: str
    path: str             # SVG path data in map units
    label_x: float
    label_y: float


@dataclass(frozen=True)
class Geometry:
    """Every shape, in the same projection, and the map's size in SVG units."""

    departments: tuple[Shape, ...]
    regions: tuple[Shape, ...]
    width: int
    height: int


def _rings(geometry: dict) -> list[list]:
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    return [ring for polygon in polygons for ring in polygon]


def _area_centroid(ring: list) -> tuple[float, float, float]:
    """Signed area and centroid of a ring (shoelace), in its own coordinates."""
    area = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:]):
        cross = x0 * y1 - x1 * y0
        area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if not area:
        return 0.0, ring[0][0], ring[0][1]
    return area / 2, cx / (3 * area), cy / (3 * area)


def _load(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)["features"]


def build(data_dir: Path = REFERENCE_DATA / "niger") -> Geometry:
    """Project both layers into one SVG frame."""
    departments, regions = _load(data_dir / "niger_adm2.geojson"), _load(data_dir / "niger_adm1.geojson")
    points = [p for f in departments for ring in _rings(f["geometry"]) for p in ring]
    west, east = min(p[0] for p in points), max(p[0] for p in points)
    south, north = min(p[1] for p in points), max(p[1] for p in points)
    stretch = math.cos(math.radians((north + south) / 2))
    scale = WIDTH / ((east - west) * stretch)

    def project(lon: float, lat: float) -> tuple[float, float]:
        return (lon - west) * stretch * scale, (north - lat) * scale

    def shape(feature: dict, level: str) -> Shape:
        rings = [[project(lon, lat) for lon, lat in ring] for ring in _rings(feature["geometry"])]
        path = "".join("M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in ring) + "Z" for ring in rings)
        # Label at the centroid of the largest ring (the mainland of a multi-part shape).
        _, lx, ly = max((_area_centroid(ring) for ring in rings), key=lambda c: abs(c[0]))
        props = feature["properties"]
        return Shape(pcode=props[f"{level}_pcode"], name=props[f"{level}_name"], region_pcode=props["adm1_pcode"],
                     path=path, label_x=round(lx, 1), label_y=round(ly, 1))

    return Geometry(departments=tuple(shape(f, "adm2") for f in departments),
                    regions=tuple(shape(f, "adm1") for f in regions),
                    width=WIDTH, height=math.ceil((north - south) * scale))


_lock = threading.Lock()
_geometry: Geometry | None = None


def geometry() -> Geometry:
    """The projected shapes, built on first use and kept for the life of the process."""
    global _geometry
    with _lock:
        if _geometry is None:
            _geometry = build()
        return _geometry


def department_counts(filters, viewer) -> dict[str, int]:
    """{department P-code: reports} for reports matching `filters` (an exports.ReportFilters)."""
    base = filters.apply(select(Report), viewer).subquery()
    rows = db.session.execute(select(base.c.adm2_pcode, func.count()).where(base.c.adm2_pcode.is_not(None))
                              .group_by(base.c.adm2_pcode))
    return {pcode: count for pcode, count in rows}


def min_count() -> int:
    """The smallest count a map shows as a number (MAP_MIN_COUNT)."""
    return current_app.config["MAP_MIN_COUNT"]


@dataclass(frozen=True)
class Shade:
    """One class of the legend: counts from `low` to `high` (both included) drawn in `colour`."""

    low: int
    high: int
    colour: str


def classes(counts: dict[str, int], threshold: int) -> list[Shade]:
    """Up to five classes of equal width from the threshold to the largest count."""
    top = max((c for c in counts.values() if c >= threshold), default=0)
    if not top:
        return []
    width = max(1, math.ceil((top - threshold + 1) / len(SHADES)))
    shades, low = [], threshold
    for colour in SHADES:
        if low > top:
            break
        shades.append(Shade(low, min(top, low + width - 1), colour))
        low += width
    return shades


def shade_of(count: int, shades: list[Shade]) -> str:
    """The fill for `count`: its class's colour, or BLANK below the threshold."""
    for shade in shades:
        if shade.low <= count <= shade.high:
            return shade.colour
    return BLANK
