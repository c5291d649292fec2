"""Report exports for partners (HXL-tagged CSV) and the counts behind the console's charts.

HXL (https://hxlstandard.org/standard/1-1final/dictionary/): the first row is for people, the
second holds the hashtags machines read. Never a phone number (`#contact+phone`), no free text
unless asked for by a role allowed to read it, sensitive categories only for cleared callers.
Dates are Niger's calendar days (Africa/Niamey), no time of day: a day is precise enough to
count, and coarser is safer for the people who reported.
"""
from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Iterator

from sqlalchemy import func, select

from gateway.extensions import db
from gateway.models import AdminArea, Category, Report
from gateway.models.reports import REPORT_STATUSES
from gateway.services import visibility
from gateway.services.errors import Forbidden, Invalid
from gateway.services.places import InvalidPcode, canonical_pcode
from gateway.services.visibility import Viewer
from gateway.timezone import NIGER


class InvalidFilter(Invalid):
    """A filter value is wrong; the message names it."""

    code = "invalid_parameter"


@dataclass
class ReportFilters:
    """The filters of GET /reports, shared by the export and the summary."""

    since: datetime | None = None
    until: datetime | None = None
    region: str | None = None
    category: str | None = None
    status: str | None = None

    def validate(self) -> None:
        """Raise InvalidFilter now rather than half-way through a streamed export."""
        self.narrow(select(Report))

    def apply(self, stmt, viewer: Viewer):
        """Narrow a SELECT over Report to the filters and to what `viewer` may see."""
        return visibility.reports(viewer, self.narrow(stmt))

    def narrow(self, stmt):
        """Narrow a SELECT over Report to the filters alone."""
        if self.since:
            stmt = stmt.where(Report.created_at >= self.since)
        if self.until:
            stmt = stmt.where(Report.created_at < self.until)
        if self.region:
            try:
                stmt = stmt.where(Report.adm1_pcode == canonical_pcode(self.region))
            except InvalidPcode as exc:
                raise InvalidFilter(str(exc)) from None
        if self.category:
            stmt = stmt.where(Report.category_code == self.category)
        if self.status:
            if self.status not in REPORT_STATUSES:
                raise InvalidFilter(f"status must be one of {', '.join(REPORT_STATUSES)}")
            stmt = stmt.where(Report.status == self.status)
        return stmt


def _day(value: datetime | None) -> str:
    return value.astimezone(NIGER).date().isoformat() if value else ""


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


# (human header, HXL hashtag, value from (report, names, categories))
COLUMNS = [
    ("Date reported", "#date+reported", lambda r, n, c: _day(r.created_at)),
    ("Date occurred", "#date+occurred", lambda r, n, c: r.occurred_on.isoformat() if r.occurred_on else ""),
    ("Region P-code", "#adm1+code", lambda r, n, c: r.adm1_pcode or ""),
    ("Region", "#adm1+name", lambda r, n, c: n.get(r.adm1_pcode, "")),
    ("Department P-code", "#adm2+code", lambda r, n, c: r.adm2_pcode or ""),
    ("Department", "#adm2+name", lambda r, n, c: n.get(r.adm2_pcode, "")),
    ("Commune P-code", "#adm3+code", lambda r, n, c: r.adm3_pcode or ""),
    ("Event type", "#event+type", lambda r, n, c: c[r.category_code].hxl_type if r.category_code in c else ""),
    ("Category", "#event+type+code", lambda r, n, c: r.category_code),
    ("Category name", "#event+type+name", lambda r, n, c: c[r.category_code].name("fra") if r.category_code in c else ""),
    # Assessed by an operator when triaged, else as the person reported it (both 1 low … 3 high).
    ("Severity", "#severity", lambda r, n, c: r.severity if r.severity is not None else r.urgency),
    ("Urgency reported", "#severity+reported", lambda r, n, c: r.urgency),
    ("Urgent", "#indicator+urgent", lambda r, n, c: _yes_no(r.urgent)),
    ("Status", "#status", lambda r, n, c: r.status),
    ("Verified", "#status+verified", lambda r, n, c: _yes_no(r.verified)),
    ("Reference", "#meta+ref", lambda r, n, c: r.reference),
    ("Channel", "#meta+channel", lambda r, n, c: r.channel),
    ("Language", "#language+code", lambda r, n, c: r.language or ""),
]
TEXT_COLUMN = ("Text", "#description", lambda r, n, c: r.text or "")   # rows only of reports the viewer sees


def _lookups() -> tuple[dict, dict]:
    names = dict(db.session.execute(select(AdminArea.pcode, AdminArea.name)).all())
    categories = {c.code: c for c in db.session.scalars(select(Category))}
    return names, categories


def report_rows(filters: ReportFilters, viewer: Viewer, include_text: bool = False) -> Iterator[list]:
    """The header row, the HXL hashtag row, then one row per report `viewer` may see, oldest first.
    Free text only for roles that read it (Forbidden otherwise)."""
    if include_text and not viewer.reads_text:
        raise Forbidden("your role may not export free text")
    columns = COLUMNS + ([TEXT_COLUMN] if include_text else [])
    stmt = filters.apply(select(Report), viewer).order_by(Report.created_at, Report.id)
    names, categories = _lookups()
    yield [c[0] for c in columns]
    yield [c[1] for c in columns]
    for report in db.session.scalars(stmt.execution_options(yield_per=500)):
        yield [c[2](report, names, categories) for c in columns]


# A cell a spreadsheet reads as a formula (OWASP "CSV injection"): =, +, -, @, and tab or
# carriage return, which some spreadsheets skip before looking for one.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A plain signed number (a phone number such as +227 90 00 00 01) runs nothing and stays as is.
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9][0-9 ]*")


def spreadsheet_cell(value: object) -> object:
    """`value` as a CSV/XLSX cell no spreadsheet runs: text starting like a formula gets a
    leading `'` (the OWASP way), so it shows as typed. Every export writes its cells through it."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def spreadsheet_row(row: Iterable[object]) -> list[object]:
    """A row of cells, each through spreadsheet_cell."""
    return [spreadsheet_cell(value) for value in row]


def csv_text(rows: Iterable[list]) -> str:
    """Rows as one CSV text, cells neutralised (small exports: templates, rejected rows)."""
    return "".join(csv_chunks(iter(rows)))


def csv_chunks(rows: Iterator[list], rows_per_chunk: int = 500) -> Iterator[str]:
    """Render rows as CSV text in chunks, for a streamed response (cells through spreadsheet_cell)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for count, row in enumerate(rows, start=1):
        writer.writerow(spreadsheet_row(row))
        if count % rows_per_chunk == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def iso_week(value: datetime) -> str:
    """The ISO week of a time in Niger, as `2026-W48`."""
    year, week, _ = value.astimezone(NIGER).isocalendar()
    return f"{year}-W{week:02d}"


def summary(filters: ReportFilters, viewer: Viewer) -> dict:
    """Counts of the reports `viewer` may see by region, category and ISO week (Niger time)."""
    base = filters.apply(select(Report), viewer).subquery()
    names, categories = _lookups()
    by_region = db.session.execute(select(base.c.adm1_pcode, func.count()).group_by(base.c.adm1_pcode)).all()
    by_category = db.session.execute(select(base.c.category_code, func.count()).group_by(base.c.category_code)).all()
    # Weeks are counted here, not in SQL: week boundaries follow Niger time on every database.
    weeks = Counter(iso_week(at) for at in db.session.scalars(
        select(Report.created_at).join(base, base.c.id == Report.id).execution_options(yield_per=2000)))
    total = sum(count for _, count in by_region)
    return {
        "total": total,
        "by_region": sorted(({"adm1_pcode": code, "name": names.get(code, "unknown") if code else "unknown",
                              "count": count} for code, count in by_region), key=lambda x: -x["count"]),
        "by_category": sorted(({"category": code, "name": categories[code].name("fra") if code in categories else code,
                                "sensitive": bool(code in categories and categories[code].sensitive),
                                "count": count} for code, count in by_category), key=lambda x: -x["count"]),
        "by_week": [{"week": week, "count": weeks[week]} for week in sorted(weeks)],
    }


def recent_reports(filters: ReportFilters, viewer: Viewer, limit: int = 50) -> list[Report]:
    """The newest reports matching `filters` that `viewer` may see, for the console table."""
    stmt = filters.apply(select(Report), viewer).order_by(Report.created_at.desc(), Report.id.desc())
    return list(db.session.scalars(stmt.limit(limit)))
