"""Contacts: found or created from a normalised number, never stored in the clear."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from gateway import crypto
from gateway.extensions import db
from gateway.models import Contact, ContactGroup, utcnow
from gateway.phone import normalize
from handlers.base import SendError


def find_by_phone(raw: str) -> Contact | None:
    """The contact with this number (any accepted form), or None. Raises InvalidNumber."""
    e164 = normalize(raw)
    return db.session.scalar(select(Contact).where(Contact.phone_hash == crypto.lookup_hash(e164)))


def get_or_create(raw: str, *, channel: str | None = None, language: str | None = None) -> tuple[Contact, bool]:
    """Find the contact for `raw`, creating it if new. Returns (contact, created).

    Safe against two requests creating the same contact at once: the unique hash decides.
    """
    e164 = normalize(raw)
    digest = crypto.lookup_hash(e164)
    contact = db.session.scalar(select(Contact).where(Contact.phone_hash == digest))
    if contact is not None:
        if channel:
            contact.channel = channel
        contact.last_seen_at = utcnow()
        return contact, False
    contact = Contact(phone_hash=digest, phone_encrypted=crypto.encrypt(e164),
                      reporter_code=crypto.pseudonym(e164), channel=channel, language=language,
                      last_seen_at=utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(contact)
    except IntegrityError:
        contact = db.session.scalar(select(Contact).where(Contact.phone_hash == digest))
        return contact, False
    return contact, True


def set_groups(contact: Contact, names: list[str]) -> None:
    """Replace the contact's groups with `names` (lowercased, de-duplicated)."""
    wanted = {n.strip().lower() for n in names if n and n.strip()}
    contact.groups = [g for g in contact.groups if g.name in wanted]
    have = {g.name for g in contact.groups}
    contact.groups.extend(ContactGroup(name=n) for n in sorted(wanted - have))


def stop(contact: Contact, via: str) -> bool:
    """Stop every message to this contact, on every channel. True if it was not stopped yet."""
    if contact.stopped:
        return False
    contact.stopped, contact.stopped_at, contact.stopped_via = True, utcnow(), via
    return True


def restart(contact: Contact) -> bool:
    """Let messages reach the contact again. True if it was stopped."""
    if not contact.stopped:
        return False
    contact.stopped, contact.stopped_at, contact.stopped_via = False, None, None
    return True


def apply_send_error(contact: Contact, error: SendError, channel: str) -> None:
    """What a final send failure means for the person: opted out → stopped, bad number → invalid.

    Shared by single sends (`messaging`) and campaign batches."""
    if error.stop_contact:
        stop(contact, via=f"provider:{channel}")
    if error.invalid_number:
        contact.invalid = True
