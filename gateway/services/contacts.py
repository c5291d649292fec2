"""Contacts: found or created from a normalised number, never stored in the clear."""
from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from gateway import crypto
from gateway.extensions import db
from gateway.i18n import LANGUAGES
from gateway.models import Contact, ContactGroup, utcnow
from gateway.phone import normalize
from gateway.services import audit
from gateway.services.places import InvalidPcode, resolve
from handlers.base import SendError

MAX_NAME = 120
GROUP = re.compile(r"^[\w][\w .\-]{0,39}$")


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


class InvalidContact(ValueError):
    """A contact edit that cannot be saved; `code` names what is wrong."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


def update_profile(contact: Contact, actor: str, *, name: str, language: str | None, adm1: str | None,
                   adm2: str | None, groups: list[str]) -> list[str]:
    """Save what staff know of a person (all fields at once); audited. Returns the fields changed."""
    name = " ".join((name or "").split())
    if len(name) > MAX_NAME:
        raise InvalidContact(f"a name has at most {MAX_NAME} characters", "name_too_long")
    if language and language not in LANGUAGES:
        raise InvalidContact(f"language must be one of {', '.join(LANGUAGES)}", "unknown_language")
    try:
        region, department = resolve(adm1, level=1), resolve(adm2, level=2)
    except InvalidPcode as exc:
        raise InvalidContact(str(exc), "unknown_place") from None
    if department is not None and region is not None and department.parent_pcode != region.pcode:
        raise InvalidContact("the department is not in the region", "department_outside_region")
    region_code = region.pcode if region else (department.parent_pcode if department else None)
    wanted = sorted({g.strip().lower() for g in groups if g and g.strip()})
    bad = [g for g in wanted if not GROUP.match(g)]
    if bad:
        raise InvalidContact(f"group {bad[0]!r}: letters, digits, spaces and - only, at most 40", "bad_group")
    changed = []
    if name != (crypto.decrypt(contact.name_encrypted) if contact.name_encrypted else ""):
        contact.name_encrypted = crypto.encrypt(name) if name else None
        changed.append("name")
    if (language or None) != contact.language:
        # Chosen by staff who know the person: it wins over detection, as the person's own choice does.
        contact.language, contact.language_confirmed = language or None, bool(language)
        changed.append("language")
    if (region_code, department.pcode if department else None) != (contact.adm1_pcode, contact.adm2_pcode):
        contact.adm1_pcode, contact.adm2_pcode = region_code, department.pcode if department else None
        changed.append("place")
    if wanted != contact.group_names:
        set_groups(contact, wanted)
        changed.append("groups")
    if changed:
        # Field names only: the audit log keeps no personal data.
        audit.record(actor, "contact.update", "contact", contact.id, fields=changed)
    db.session.commit()
    return changed


def stop_by_staff(contact: Contact, actor: str) -> bool:
    """Stop every message to the person because they asked staff to (audited)."""
    done = stop(contact, via="console")
    if done:
        audit.record(actor, "contact.stop", "contact", contact.id)
    db.session.commit()
    return done


def restart_by_staff(contact: Contact, actor: str) -> bool:
    """Send to the person again because they asked staff to (audited)."""
    done = restart(contact)
    if done:
        audit.record(actor, "contact.restart", "contact", contact.id)
    db.session.commit()
    return done


def reveal_number(contact: Contact, actor: str, **context) -> str:
    """The person's number, for a caller whose role may see it; always audited."""
    audit.record(actor, "contact.reveal_number", "contact", contact.id, **context)
    db.session.commit()
    return contact.phone
