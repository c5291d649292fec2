"""The inbound SMS pipeline, webhook side: store once, answer fast, queue the rest.

A webhook only authenticates, validates, stores the message (de-duplicated on the unique
(direction, channel, provider_id) constraint with an ON CONFLICT insert, so a provider's retry
or a duplicated delivery stores one row), signals the workers (`signal_pending`) and answers.
When Redis does not take the signal, the message is committed all the same and its job is held
in the database (`gateway.services.outbox`) until Redis answers again: the answer is 200 either
way.
Keywords, replies, language detection, flagging and tickets happen in the job
(gateway/services/sms_conversation.py).
"""
from __future__ import annotations

import atexit
import logging
import os
import threading
from dataclasses import dataclass
from datetime import timedelta

import psycopg
import redis
from psycopg.types.json import Jsonb
from sqlalchemy import insert as core_insert
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from gateway import crypto, jobs, queue
from gateway.extensions import db
from gateway.models import Contact, Message, MessageStatus, utcnow
from gateway.phone import InvalidNumber, normalize
from gateway.services import contacts as contacts_service
from gateway.services import outbox
from gateway.services.delivery_reports import apply_status
from gateway.services.errors import Invalid
from handlers.base import InboundSMS, StatusUpdate

log = logging.getLogger(__name__)

MAX_TEXT = 2000   # longer bodies are truncated: 13 concatenated SMS is already unusual


class InvalidInbound(Invalid):
    """A callback whose content cannot be stored (nothing of it is)."""


@dataclass
class Stored:
    """The outcome for one inbound SMS: its message id and whether this request created it."""

    message_id: int | None
    created: bool


_INSERT_CACHE: dict[str, object] = {}


def _insert_statement(dialect: str):
    """INSERT INTO messages … ON CONFLICT DO NOTHING RETURNING id, built once per dialect
    (values are bound at execution, so SQLAlchemy compiles it once, not per request)."""
    if dialect not in _INSERT_CACHE:
        table = Message.__table__
        if dialect == "postgresql":
            insert = postgresql_insert
        elif dialect == "sqlite":
            insert = sqlite_insert
        else:  # pragma: no cover - other databases: plain insert, the constraint still protects
            _INSERT_CACHE[dialect] = core_insert(table).returning(table.c.id)
            return _INSERT_CACHE[dialect]
        _INSERT_CACHE[dialect] = insert(table).on_conflict_do_nothing(
            index_elements=["direction", "channel", "provider_id"]).returning(table.c.id)
    return _INSERT_CACHE[dialect]


_COLUMNS = ("direction", "channel", "provider_id", "contact_id", "text", "status", "kind", "status_history",
            "labels", "extra", "created_at", "updated_at", "segments", "attempts", "flagged", "handled")
_JSON_COLUMNS = ("status_history", "labels", "extra")
# PostgreSQL fast path: the same statement as `_insert_statement`, sent by the driver directly.
# Measured (bench/sms_inbound_bench.py): SQLAlchemy's per-execution work and the pooled
# connection's BEGIN/COMMIT/reset cost about 0.6 ms of CPU a request, more than the rest of
# the webhook together.
_PG_INSERT = (f"INSERT INTO messages ({', '.join(_COLUMNS)}) VALUES ({', '.join(f'%({c})s' for c in _COLUMNS)}) "
              "ON CONFLICT (direction, channel, provider_id) DO NOTHING RETURNING id")


_local = threading.local()
_opened: list = []      # every such connection, closed at exit


def _close_opened() -> None:
    for conn in _opened:
        if not conn.closed:
            conn.close()


atexit.register(_close_opened)


def _pg_connection(engine):
    """This process's (and thread's) own autocommit psycopg connection for the webhook insert.

    Not a pooled one: a pooled connection costs BEGIN, COMMIT and a reset on return (four round
    trips a request, measured); autocommit makes the insert one round trip. Re-opened after
    a fork (gunicorn workers), for another database, or when closed.
    """
    conn = getattr(_local, "conn", None)
    if conn is None or conn.closed or _local.pid != os.getpid() or _local.url != engine.url:
        if conn is not None and not conn.closed and _local.pid == os.getpid():
            conn.close()
        url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        conn = psycopg.connect(url, autocommit=True)
        _local.conn, _local.pid, _local.url = conn, os.getpid(), engine.url
        _opened.append(conn)
    return conn


def _insert_ignoring_duplicates(values: dict) -> int | None:
    """Store one inbound message in one round trip, committed (the webhook's only database
    work); None when the (direction, channel, provider_id) is already stored."""
    engine = db.engine
    if engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg":
        params = {c: Jsonb(values[c]) if c in _JSON_COLUMNS else values[c] for c in _COLUMNS}
        for attempt in (1, 2):
            conn = _pg_connection(engine)
            try:
                row = conn.execute(_PG_INSERT, params).fetchone()
                return row[0] if row else None
            except psycopg.OperationalError:
                conn.close()          # a dropped connection: reconnect once, then let it raise
                if attempt == 2:
                    raise
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        return conn.execute(_insert_statement(engine.dialect.name), values).scalar()


def receive(items: list[InboundSMS]) -> list[Stored]:
    """Store inbound SMS (each once) and queue their processing. Validates everything first,
    so a malformed request stores nothing.

    Measured (bench/sms_inbound_bench.py): finding or creating the contact here cost two to
    four more database round trips per request, so the webhook stores the sender's number
    encrypted on the message (`extra["sender"]`, never in the clear) and the job resolves the
    contact and removes it.
    """
    numbers = []
    for sms in items:
        _refuse_nul(sms.text, sms.sender, sms.provider_id, sms.recipient, *sms.extra.keys(), *sms.extra.values())
        try:
            numbers.append(normalize(sms.sender))
        except InvalidNumber:
            raise InvalidInbound("sender is not a valid phone number") from None
        if sms.provider_id is not None and len(sms.provider_id) > 100:
            raise InvalidInbound("message id too long")
    outcomes = []
    for sms, e164 in zip(items, numbers):
        extra = dict(sms.extra)
        extra["sender"] = crypto.encrypt(e164).decode("ascii")
        if sms.recipient:
            extra["to"] = sms.recipient[:40]
        if sms.received_at:
            extra["received_at"] = sms.received_at.isoformat()
        now = utcnow()
        message_id = _insert_ignoring_duplicates({
            "direction": "in", "channel": sms.channel, "provider_id": sms.provider_id,
            "contact_id": None, "text": (sms.text or "")[:MAX_TEXT], "status": MessageStatus.RECEIVED.value,
            "kind": "inbound", "status_history": [], "labels": [], "extra": extra,
            "created_at": now, "updated_at": now, "segments": 1, "attempts": 0,
            "flagged": False, "handled": False})
        if message_id is not None:
            try:
                signal_pending(message_id)
            except redis.RedisError:
                # Committed already: the database holds the job until Redis answers again.
                outbox.hold(jobs.INBOUND_ONE, message_id)
        else:
            log.debug("duplicate inbound SMS ignored")
        outcomes.append(Stored(message_id, message_id is not None))
    return outcomes


PENDING_KEY = "murya:inbound:pending"


def signal_pending(message_id: int) -> None:
    """Hand a stored message to the workers: one Redis command, plus one RQ job when the list
    was empty (a job already queued or running takes the rest).

    Measured (bench/sms_inbound_bench.py): an RQ job per message cost 0.45 ms of CPU in the
    webhook, more than storing the message; `workers.inbound.process_pending` takes ids in
    batches and fans out to idle workers. The rows are the truth: anything left unhandled
    (a worker killed mid-batch) is found again by `signal_unhandled`.
    """
    if queue.roundtrip(("LPUSH", PENDING_KEY, message_id))[0] == 1:
        jobs.enqueue(jobs.INBOUND_PENDING)



SWEEP_AFTER = timedelta(minutes=2)     # an unhandled message older than this was dropped


def signal_unhandled() -> int:
    """Signal again inbound messages of the last week still unhandled after SWEEP_AFTER
    (a worker killed mid-batch); returns how many."""
    now = utcnow()
    ids = db.session.scalars(select(Message.id).where(
        Message.direction == "in", Message.handled.is_(False), Message.created_at >= now - timedelta(days=7),
        Message.created_at < now - SWEEP_AFTER).order_by(Message.id).limit(1000)).all()
    for message_id in ids:
        signal_pending(message_id)
    if ids:
        log.warning("%s unhandled inbound messages signalled again", len(ids))
    return len(ids)

def resolve_sender(message: Message) -> Contact | None:
    """The job side: find or create the contact from the encrypted sender, link it, and drop
    the encrypted number from the message. No commit."""
    if message.contact_id is not None:
        return db.session.get(Contact, message.contact_id)
    token = (message.extra or {}).get("sender")
    if not token:
        return None
    contact, _ = contacts_service.get_or_create(crypto.decrypt(token.encode("ascii")), channel=message.channel)
    message.contact_id = contact.id
    message.extra = {k: v for k, v in message.extra.items() if k != "sender"}
    return contact


def apply_statuses(updates: list[StatusUpdate]) -> list[Message]:
    """Apply delivery reports (out-of-order safe). A report saying the person opted out stops
    the contact on every channel; one saying the number does not exist marks it invalid.
    `delivery_reports.apply_status` also moves campaign deliveries along and matches by number a
    campaign send whose provider id was never recorded. Unknown ids are ignored. Validates
    every report first (InvalidInbound), so a malformed request changes nothing. Commits."""
    for update in updates:
        _check_status_update(update)
    messages = []
    for update in updates:
        message = apply_status(update.channel, update.provider_id, update.status, update.provider_status,
                               error_code=update.error_code, failure_reason=update.failure_reason,
                               phone=update.phone)
        if message is None:
            continue
        contact = db.session.get(Contact, message.contact_id) if message.contact_id else None
        if contact is not None and update.extra.get("stop_contact"):
            contacts_service.stop(contact, via=f"provider:{update.channel}")
        if contact is not None and update.extra.get("invalid_number"):
            contact.invalid = True
        messages.append(message)
    db.session.commit()
    return messages


# What a delivery report may carry, as long as the columns holding it (messages.provider_id,
# provider_status, error_code, failure_reason): the provider's words are kept verbatim, so a
# longer one is no word of theirs and is refused rather than cut.
STATUS_LIMITS = {"provider_id": 100, "provider_status": 40, "error_code": 40, "failure_reason": 200}


def _refuse_nul(*values) -> None:
    """InvalidInbound when a field holds a NUL character: no phone sends one, PostgreSQL cannot
    store it, and nothing of the request may be stored (issue 11, finding 10)."""
    if any(isinstance(v, str) and "\x00" in v for v in values):
        raise InvalidInbound("a field contains a NUL character")


def _check_status_update(update: StatusUpdate) -> None:
    _refuse_nul(update.provider_id, update.status, update.provider_status, update.error_code,
                update.failure_reason, update.phone, *update.extra.keys(), *update.extra.values())
    for field, limit in STATUS_LIMITS.items():
        value = getattr(update, field)
        if value is not None and len(value) > limit:
            raise InvalidInbound(f"{field} longer than {limit} characters")


def opt_out(channel: str, numbers: list[str]) -> int:
    """A provider's opt-out notification: stop these numbers (creating unknown ones, so a later
    import cannot message them). Returns how many were newly stopped. Commits."""
    _refuse_nul(*numbers)
    stopped = 0
    for raw in numbers:
        try:
            e164 = normalize(raw)
        except InvalidNumber:
            raise InvalidInbound("phoneNumber is not a valid phone number") from None
        contact, _ = contacts_service.get_or_create(e164)
        stopped += contacts_service.stop(contact, via=f"optout:{channel}")
    db.session.commit()
    return stopped

