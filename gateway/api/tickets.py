"""GET /api/v1/tickets, GET /tickets/<id>, and the operator actions as POSTs.

Actions: claim, release, triage, note, reply, refer, close. Claims are soft locks: acting on a
ticket someone else holds answers 409 `ticket_held` unless the body has `"force": true`.
Sensitive tickets exist only for callers with sensitive access (404 for the others).
"""
from __future__ import annotations

from flask import g, request

from gateway.api import bp
from gateway.api.auth import require_role
from gateway.api.openapi import document, query
from gateway.api.pagination import page, parse_int, parse_since
from gateway.errors import APIError
from gateway.extensions import db
from gateway.models import Message, Partner, Report, Ticket
from gateway.models.tickets import TICKET_KINDS
from gateway.services import inbox, visibility


def _iso(value):
    return value.isoformat() if value else None


def serialize_ticket(ticket: Ticket, detail: bool = False) -> dict:
    """A ticket the caller may see; free text (summary, notes, messages) and the rest as the
    caller's role and clearance allow (gateway/services/visibility.py)."""
    viewer = g.viewer
    can_read = viewer.reads_text
    body = {
        "id": ticket.id, "kind": ticket.kind, "status": ticket.status, "priority": ticket.priority,
        "category": ticket.category_code, "severity": ticket.severity, "verified": ticket.verified,
        "sensitive": ticket.sensitive, "labels": visibility.labels(viewer, ticket.labels),
        "language": ticket.language,
        "contact": ticket.contact.reporter_code if ticket.contact else None,
        "report": None, "holder": None, "claimed_at": _iso(ticket.claimed_at), "partner": None,
        "created_at": _iso(ticket.created_at), "updated_at": _iso(ticket.updated_at),
        "closed_at": _iso(ticket.closed_at),
    }
    if ticket.assignee is not None:
        body["holder"] = {"id": ticket.assignee.id, "name": inbox.holder_name(ticket)}
    if ticket.partner_id:
        partner = db.session.get(Partner, ticket.partner_id)
        body["partner"] = {"id": partner.id, "name": partner.name} if partner else None
    report = db.session.get(Report, ticket.report_id) if ticket.report_id else None
    if not visibility.can_see_report(viewer, report):
        report = None
    if report is not None:
        body["report"] = report.reference
    if can_read:
        body["summary"] = visibility.ticket_summary(viewer, ticket)
    if not detail:
        return body
    if report is not None:
        body["report_detail"] = {
            "reference": report.reference, "category": report.category_code, "adm1_pcode": report.adm1_pcode,
            "adm2_pcode": report.adm2_pcode, "adm3_pcode": report.adm3_pcode, "occurred": report.occurred,
            "urgency": report.urgency, "anonymous": report.anonymous, "status": report.status,
            "channel": report.channel, "created_at": _iso(report.created_at),
            **({"text": visibility.report_text(viewer, report)} if can_read else {}),
        }
    body["notes"] = [{"id": n.id, "author_id": n.author_id, "created_at": _iso(n.created_at),
                      **({"text": visibility.note_text(viewer, n)} if can_read else {})} for n in ticket.notes]
    body["messages"] = [serialize_message(m) for m in inbox.thread(ticket, viewer)]
    return body


def serialize_message(message: Message) -> dict:
    """A message of a ticket's thread (one the caller may see)."""
    viewer = g.viewer
    return {"id": message.id, "direction": message.direction, "kind": message.kind,
            "language": message.language, "status": message.status, "created_at": _iso(message.created_at),
            **({"text": visibility.message_text(viewer, message)} if viewer.reads_text else {})}


ACTION_BODY = lambda props: {"application/json": {"schema": {"type": "object", "properties": {  # noqa: E731
    **props, "force": {"type": "boolean", "description": "act even if someone else holds the ticket"}}}}}

document("/tickets", "get", "List tickets, newest first (sensitive ones need sensitive access)", params=[
    query("status", "open, claimed, referred, closed, or active (not closed)"),
    query("kind", "ticket kind", {"type": "string", "enum": list(TICKET_KINDS)}),
    query("priority", "1 high … 3 low", {"type": "integer"}),
    query("since", "created at or after this ISO 8601 time"),
    query("assignee", "user id holding the ticket", {"type": "integer"}),
    query("limit", "page size (1-500)", {"type": "integer"}), query("after", "cursor from `next`", {"type": "integer"}),
])
document("/tickets/{id}", "get", "One ticket with its report, notes and messages",
         responses={"200": {"description": "OK"}, "404": {"description": "no such ticket (or not cleared)"}})
_ACTIONS = {
    "claim": ("Claim the ticket (soft lock)", {}),
    "release": ("Release the ticket", {}),
    "triage": ("Set category, severity (1-3) and verified", {
        "category": {"type": "string"}, "severity": {"type": "integer", "enum": [1, 2, 3]},
        "verified": {"type": "boolean"}}),
    "note": ("Add a note", {"text": {"type": "string"}}),
    "reply": ("Reply by SMS in the person's language", {
        "text": {"type": "string"}, "canned_reply_id": {"type": "integer"}}),
    "refer": ("Refer to a partner", {"partner_id": {"type": "integer"}}),
    "close": ("Close and tell the person (unless notify is false)", {"notify": {"type": "boolean"}}),
}
for _action, (_summary, _props) in _ACTIONS.items():
    document(f"/tickets/{{id}}/{_action}", "post", _summary, role="operator", body=ACTION_BODY(_props),
             responses={"200": {"description": "the ticket after the action"},
                        "400": {"description": "invalid input"}, "403": {"description": "role too low"},
                        "404": {"description": "no such ticket"},
                        "409": {"description": "closed, held by someone else, or no contact"}})
document("/partners", "get", "Partners a ticket can be referred to", role="operator")
document("/canned-replies", "get", "Ready-made replies, one text per language", role="operator")


@bp.get("/tickets")
@require_role("viewer")
def list_tickets():
    """Tickets filtered by status, kind, priority, since and assignee."""
    filters = inbox.TicketFilters(status=request.args.get("status") or None,
                                  kind=request.args.get("kind") or None, priority=parse_int("priority"),
                                  since=parse_since(), assignee_id=parse_int("assignee"))
    try:
        stmt = inbox.ticket_query(filters, g.viewer)
    except inbox.InboxError as exc:
        raise APIError(400, "invalid_parameter", exc.message) from None
    return page(stmt, Ticket.id, serialize_ticket, "api.list_tickets")


def _ticket(ticket_id: int) -> Ticket:
    return inbox.get_ticket(ticket_id, g.viewer)


@bp.get("/tickets/<int:ticket_id>")
@require_role("viewer")
def get_ticket(ticket_id: int):
    """One ticket in detail."""
    return serialize_ticket(_ticket(ticket_id), detail=True)


def _body() -> dict:
    data = request.get_json(silent=True) if request.is_json else request.form.to_dict()
    if data is None and request.get_data():
        raise APIError(400, "invalid_body", "the body is not valid JSON")
    if data is not None and not isinstance(data, dict):
        raise APIError(400, "invalid_body", "send a JSON object")
    return data or {}


def _flag(data: dict, name: str, default: bool = False) -> bool:
    value = data.get(name, default)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on", "0", "false", "no", "off", ""):
        return value.strip().lower() in ("1", "true", "yes", "on")
    raise APIError(400, "invalid_field", f"{name} must be true or false")


def _act(ticket_id: int, action):
    """Run one action: parse, call the inbox service, answer the ticket (or the service's error)."""
    data = _body()
    ticket = _ticket(ticket_id)
    user = inbox.user_for_token(g.api_token)
    force = _flag(data, "force")
    extra = action(ticket, user, data, force) or {}
    db.session.refresh(ticket)
    return {**serialize_ticket(ticket, detail=True), **extra}


def _message_info(message: Message | None) -> dict:
    if message is None:
        return {"message": None}
    return {"message": {"id": message.id, "status": message.status, "language": message.language,
                        "segments": message.segments, "encoding": message.encoding}}


@bp.post("/tickets/<int:ticket_id>/claim")
@require_role("operator")
def claim_ticket(ticket_id: int):
    """Claim a ticket; 409 when someone else holds it, unless forced."""
    return _act(ticket_id, lambda t, u, d, f: inbox.claim(t, u, g.actor, force=f) and None)


@bp.post("/tickets/<int:ticket_id>/release")
@require_role("operator")
def release_ticket(ticket_id: int):
    """Release a ticket."""
    return _act(ticket_id, lambda t, u, d, f: inbox.release(t, u, g.actor, force=f) and None)


@bp.post("/tickets/<int:ticket_id>/triage")
@require_role("operator")
def triage_ticket(ticket_id: int):
    """Set category, severity and verified."""
    return _act(ticket_id, lambda t, u, d, f: inbox.triage(
        t, u, g.actor, category=d.get("category") or None, severity=d.get("severity"),
        verified=d.get("verified"), force=f) and None)


@bp.post("/tickets/<int:ticket_id>/note")
@require_role("operator")
def note_ticket(ticket_id: int):
    """Add a note."""
    def action(t, u, d, f):
        text = d.get("text")
        if text is not None and not isinstance(text, str):
            raise inbox.InvalidAction("text must be a string")
        inbox.add_note(t, u, g.actor, text or "")
    return _act(ticket_id, action)


@bp.post("/tickets/<int:ticket_id>/reply")
@require_role("operator")
def reply_ticket(ticket_id: int):
    """Reply by SMS (text, or a canned reply in the person's language)."""
    def action(t, u, d, f):
        text, canned = d.get("text"), d.get("canned_reply_id")
        if text is not None and not isinstance(text, str):
            raise inbox.InvalidAction("text must be a string")
        if canned not in (None, ""):
            try:
                canned = int(canned)
            except (TypeError, ValueError):
                raise inbox.InvalidAction("canned_reply_id must be an integer") from None
        else:
            canned = None
        return _message_info(inbox.reply(t, u, g.actor, text=text, canned_reply_id=canned, force=f))
    return _act(ticket_id, action)


@bp.post("/tickets/<int:ticket_id>/refer")
@require_role("operator")
def refer_ticket(ticket_id: int):
    """Refer to a partner."""
    return _act(ticket_id, lambda t, u, d, f: inbox.refer(t, u, g.actor, d.get("partner_id"), force=f) and None)


@bp.post("/tickets/<int:ticket_id>/close")
@require_role("operator")
def close_ticket(ticket_id: int):
    """Close the ticket; the person is told, closing the feedback loop."""
    return _act(ticket_id, lambda t, u, d, f: _message_info(
        inbox.close(t, u, g.actor, notify=_flag(d, "notify", True), force=f)))


@bp.get("/partners")
@require_role("operator")
def list_partners():
    """Active partners."""
    return {"items": [{"id": p.id, "name": p.name, "description": p.description} for p in inbox.partners()]}


@bp.get("/canned-replies")
@require_role("operator")
def list_canned_replies():
    """Canned replies with their texts per language."""
    return {"items": [{"id": c.id, "name": c.name, "texts": c.texts} for c in inbox.canned_replies()]}

