"""Reads behind the console's report pages: a paginated, filtered list, one report with its
linked ticket and the history of its status. Nothing here changes a row.

What the caller may see is decided by gateway/services/visibility.py (through
`ReportFilters.apply`): a report the caller may not see is "not found", not "forbidden".
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select

from gateway.extensions import db
from gateway.models import ApiToken, AuditEntry, Report, Ticket, User
from gateway.services import visibility
from gateway.services.exports import InvalidFilter, ReportFilters
from gateway.services.paging import PER_PAGE, Page, paginate
from gateway.services.places import InvalidPcode, canonical_pcode
from gateway.services.visibility import Viewer

NIAMEY = ZoneInfo("Africa/Niamey")


@dataclass
class ReportListFilters(ReportFilters):
    """The exports' filters plus a department (both filters narrow: AND)."""

    department: str | None = None

    def narrow(self, stmt):
        """Narrow a SELECT over Report, as ReportFilters does, and by department."""
        stmt = super().narrow(stmt)
        if self.department:
            try:
                stmt = stmt.where(Report.adm2_pcode == canonical_pcode(self.department))
            except InvalidPcode as exc:
                raise InvalidFilter(str(exc)) from None
        return stmt


def day_start(day: date) -> datetime:
    """The first instant of a calendar day in Niger, as an aware time."""
    return datetime.combine(day, time(0), tzinfo=NIAMEY)


def day_range(first: date | None, last: date | None) -> tuple[datetime | None, datetime | None]:
    """`since` and `until` for the Niger days first … last, both included."""
    return (day_start(first) if first else None,
            day_start(last + timedelta(days=1)) if last else None)


def reports_page(filters: ReportListFilters, viewer: Viewer, number: int = 1,
                 per_page: int = PER_PAGE) -> Page:
    """Page `number` (from 1) of the reports matching `filters` that `viewer` may see, newest first."""
    stmt = filters.apply(select(Report), viewer)
    return paginate(stmt, (Report.created_at.desc(), Report.id.desc()), number, per_page)


def get_report(reference: str, viewer: Viewer) -> Report | None:
    """The report with `reference`, or None when there is none `viewer` may see."""
    stmt = ReportFilters().apply(select(Report).where(Report.reference == reference), viewer)
    return db.session.scalar(stmt)


def linked_tickets(report: Report, viewer: Viewer) -> list[Ticket]:
    """The hotline tickets opened about this report that `viewer` may see, oldest first."""
    stmt = visibility.tickets(viewer, select(Ticket).where(Ticket.report_id == report.id))
    return list(db.session.scalars(stmt.order_by(Ticket.id)))


# What each audited action does to the report's status (triage is worked out from its details).
_STATUS_AFTER = {"report.create": "new", "ticket.refer": "referred", "ticket.close": "closed"}


def actor_names(actors: set[str]) -> dict[str, str]:
    """Display names for audit actors (`user:3`, `token:7`); `system` and unknown ones map to ''."""
    users = {int(a[5:]) for a in actors if a.startswith("user:") and a[5:].isdigit()}
    tokens = {int(a[6:]) for a in actors if a.startswith("token:") and a[6:].isdigit()}
    names = {}
    if users:
        for user in db.session.scalars(select(User).where(User.id.in_(users))):
            names[f"user:{user.id}"] = user.name or user.email
    if tokens:
        for token in db.session.scalars(select(ApiToken).where(ApiToken.id.in_(tokens))):
            names[f"token:{token.id}"] = token.name
    return names


def history(report: Report, tickets: list[Ticket]) -> list[dict]:
    """Every audited step of the report and its tickets, oldest first, with the status after each."""
    # `status` is the report's status after the step, None when the step left it unchanged.
    conditions = [(AuditEntry.object_type == "report") & (AuditEntry.object_id == str(report.id))]
    if tickets:
        conditions.append((AuditEntry.object_type == "ticket")
                          & AuditEntry.object_id.in_([str(t.id) for t in tickets]))
    entries = list(db.session.scalars(select(AuditEntry).where(or_(*conditions))
                                      .order_by(AuditEntry.at, AuditEntry.id)))
    names = actor_names({e.actor for e in entries})
    steps, current = [], None
    for entry in entries:
        after = _STATUS_AFTER.get(entry.action)
        if entry.action == "ticket.triage":
            verified = entry.details.get("verified")
            after = ("verified" if verified else "unverified") if verified is not None else (
                "in_review" if current == "new" else None)
        changed = after if after is not None and after != current else None
        current = after or current
        # An anonymous report's times stop at the hour, as its own (reports.create_report): an
        # exact time could be matched with the person's other traces.
        at = entry.at.replace(minute=0, second=0, microsecond=0) if report.anonymous else entry.at
        steps.append({"at": at, "action": entry.action, "actor": entry.actor,
                      "actor_name": names.get(entry.actor, ""), "status": changed})
    return steps
