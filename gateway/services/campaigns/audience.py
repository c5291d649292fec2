"""Who a campaign reaches: the audience a caller gives, checked and canonical, and as SQL.

Places (`adm1`, `adm2`) are OR-ed together (a region plus a department elsewhere); every other
key narrows the audience (AND), each key's values OR-ed. An empty audience is every contact.
Stopped contacts and invalid numbers that match are counted as `skipped`, never sent.
"""
from __future__ import annotations

from sqlalchemy import case, exists, literal, or_, select

from gateway.extensions import db
from gateway.i18n import LANGUAGES
from gateway.models import Activity, Contact, ContactGroup, Registration, RegistrationStatus, Subscription, Topic
from gateway.services.campaigns.errors import CampaignError
from gateway.services.places import InvalidPcode, canonical_pcode

AUDIENCE_KEYS = ("adm1", "adm2", "languages", "topics", "activities", "groups", "contacts")


def _list(audience: dict, key: str) -> list:
    value = audience.get(key) or []
    if not isinstance(value, list):
        raise CampaignError("invalid_audience", f"audience.{key} must be a list")
    return value


def normalize_audience(raw) -> dict:
    """Validate an audience and return it in canonical form (P-codes as NE…, lowercase groups)."""
    if raw in (None, ""):
        return {}
    if not isinstance(raw, dict):
        raise CampaignError("invalid_audience", "audience must be an object")
    unknown = sorted(set(raw) - set(AUDIENCE_KEYS))
    if unknown:
        raise CampaignError("invalid_audience", f"unknown audience keys: {', '.join(unknown)} "
                                                f"(allowed: {', '.join(AUDIENCE_KEYS)})")
    audience: dict = {}
    for key, level in (("adm1", 1), ("adm2", 2)):
        codes = []
        for code in _list(raw, key):
            try:
                pcode = canonical_pcode(str(code))
            except InvalidPcode as exc:
                raise CampaignError("invalid_audience", str(exc)) from None
            if len(pcode) != 2 + 3 * level:
                raise CampaignError("invalid_audience", f"{code!r} is not an admin level {level} P-code")
            codes.append(pcode)
        if codes:
            audience[key] = sorted(set(codes))
    languages = [str(x) for x in _list(raw, "languages")]
    bad = [x for x in languages if x not in LANGUAGES]
    if bad:
        raise CampaignError("invalid_audience", f"unknown languages: {', '.join(bad)}")
    if languages:
        audience["languages"] = sorted(set(languages))
    for key, model in (("topics", Topic), ("activities", Activity)):
        wanted = _list(raw, key)
        if not wanted:
            continue
        codes = [str(x) for x in wanted if not isinstance(x, int)]
        ids = [x for x in wanted if isinstance(x, int)]
        rows = db.session.execute(select(model.id, model.code).where(
            or_(model.code.in_(codes), model.id.in_(ids)))).all()
        found_codes = {r.code for r in rows} | {str(r.id) for r in rows if r.id in ids}
        missing = [str(x) for x in wanted if str(x) not in found_codes]
        if missing:
            raise CampaignError("invalid_audience", f"unknown {key}: {', '.join(missing)}")
        audience[key] = sorted({r.code for r in rows})
    groups = sorted({str(g).strip().lower() for g in _list(raw, "groups") if str(g).strip()})
    if groups:
        audience["groups"] = groups
    contacts = _list(raw, "contacts")
    if contacts:
        if not all(isinstance(x, int) for x in contacts):
            raise CampaignError("invalid_audience", "audience.contacts is a list of contact ids")
        audience["contacts"] = sorted(set(contacts))
    return audience


def audience_conditions(audience: dict) -> list:
    """SQL conditions on `Contact` selecting the audience (stopped contacts included)."""
    conditions = []
    places = []
    if audience.get("adm1"):
        places.append(Contact.adm1_pcode.in_(audience["adm1"]))
    if audience.get("adm2"):
        places.append(Contact.adm2_pcode.in_(audience["adm2"]))
    if places:
        conditions.append(or_(*places))
    if audience.get("languages"):
        conditions.append(Contact.language.in_(audience["languages"]))
    if audience.get("topics"):
        conditions.append(exists().where(
            Subscription.contact_id == Contact.id,
            Subscription.topic_id.in_(select(Topic.id).where(Topic.code.in_(audience["topics"])))))
    if audience.get("activities"):
        conditions.append(exists().where(
            Registration.contact_id == Contact.id, Registration.status != RegistrationStatus.CANCELLED,
            Registration.activity_id.in_(select(Activity.id).where(Activity.code.in_(audience["activities"])))))
    if audience.get("groups"):
        conditions.append(exists().where(ContactGroup.contact_id == Contact.id,
                                         ContactGroup.name.in_(audience["groups"])))
    if audience.get("contacts"):
        conditions.append(Contact.id.in_(audience["contacts"]))
    return conditions


def language_expression(texts: dict, default_language: str):
    """SQL: the language each contact receives (theirs when the campaign has it, else default)."""
    return case((Contact.language.in_(sorted(texts)), Contact.language), else_=literal(default_language))


def skip_reason_expression():
    """SQL: why a contact is skipped ('stopped', 'invalid number'), NULL when it can be sent to."""
    return case((Contact.stopped.is_(True), literal("stopped")),
                (Contact.invalid.is_(True), literal("invalid number")), else_=None)
