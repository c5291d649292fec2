"""Health and Prometheus metrics."""
from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify
from prometheus_client import CollectorRegistry, generate_latest, CONTENT_TYPE_LATEST
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select, text

from gateway.extensions import db
from gateway.models import Message, Report, Ticket

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz():
    """200 when the database and the queue answer; 503 naming what failed."""
    result, ok = {}, True
    try:
        db.session.execute(text("SELECT 1"))
        result["database"] = "ok"
    except Exception as exc:  # report, do not raise: this endpoint exists to say what is down
        db.session.rollback()
        result["database"] = f"error: {type(exc).__name__}"
        ok = False
    try:
        current_app.extensions["redis"].ping()
        result["queue"] = "ok"
    except Exception as exc:
        result["queue"] = f"error: {type(exc).__name__}"
        ok = False
    return jsonify(result), 200 if ok else 503


class GatewayCollector:
    """Counts read from the database and Redis at scrape time, so every process reports the same."""

    def __init__(self, app):
        self.app = app

    def collect(self):
        with self.app.app_context():
            messages = GaugeMetricFamily("murya_messages", "Messages by direction and status",
                                         labels=["direction", "status"])
            for direction, status, count in db.session.execute(
                    select(Message.direction, Message.status, func.count()).group_by(Message.direction, Message.status)):
                messages.add_metric([direction, status], count)
            yield messages
            reports = GaugeMetricFamily("murya_reports", "Reports by status", labels=["status"])
            for status, count in db.session.execute(select(Report.status, func.count()).group_by(Report.status)):
                reports.add_metric([status], count)
            yield reports
            tickets = GaugeMetricFamily("murya_tickets", "Tickets by status", labels=["status"])
            for status, count in db.session.execute(select(Ticket.status, func.count()).group_by(Ticket.status)):
                tickets.add_metric([status], count)
            yield tickets
            queued = GaugeMetricFamily("murya_queue_jobs", "Jobs waiting per queue", labels=["queue"])
            for name, q in self.app.extensions["queues"].items():
                queued.add_metric([name], q.count)
            yield queued


@bp.get("/metrics")
def metrics():
    """Prometheus text format."""
    registry = CollectorRegistry()
    registry.register(GatewayCollector(current_app._get_current_object()))
    return generate_latest(registry), 200, {"Content-Type": CONTENT_TYPE_LATEST}
