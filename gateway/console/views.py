"""Console pages. Each capability adds its own module to MODULES."""
from __future__ import annotations

import importlib

from flask import g, render_template
from sqlalchemy import func, select

from gateway.console import bp
from gateway.console.auth import login_required
from gateway.extensions import db
from gateway.models import Contact, Message, Report, Ticket, TicketStatus
from gateway.services import visibility


@bp.get("/")
@login_required()
def index():
    """Dashboard: the numbers that matter today (reports and tickets: those the user may see;
    message totals say nothing of any one message)."""
    reports = visibility.reports(g.viewer, select(func.count()).select_from(Report))
    tickets = visibility.tickets(g.viewer, select(func.count()).select_from(Ticket)
                                 .where(Ticket.status != TicketStatus.CLOSED))
    counts = {
        "contacts": db.session.scalar(select(func.count()).select_from(Contact)),
        "reports": db.session.scalar(reports),
        "open_tickets": db.session.scalar(tickets),
        "messages_in": db.session.scalar(select(func.count()).select_from(Message).where(Message.direction == "in")),
        "messages_out": db.session.scalar(select(func.count()).select_from(Message).where(Message.direction == "out")),
    }
    return render_template("console/index.html", counts=counts)


# In menu order: each module adds its own entry to auth.NAV.
MODULES: list[str] = ["gateway.console.helpers", "gateway.console.locale", "gateway.console.names",
                      "gateway.console.inbox", "gateway.console.messages", "gateway.console.reports", "gateway.console.activities",
                      "gateway.console.campaigns", "gateway.console.contacts", "gateway.console.simulator",
                      "gateway.console.admin", "gateway.console.admin_rules",
                      "gateway.console.admin_texts", "gateway.console.admin_audit"]

for _name in MODULES:
    importlib.import_module(_name)
