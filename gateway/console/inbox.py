"""Console: the hotline operators' inbox and ticket page."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from gateway.console import bp
from gateway.console.auth import NAV, current_user, login_required
from gateway.console.helpers import check_csrf, page_number, query_args
from gateway.extensions import db
from gateway.models import Category, Report
from gateway.models.tickets import TICKET_KINDS
from gateway.services import inbox, places, ticket_views, visibility
from gateway.services.paging import Page

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
                        ("a label has", _("A label has 1 to 40 letters, digits, spaces or -.")),
                        ("canned reply",
                         _("This ready-made reply has no text in the person's language nor in French.")),
                        ("no canned reply", _("This ready-made reply no longer exists."))):
        if message.startswith(start):
            return text
    return _("This action is not possible on this ticket.")


FILTER_KEYS = ("status", "kind", "priority", "mine", "region", "q")


def _filters() -> ticket_views.InboxFilters:
    priority = request.args.get("priority")
    region = request.args.get("region") or None
    filters = ticket_views.InboxFilters(
        status=request.args.get("status", "active") or None, kind=request.args.get("kind") or None,
        priority=int(priority) if priority and priority.isdigit() else None,
        region=region if region in {r.pcode for r in places.regions()} else None,
        search=(request.args.get("q") or "").strip()[:200] or None)
    if request.args.get("mine"):
        filters.assignee_id = current_user().id
    return filters


@bp.get("/inbox")
@login_required("operator")
def inbox_page():
    """Open tickets, most urgent first, with what was said, where, how long ago and who holds it."""
    filters = _filters()
    try:
        page = ticket_views.inbox_page(filters, g.viewer, page_number())
    except inbox.InboxError as exc:
        flash(explain(exc), "error")
        page = Page([], 0, 1, 1)
    return render_template("console/inbox.html", page=page, rows=ticket_views.inbox_rows(page.items),
                           filters=filters, kinds=TICKET_KINDS, regions=places.regions(),
                           holder_name=inbox.holder_name, me=current_user(), args=request.args,
                           page_url=lambda n: url_for("console.inbox_page", **query_args(FILTER_KEYS, page=n)),
                           back=request.full_path)


def _bulk_one(action: str, ticket, user, label: str, notify: bool) -> bool:
    """One ticket of a bulk action; False when it was skipped (held by someone else, closed)."""
    if action == "claim":
        if ticket.assignee_id and ticket.assignee_id != user.id:
            return False
        inbox.claim(ticket, user, g.actor)
    elif action == "close":
        if ticket.assignee_id and ticket.assignee_id != user.id:
            return False
        inbox.close(ticket, user, g.actor, notify=notify)
    else:
        inbox.add_label(ticket, user, g.actor, label)
    return True


@bp.post("/inbox/bulk")
@login_required("operator")
def inbox_bulk():
    """Claim, label or close the ticked tickets; those someone else holds are left alone.

    Closing tells each person by SMS unless the operator unticks it (the ticket page's choice):
    a batch of duplicates or tests should close quietly."""
    check_csrf()
    action, label = request.form.get("action"), (request.form.get("label") or "").strip()
    notify = request.form.get("notify", "1") == "1"
    back = request.form.get("back") or ""
    if not back.startswith("/console/") or back.startswith("//"):
        back = url_for("console.inbox_page")
    ids = sorted({int(i) for i in request.form.getlist("ticket") if i.isdigit()})
    if action not in ("claim", "label", "close") or not ids:
        flash(_("Tick at least one ticket and choose an action."), "error")
        return redirect(back)
    if action == "label" and not inbox.LABEL.match(" ".join(label.split()).lower()):
        flash(_("A label has 1 to 40 letters, digits, spaces or -."), "error")
        return redirect(back)
    user, done, skipped = current_user(), 0, 0
    for ticket_id in ids:
        try:
            ticket = inbox.get_ticket(ticket_id, g.viewer)
            if ticket.status == "closed" and action != "label":
                skipped += 1
                continue
            if _bulk_one(action, ticket, user, label, notify):
                done += 1
            else:
                skipped += 1
        except inbox.InboxError:
            db.session.rollback()
            skipped += 1
    words = {"claim": _("Claimed: %(done)s.", done=done), "label": _("Labelled: %(done)s.", done=done),
             "close": _("Closed: %(done)s (the people are told).", done=done) if notify
             else _("Closed: %(done)s (no SMS sent).", done=done)}
    flash(words[action] + (" " + _("Left alone (held by someone else or closed): %(n)s.", n=skipped)
                           if skipped else ""), "info")
    return redirect(back)


@bp.get("/inbox/next")
@login_required("operator")
def next_ticket():
    """The next ticket to work on (the first one in the inbox nobody else holds)."""
    ticket = ticket_views.next_ticket(current_user(), g.viewer)
    if ticket is None:
        flash(_("Nothing else is waiting."), "info")
        return redirect(url_for("console.inbox_page"))
    return redirect(url_for("console.ticket_page", ticket_id=ticket.id))


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
                           language=language, timeline=ticket_views.timeline(ticket),
                           authors=ticket_views.note_authors(ticket), partner=ticket_views.partner_of(ticket),
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


def _label(t, u, form, force):
    inbox.add_label(t, u, g.actor, form.get("label", ""))
    return _("Label added.")


ACTIONS = {"claim": _claim, "release": _release, "triage": _triage, "note": _note, "reply": _reply,
           "refer": _refer, "close": _close, "label": _label}


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
        # Straight on to the next ticket waiting, as an operator works through the queue.
        following = ticket_views.next_ticket(user, g.viewer, after=ticket)
        if following is None:
            flash(_("Nothing else is waiting."), "info")
            return redirect(url_for("console.inbox_page"))
        flash(_("Next ticket waiting: T-%(id)s.", id=following.id), "info")
        return redirect(url_for("console.ticket_page", ticket_id=following.id))
    return redirect(url_for("console.ticket_page", ticket_id=ticket_id))
