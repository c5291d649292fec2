"""Console: every SMS in and out in one list — filters, search over text, pages — and "open a
ticket from this message" for what the flagging rules missed."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from gateway.console import bp
from gateway.console.auth import NAV, login_required
from gateway.console.helpers import (can_read_text, check_csrf, day_arg, page_number,
                                     query_args)
from gateway.i18n import LANGUAGES
from gateway.services import message_views, places, visibility
from gateway.services.report_views import day_range
from gateway.services.ticket_intake import NoTicketFromMessage, open_for_message

NAV.append(("console.messages", _l("Messages"), "viewer"))
FILTER_KEYS = ("direction", "channel", "language", "region", "flagged", "from", "to", "q")


def _filters() -> tuple[message_views.MessageFilters, list[str]]:
    errors: list[str] = []
    since, until = day_range(day_arg("from", errors), day_arg("to", errors))
    flagged = {"1": True, "0": False}.get(request.args.get("flagged", ""))
    region = request.args.get("region") or None
    if region and region not in {r.pcode for r in places.regions()}:
        errors.append(_("Choose a region from the list."))
        region = None
    search = (request.args.get("q") or "").strip()[:200] or None
    if search and not can_read_text():
        # Searching text one may not read would tell what it says.
        errors.append(_("Your role does not search the text of messages."))
        search = None
    return message_views.MessageFilters(
        direction=request.args.get("direction") or None, channel=request.args.get("channel") or None,
        language=request.args.get("language") or None, region=region, flagged=flagged, since=since,
        until=until, search=search), errors


@bp.get("/messages")
@login_required("viewer")
def messages():
    """Every message in and out, newest first, a page at a time."""
    filters, errors = _filters()
    page = message_views.messages_page(filters, g.viewer, page_number())
    return render_template(
        "console/messages.html", page=page, errors=errors, args=request.args, languages=LANGUAGES,
        regions=places.regions(), channels=message_views.channels(),
        tickets=message_views.tickets_of(page.items, g.viewer),
        page_url=lambda n: url_for("console.messages", **query_args(FILTER_KEYS, page=n)))


@bp.post("/messages/<int:message_id>/ticket")
@login_required("operator")
def message_ticket(message_id: int):
    """Open a hotline ticket from a message (or go to the one that already holds it)."""
    check_csrf()
    message = message_views.get_message(message_id)
    if message is None:
        abort(404)
    try:
        ticket, created = open_for_message(message, g.actor, visibility.sensitive_labels())
    except NoTicketFromMessage:
        flash(_("Only a message received from a person can open a ticket."), "error")
        return redirect(request.referrer or url_for("console.messages"))
    if not visibility.can_see_ticket(g.viewer, ticket):
        flash(_("This message is already in a ticket for designated staff only."), "info")
        return redirect(url_for("console.messages"))
    flash(_("Ticket T-%(id)s opened from this message.", id=ticket.id) if created
          else _("This message is already in ticket T-%(id)s.", id=ticket.id), "info")
    return redirect(url_for("console.ticket_page", ticket_id=ticket.id))
