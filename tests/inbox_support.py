"""Helpers shared by the inbox, ticket API and browser tests: tickets as the pipeline opens them."""
from __future__ import annotations

from gateway.extensions import db
from gateway.models import CannedReply, Message
from gateway.services import contacts
from gateway.services.reports import ReportDraft, create_report
from gateway.services.ticket_intake import open_ticket

NUMBER = "+22790555001"


def flagged_ticket(number: str = NUMBER, text: str = "Akwai fada a kasuwa, a taimaka", language: str = "hau",
                   priority: int = 1, category: str | None = None):
    """An inbound SMS flagged for the hotline, as the inbound pipeline records it."""
    contact, _ = contacts.get_or_create(number, channel="fake", language=language)
    message = Message(direction="in", channel="fake", contact_id=contact.id, text=text, language=language,
                      status="received", flagged=True, labels=["urgent"])
    db.session.add(message)
    db.session.flush()
    ticket = open_ticket("flagged_message", contact_id=contact.id, message=message, priority=priority,
                         labels=["urgent"], language=language, category_code=category, summary=text[:60])
    db.session.commit()
    return ticket


def report_ticket(number: str | None = NUMBER, category: str = "attack", anonymous: bool = False,
                  language: str = "dje", text: str | None = "Boro yaŋ kaŋ"):
    """An urgent report (which opens its ticket), optionally anonymous."""
    contact = contacts.get_or_create(number, channel="fake", language=language)[0] if number else None
    report, _ = create_report(ReportDraft(category_code=category, channel="ussd", language=language,
                                          adm1_pcode="NE002", adm2_pcode="NE002003", urgency=3, text=text,
                                          anonymous=anonymous), contact)
    db.session.commit()
    from gateway.models import Ticket
    from sqlalchemy import select
    return report, db.session.scalar(select(Ticket).where(Ticket.report_id == report.id))


def canned(name: str = "thanks", texts: dict | None = None) -> CannedReply:
    """A canned reply."""
    reply = CannedReply(name=name, texts=texts or {"fra": "Merci, nous vous rappelons.",
                                                   "hau": "Na gode, za mu kira ka."})
    db.session.add(reply)
    db.session.commit()
    return reply
