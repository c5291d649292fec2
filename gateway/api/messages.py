"""GET /api/v1/messages: SMS in and out, newest first, never with a phone number."""
from __future__ import annotations

from flask import g
from sqlalchemy import select

from gateway.api import bp
from gateway.api.auth import require_role
from gateway.api.openapi import document, query
from gateway.api.pagination import page, parse_since, where_choice
from gateway.extensions import db
from gateway.models import Contact, Message
from gateway.models.messages import OUT_STATUSES
from gateway.services import visibility

IN_STATUSES = ("received",)
STATUSES = tuple(dict.fromkeys(IN_STATUSES + OUT_STATUSES))


def serializer():
    """A function rendering a message the caller may see, as their role allows (visibility)."""
    viewer = g.viewer
    codes: dict[int, str] = {}

    def serialize(message: Message) -> dict:
        if message.contact_id and message.contact_id not in codes:
            codes[message.contact_id] = db.session.scalar(
                select(Contact.reporter_code).where(Contact.id == message.contact_id))
        item = {
            "id": message.id, "direction": message.direction, "channel": message.channel,
            "language": message.language, "status": message.status,
            "created_at": message.created_at.isoformat(),
            "contact": codes.get(message.contact_id) if message.contact_id else None,
            "kind": message.kind, "keyword": message.keyword, "labels": visibility.labels(viewer, message.labels),
            "flagged": message.flagged, "segments": message.segments, "encoding": message.encoding,
            "reference": (message.extra or {}).get("reference"),
        }
        if viewer.reads_text:
            item["text"] = visibility.message_text(viewer, message)
        return item
    return serialize


document("/messages", "get", "List SMS messages in and out, newest first", params=[
    query("direction", "in or out", {"type": "string", "enum": ["in", "out"]}),
    query("status", "message status", {"type": "string", "enum": list(STATUSES)}),
    query("since", "only messages created at or after this ISO 8601 time"),
    query("limit", "page size (1-500)", {"type": "integer"}), query("after", "cursor from `next`", {"type": "integer"}),
], responses={"200": {"description": "`{items: [{id, direction, channel, language, status, created_at, contact, "
                                      "text (operator, staff, admin only)}], next}`; `contact` is the "
                                      "pseudonymous reporter code, never the number"}})


@bp.get("/messages")
@require_role("viewer")
def list_messages():
    """Messages filtered by direction, status and since; sensitive ones only for the cleared."""
    stmt = visibility.messages(g.viewer, select(Message))
    stmt = where_choice(stmt, Message.direction, "direction", ("in", "out"))
    stmt = where_choice(stmt, Message.status, "status", STATUSES)
    since = parse_since()
    if since:
        stmt = stmt.where(Message.created_at >= since)
    return page(stmt, Message.id, serializer(), "api.list_messages")
