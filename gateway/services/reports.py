"""Reports of tensions and incidents, from USSD or SMS."""
from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import date, timedelta
from hashlib import sha256

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from gateway.crypto import _keys, lookup_hash
from gateway.extensions import db
from gateway.models import Category, Contact, Report, utcnow
from gateway.services import audit
from gateway.services.places import resolve
from gateway.services.reference_codes import ALPHABET, new_reference
from gateway.services.ticket_intake import open_ticket
from gateway.timezone import NIGER, to_the_hour

OCCURRED = ("today", "yesterday", "this_week", "earlier")
URGENT = 3


class InvalidReport(ValueError):
    """A report field is missing or wrong; the message says which."""


@dataclass
class ReportDraft:
    """What a person told us; `create_report` checks and stores it."""

    category_code: str
    channel: str
    language: str | None = None
    adm1_pcode: str | None = None
    adm2_pcode: str | None = None
    adm3_pcode: str | None = None
    occurred: str | None = None
    urgency: int = 2
    text: str | None = None
    anonymous: bool = False


def _occurred_on(occurred: str | None, today: date) -> date | None:
    return {"today": today, "yesterday": today - timedelta(days=1)}.get(occurred or "")


def report_reference(source_key: str) -> str:
    """The reference a USSD session's report gets, derived from its `source_key` with a keyed
    hash (unguessable, and the same however often the final hop is replayed).

    Shown on screen before the worker stores the report, so not checked against the table then:
    with N reports stored, a clash has probability N / 24**6 (1 in ~1,900 at 100,000 reports).
    On a clash `create_report` stores the report under a fresh random reference, and the SMS
    acknowledgement (sent from the stored report) carries that one.
    """
    number = int.from_bytes(hmac.new(_keys().lookup, b"report-reference:" + source_key.encode(), sha256)
                            .digest()[:8], "big")
    chars = []
    for _ in range(6):
        number, index = divmod(number, len(ALPHABET))
        chars.append(ALPHABET[index])
    return "R-" + "".join(chars)


def stored_source_key(source_key: str, anonymous: bool) -> str:
    """The idempotency key as stored. For anonymous reports a keyed hash: the plain key names the
    USSD session or SMS, which other tables tie to the person."""
    if not anonymous:
        return source_key
    return "anon:" + lookup_hash("anonymous-report:" + source_key)[:48]


def create_report(draft: ReportDraft, contact: Contact | None, source_key: str | None = None,
                  reference: str | None = None, accept_inactive: bool = False) -> tuple[Report, bool]:
    """Store a report once per `source_key` (USSD session, inbound message). Returns (report, created).

    Anonymous reports are stored without any link to the contact. Urgent reports and urgent
    categories open a hotline ticket. Does not commit. `reference`: the one already shown to
    the person (used unless another report holds it, see `report_reference`).
    `accept_inactive`: the category was checked when the person chose it (USSD, from a list at
    most USSD_REFERENCE_CACHE_SECONDS old); store it even if switched off since.
    """
    if source_key:
        source_key = stored_source_key(source_key, draft.anonymous)
        existing = db.session.scalar(select(Report).where(Report.source_key == source_key))
        if existing is not None:
            return existing, False
    category = db.session.get(Category, draft.category_code)
    if category is None or not (category.active or accept_inactive):
        raise InvalidReport(f"unknown category {draft.category_code!r}")
    if draft.occurred is not None and draft.occurred not in OCCURRED:
        raise InvalidReport(f"occurred must be one of {', '.join(OCCURRED)}")
    if draft.urgency not in (1, 2, 3):
        raise InvalidReport("urgency must be 1, 2 or 3")
    adm1 = resolve(draft.adm1_pcode, level=1)
    adm2 = resolve(draft.adm2_pcode, level=2)
    if adm1 and adm2 and adm2.parent_pcode != adm1.pcode:
        raise InvalidReport("the department is not in that region")
    if adm2 and not adm1:
        adm1 = resolve(adm2.parent_pcode, level=1)
    today = utcnow().astimezone(NIGER).date()
    urgent = draft.urgency == URGENT or category.urgent_by_default
    hour = to_the_hour(utcnow()) if draft.anonymous else None
    for attempt in range(5):
        report = Report(
            reference=reference if reference and attempt == 0 else new_reference("R"), source_key=source_key, category_code=category.code,
            contact_id=None if draft.anonymous or contact is None else contact.id,
            anonymous=draft.anonymous, adm1_pcode=adm1.pcode if adm1 else None,
            adm2_pcode=adm2.pcode if adm2 else None, adm3_pcode=draft.adm3_pcode,
            occurred=draft.occurred, occurred_on=_occurred_on(draft.occurred, today),
            urgency=draft.urgency, urgent=urgent, text=(draft.text or None), language=draft.language,
            channel=draft.channel, sensitive=category.sensitive)
        if draft.anonymous:
            # To the hour only: an exact time could be matched with the person's other traces
            # (last seen, session log) and undo the anonymity. Its audit entry and ticket too.
            report.created_at = report.updated_at = hour
        try:
            with db.session.begin_nested():
                db.session.add(report)
            break
        except IntegrityError:
            if source_key:
                existing = db.session.scalar(select(Report).where(Report.source_key == source_key))
                if existing is not None:
                    return existing, False
    else:  # pragma: no cover - five clashes in a 24^6 space
        raise RuntimeError("could not allocate a report reference")
    audit.record("system", "report.create", "report", report.id, at=hour, channel=draft.channel,
                 category=category.code, anonymous=draft.anonymous)
    if urgent:
        open_ticket("urgent_report", contact_id=report.contact_id, report=report,
                    priority=1 if draft.urgency == URGENT else 2, category_code=category.code,
                    language=draft.language, labels=["urgent"],
                    summary=f"{report.reference} {category.code}", at=hour)
    return report, True
