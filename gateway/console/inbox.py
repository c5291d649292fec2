"""Console: the hotline operators' inbox and ticket page."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from gateway.console import bp
from gateway.console.auth import NAV, current_user, login_required
from gateway.console.helpers import check_csrf
from gateway.extensions import db
from gateway.models import Category, Report
from gateway.models.tickets import TICKET_KINDS
from gateway.services import inbox, visibility

NAV.append(("console.inbox_page", _l("Inbox"), "operator"))


def explain(exc: inbox.InboxError) -> str:
    """What went wrong, in the console's language (the service's message is the API's)."""
    by_code = {
        "ticket_held": _("Someone else holds this ticket: take it over first."),
        "ticket_closed": _("This ticket is closed."),
        "not_claimed": _("Nobody holds this ticket."),
        "no_contact": _("This ticket has nobody to answer (anonymous report)."),
        "forbidden": _("Only administrators can see phone numbers."),
        "not_found": _("This ticket does not exist, or you may not see it."),
    }
    if exc.code in by_code:
        return by_code[exc.code]
    message = exc.message
    for start, text in (("the note is empty", _("The note is empty.")),
                        ("a note has at most", _("A note has at most %(n)s characters.", n=inbox.MAX_NOTE)),
                        ("give the reply text", _("Write a reply or choose a ready-made one.")),
                        ("a reply has at most", _("A reply has at most %(n)s characters.", n=inbox.MAX_REPLY)),
                        ("give at least one of", _("Choose a category, a severity or whether it is verified.")),
                        ("unknown category", _("Choose a category from the list.")),
                        ("unknown partner", _("Choose a partner from the list.")),
                        ("canned reply",
                         _("This ready-made reply has no text in the person's language nor in French.")),
                        ("no canned reply", _("This ready-made reply no longer exists."))):
        if message.startswith(start):
            return text
    return _("This action is not possible on this ticket.")


def _filters() -> inbox.TicketFilters:
    priority = request.args.get("priority")
    filters = inbox.TicketFilters(status=request.args.get("status", "active") or None,
                                  kind=request.args.get("kind") or None,
                                  priority=int(priority) if priority and priority.isdigit() else None)
    if request.args.get("mine"):
        filters.assignee_id = current_user().id
    return filters


@bp.get("/inbox")
@login_required("operator")
def inbox_page():
    """Open tickets, most urgent first, with who holds each one."""
    filters = _filters()
    try:
        tickets = inbox.inbox(filters, g.viewer)
    except inbox.InboxError as exc:
        flash(explain(exc), "error")
        tickets = []
    return render_template("console/inbox.html", tickets=tickets, filters=filters, kinds=TICKET_KINDS,
                           holder_name=inbox.holder_name, me=current_user())


def _ticket_or_404(ticket_id: int):
    try:
        return inbox.get_ticket(ticket_id, g.viewer)
    except inbox.TicketNotFound:
        abort(404)


def render_ticket(ticket, revealed_number: str | None = None):
    """The ticket page (also used to show a revealed number once, never stored)."""
    report = db.session.get(Report, ticket.report_id) if ticket.report_id else None
    if not visibility.can_see_report(g.viewer, report):
        report = None
    categories = db.session.scalars(db.select(Category).where(Category.active.is_(True))
                                    .order_by(Category.position)).all()
    if not g.viewer.cleared:
        categories = [c for c in categories if not c.sensitive or c.code == ticket.category_code]
    language = inbox.reply_language(ticket)
    canned = [(c, (c.texts or {}).get(language) or (c.texts or {}).get("fra") or "") for c in inbox.canned_replies()]
    return render_template("console/ticket.html", ticket=ticket, report=report, messages=inbox.thread(ticket, g.viewer),
                           categories=categories, partners=inbox.partners(), canned=canned,
                           language=language,
                           holder=inbox.holder_name(ticket), me=current_user(),
                           reference=inbox.ticket_reference(ticket), revealed_number=revealed_number)


@bp.get("/inbox/<int:ticket_id>")
@login_required("operator")
def ticket_page(ticket_id: int):
    """One ticket: the message or report, the thread, notes, and every action."""
    return render_ticket(_ticket_or_404(ticket_id))


def _claim(t, u, form, force):
    inbox.claim(t, u, g.actor, force=force)
    return _("Ticket claimed.")


def _release(t, u, form, force):
    inbox.release(t, u, g.actor, force=force)
    return _("Ticket released.")


def _triage(t, u, form, force):
    inbox.triage(t, u, g.actor, category=form.get("category") or None, severity=form.get("severity"),
                 verified=form.get("verified"), force=force)
    return _("Triage saved.")


def _note(t, u, form, force):
    inbox.add_note(t, u, g.actor, form.get("text", ""))
    return _("Note added.")


def _reply(t, u, form, force):
    canned = form.get("canned_reply_id", "")
    inbox.reply(t, u, g.actor, text=form.get("text"), force=force,
                canned_reply_id=int(canned) if canned.isdigit() else None)
    return _("Reply queued for sending.")


def _refer(t, u, form, force):
    inbox.refer(t, u, g.actor, form.get("partner_id"), force=force)
    return _("Referred to the partner.")


def _close(t, u, form, force):
    message = inbox.close(t, u, g.actor, notify=form.get("notify", "1") == "1", force=force)
    return _("Ticket closed; the person is told.") if message else _("Ticket closed.")


ACTIONS = {"claim": _claim, "release": _release, "triage": _triage, "note": _note, "reply": _reply,
           "refer": _refer, "close": _close}


@bp.post("/inbox/<int:ticket_id>/<action>")
@login_required("operator")
def ticket_action(ticket_id: int, action: str):
    """Run one operator action from the ticket page's forms, then come back to the page."""
    check_csrf()
    ticket = _ticket_or_404(ticket_id)
    user = current_user()
    if action == "reveal":
        try:
            number = inbox.reveal_number(ticket, user, g.actor)
        except inbox.InboxError as exc:
            db.session.rollback()
            flash(explain(exc), "error")
            return redirect(url_for("console.ticket_page", ticket_id=ticket_id))
        return render_ticket(ticket, revealed_number=number)
    if action not in ACTIONS:
        abort(404)
    try:
        flash(ACTIONS[action](ticket, user, request.form, request.form.get("force") == "1"), "info")
    except inbox.InboxError as exc:
        db.session.rollback()
        flash(explain(exc), "error")
    if action == "close" and ticket.status == "closed":
        return redirect(url_for("console.inbox_page"))
    return redirect(url_for("console.ticket_page", ticket_id=ticket_id))
