"""USSD session state in Redis, per-hop idempotency, resumable drafts, the session log.

Live state is one compact JSON value per session in Redis with a TTL (USSD_SESSION_TTL): one GET
and one pipelined write per hop. The last answer is kept inside it with its hop key (the
accumulated `text`), so a retried hop gets the same answer and repeats no side effect (providers
retry the hop they are waiting for, never an older one). Drafts of journeys that must survive a
dropped session live USSD_DRAFT_TTL (default 24 h) in Redis, and in `ussd_drafts` once the
provider says the session ended unfinished.

The database is not on the hop path: what a hop stores (reports, subscriptions, call-backs, a
language or region) is handed to `workers.ussd` in the same pipeline as the state (see
`save`), and the contact dialling is cached in Redis (`touch_contact`). The one exception is
the hop confirming a report or a call-back: that write is also inserted in `ussd_held_writes`
before the Redis write (`hold_durable`), so a reference shown on screen survives Redis losing
its data, whatever its persistence.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import redis
from flask import current_app
from sqlalchemy import delete, exists, insert, select, update

from gateway import crypto, jobs
from gateway.extensions import db
from gateway.models import Contact, UssdDraft, UssdHeldWrite, UssdSession, utcnow
from gateway.queue import roundtrip
from gateway.timezone import to_the_hour
from gateway.services.contacts import find_by_phone, get_or_create

# Writes handed to `workers.ussd.process_pending` (JSON items, oldest at the tail), the flag
# that says a job to take them is queued, and the contacts seen (contact id -> last seen, epoch).
PENDING_KEY = "murya:ussd:pending"
SIGNAL_KEY = "murya:ussd:signalled"
SEEN_KEY = "murya:ussd:seen"
SIGNAL_TTL = 30          # a queued job lost with its flag is replaced after this many seconds
_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def _key(channel: str, session_id: str) -> str:
    return f"ussd:session:{channel}:{session_id}"


def _redis():
    return current_app.extensions["redis"]


def load(channel: str, session_id: str) -> dict | None:
    """The session's state, or None when unknown or expired."""
    raw, = roundtrip(("GET", _key(channel, session_id)))
    return json.loads(raw) if raw else None


def load_with_contact(channel: str, session_id: str, e164: str) -> tuple[dict | None, dict | None]:
    """(state, cached contact) in one round trip, for a hop that is probably a session's first."""
    raw, contact = roundtrip(("MGET", _key(channel, session_id), _contact_key(e164)))[0]
    return (json.loads(raw) if raw else None), (json.loads(contact) if contact else None)


@dataclass
class Effects:
    """What a hop changes besides its state, all written in the state's pipeline."""

    jobs: list = field(default_factory=list)      # items for workers.ussd (see `defer`)
    contact: dict | None = None                   # the cached contact, updated (language, region)
    phone: str | None = None                      # whose cached contact that is
    drop_draft: bool = False                      # forget the contact's draft in Redis
    seen: int | None = None                       # contact id to mark seen (first hop)


def save(channel: str, session_id: str, state: dict, draft: dict | None = None,
         effects: Effects | None = None) -> None:
    """Store the session's state, renewing its TTL; with `draft`, the contact's draft too; with
    `effects`, the writes handed to the workers, the contact cache and the draft's removal.

    One round trip (`gateway.queue.roundtrip`), plus one RQ enqueue when writes were handed over
    and no job was queued yet.
    """
    config = current_app.config
    session_ttl = config["USSD_SESSION_TTL"]
    contact_id = state.get("contact_id")
    held = hold_durable(effects.jobs) if effects is not None else []
    commands = [("SET", _key(channel, session_id), _dumps(state), "EX", session_ttl)]
    signal_at = None
    if effects is not None:
        if effects.drop_draft and contact_id:
            commands.append(("DEL", _draft_key(contact_id)))
        if effects.contact is not None and effects.phone:
            commands.append(("SET", _contact_key(effects.phone), _dumps(effects.contact), "EX", _contact_ttl()))
        if effects.seen:
            # Coalesced per contact: the worker applies `last_seen_at` (retention needs it).
            commands.append(("ZADD", SEEN_KEY, int(utcnow().timestamp()), str(effects.seen)))
        if effects.jobs:
            commands.append(("LPUSH", PENDING_KEY, *(_dumps(job) for job in effects.jobs)))
            signal_at = len(commands)
            commands.append(("SET", SIGNAL_KEY, 1, "EX", SIGNAL_TTL, "NX"))
    if draft is not None and contact_id:
        ttl = config["USSD_DRAFT_TTL"]
        # The expiry also travels inside: the app's clock decides, whatever Redis's says.
        draft = {**draft, "expires": utcnow().timestamp() + ttl}
        commands.append(("SET", _draft_key(contact_id), _dumps(draft), "EX", ttl))
    try:
        replies = roundtrip(*commands)
    except redis.RedisError:
        # The screen will not show this hop's answer (the person is asked to try again), so
        # nothing it would have confirmed is kept either.
        release_held(held)
        raise
    if signal_at is not None and replies[signal_at]:
        signal_pending()


# Writes the person would miss if Redis lost them: the reference of a report shown on screen,
# a call-back confirmed. Kept in the database until applied (`UssdHeldWrite`).
DURABLE_KINDS = frozenset({"report", "callback"})


def hold_durable(items: list[dict]) -> list[int]:
    """Insert the durable ones of `items` in `ussd_held_writes` (committed at once: one round
    trip each, only on the hop that confirms) and mark each with its row id (`held`)."""
    ids = []
    durable = [item for item in items if item.get("kind") in DURABLE_KINDS]
    if not durable:
        return ids
    with _autocommit() as conn:
        for item in durable:
            item["held"] = conn.execute(insert(UssdHeldWrite.__table__).values(
                item=item, created_at=utcnow()).returning(UssdHeldWrite.__table__.c.id)).scalar_one()
            ids.append(item["held"])
    return ids


def release_held(ids: list[int]) -> None:
    """Forget held writes (applied, dead-lettered, or never confirmed to the person)."""
    if ids:
        with _autocommit() as conn:
            conn.execute(delete(UssdHeldWrite).where(UssdHeldWrite.id.in_(ids)))


def signal_pending() -> None:
    """Queue the job that applies handed-over writes (the caller saw no job queued)."""
    jobs.enqueue(jobs.USSD_WRITES)


def cached_reply(state: dict, hop_key: str) -> tuple[str, bool] | None:
    """The answer already given to this hop, as (text, end), or None."""
    if state.get("key") == hop_key and state.get("last"):
        text, end = state["last"]
        return text, bool(end)
    return None


def remember_reply(state: dict, hop_key: str, text: str, end: bool) -> None:
    """Keep the answer to this hop for a retry (only the last: providers retry no older hop)."""
    state["key"], state["last"] = hop_key, [text, 1 if end else 0]


def _autocommit():
    """A connection that commits each statement: one round trip for a one-statement write."""
    return db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")


def _contact_key(e164: str) -> str:
    return f"ussd:contact:{crypto.lookup_hash(e164)}"


def _contact_ttl() -> int:
    return current_app.config["USSD_CONTACT_CACHE_TTL"]


def cache_contact(e164: str, contact: dict) -> None:
    """Keep what `touch_contact` found for USSD_CONTACT_CACHE_TTL (default 1 h)."""
    _redis().set(_contact_key(e164), _dumps(contact), ex=_contact_ttl())


def forget_contact(e164: str) -> None:
    """Drop the cached contact (its draft or settings changed outside a hop)."""
    _redis().delete(_contact_key(e164))


def touch_contact(e164: str) -> dict:
    """The contact dialling (`id`, `language`, `confirmed`, `adm1`, `adm2`, `draft_in_db`), created if
    new; marks it seen and caches it (keyed by the number's keyed hash, see `load_with_contact`).

    Only a number not cached comes here: a known one costs one statement and one round trip
    (UPDATE … RETURNING, autocommit), a new one is created.
    """
    now = utcnow()
    contacts, drafts = Contact.__table__, UssdDraft.__table__
    has_draft = exists().where(drafts.c.contact_id == contacts.c.id, drafts.c.expires_at > now)
    with _autocommit() as conn:
        row = conn.execute(
            update(contacts).where(contacts.c.phone_hash == crypto.lookup_hash(e164))
            .values(last_seen_at=now, updated_at=now)
            .returning(contacts.c.id, contacts.c.language, contacts.c.language_confirmed,
                       contacts.c.adm1_pcode, contacts.c.adm2_pcode, has_draft)).first()
    if row is None:
        contact, _ = get_or_create(e164)
        db.session.commit()
        found = {"id": contact.id, "language": contact.language, "confirmed": bool(contact.language_confirmed),
                 "adm1": contact.adm1_pcode, "adm2": contact.adm2_pcode, "draft_in_db": False}
    else:
        found = {"id": row[0], "language": row[1], "confirmed": bool(row[2]), "adm1": row[3], "adm2": row[4],
                 "draft_in_db": bool(row[5])}
    cache_contact(e164, found)
    return found


# --- Drafts ---------------------------------------------------------------------------------
# A draft is written to Redis on every hop of a draft journey (same pipeline as the state, so a
# hop stays one read and one write), with the USSD_DRAFT_TTL expiry. When the provider reports
# the session ended unfinished, it is also copied to `ussd_drafts`, which outlives Redis.

def _draft_key(contact_id: int) -> str:
    return f"ussd:draft:{contact_id}"


def has_draft(contact_id: int, in_database: bool) -> bool:
    """True when the contact has an unexpired draft (`in_database`: as `touch_contact` said)."""
    raw, = roundtrip(("GET", _draft_key(contact_id)))
    if raw and json.loads(raw).get("expires", 0) > utcnow().timestamp():
        return True
    return in_database


def load_draft(contact_id: int) -> dict | None:
    """The contact's unexpired draft (`journey`, `screen`, `data`, `stack`), or None."""
    raw = _redis().get(_draft_key(contact_id))
    if raw:
        draft = json.loads(raw)
        if draft.get("expires", 0) > utcnow().timestamp():
            return draft
        _redis().delete(_draft_key(contact_id))
    row = db.session.scalar(select(UssdDraft).where(UssdDraft.contact_id == contact_id))
    if row is None:
        return None
    if row.expires_at <= utcnow():
        db.session.delete(row)
        return None
    return {"journey": row.journey, "screen": row.screen, "session_id": row.session_id, **(row.data or {})}


def persist_draft(contact_id: int, session_id: str) -> bool:
    """Copy the draft this session left in Redis to `ussd_drafts` (on the end notification)."""
    raw = _redis().get(_draft_key(contact_id))
    if not raw:
        return False
    draft = json.loads(raw)
    if draft.get("session_id") != session_id or draft.get("expires", 0) <= utcnow().timestamp():
        return False
    expires = datetime.fromtimestamp(draft["expires"], timezone.utc)
    values = {"journey": draft["journey"], "screen": draft["screen"], "session_id": session_id,
              "data": {"data": draft.get("data") or {}, "stack": draft.get("stack") or []},
              "expires_at": expires, "updated_at": utcnow()}
    updated = db.session.execute(update(UssdDraft).where(UssdDraft.contact_id == contact_id)
                                 .values(**values)).rowcount
    if not updated:
        db.session.add(UssdDraft(contact_id=contact_id, **values))
    return True


def discard_draft(contact_id: int, in_database: bool = True) -> None:
    """Forget the contact's draft in Redis and, unless told there is none, in the database
    (the caller commits)."""
    _redis().delete(_draft_key(contact_id))
    if in_database:
        db.session.execute(delete(UssdDraft).where(UssdDraft.contact_id == contact_id))


def purge_expired_drafts() -> int:
    """Delete database drafts past their expiry; returns how many (Redis expires its own)."""
    return db.session.execute(delete(UssdDraft).where(UssdDraft.expires_at <= utcnow())).rowcount


# --- The session log ------------------------------------------------------------------------

def record_end(end) -> UssdSession:
    """Log the provider's end-of-session notification (idempotent per session) and keep the
    draft an unfinished session left, in the database. Does not commit."""
    contact = find_by_phone(end.phone) if end.phone else None
    try:
        state = load(end.channel, end.session_id) or {}
    except redis.RedisError:
        # The notification is logged all the same. Whether the session made an anonymous
        # report is unknown, so it is logged without the person.
        state = {"anonymous_report": True}
    row = db.session.scalar(select(UssdSession).where(UssdSession.session_id == end.session_id))
    if row is None:
        row = UssdSession(session_id=end.session_id, channel=end.channel)
        db.session.add(row)
    row.service_code = (end.service_code or "")[:40] or None
    row.network_code = (end.network_code or "")[:20] or None
    # A session that made an anonymous report is logged without the person, and so is one whose
    # state is gone (expired, Redis restarted): it may have made an anonymous report, and the
    # person's id beside its session id would lead back to it.
    anonymous = bool(state.get("anonymous_report"))
    if anonymous:
        row.contact_id = None
    elif state and contact is not None:
        row.contact_id = contact.id
    row.status = end.status.lower()[:20]
    row.hops = end.hops or row.hops or 0
    row.duration_ms = end.duration_ms
    # Provider error text only; it never quotes what the person typed.
    row.error_message = (end.error_message or "")[:200] or None
    row.language = state.get("language") or row.language
    row.ended_at = utcnow()
    if end.duration_ms:
        row.started_at = row.ended_at - timedelta(milliseconds=end.duration_ms)
    if anonymous or row.contact_id is None:
        # Times to the hour, as the anonymous report's own: exact ones would line up with the
        # person's last visit.
        row.started_at, row.ended_at = to_the_hour(row.started_at or row.ended_at), to_the_hour(row.ended_at)
    try:
        if contact is not None and persist_draft(contact.id, end.session_id):
            forget_contact(end.phone)     # its cached `draft_in_db` is now wrong
    except redis.RedisError:
        pass    # the draft stays in Redis (USSD_DRAFT_TTL), where the next dial finds it
    return row
