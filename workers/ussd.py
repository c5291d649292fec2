"""Writes USSD hops hand over: reports, subscriptions, call-backs, contact settings, drafts.

A hop answers from Redis and pushes what it stores onto a Redis list in the same pipeline as its
session state (`gateway.services.ussd_sessions.save`); the first push while no job is queued
queues `process_pending`. This job takes the items oldest first, a batch at a time in one
transaction (or, when one of them fails, each in its own), and removes them from the list only
once committed, so a worker killed mid-batch leaves them for the next job; one killed between a
commit and the removal makes the next job apply that batch again. Every item is safe to apply
twice: a report is unique per session (`source_key`) and its acknowledgement is queued only by
the transaction that created it; subscriptions are unique; a call-back joins the open ticket; a
registration's reminder keeps one job id (only acknowledgement SMS could go twice).

One job at a time takes the list (a lock), so a person's writes apply in the order they made
them. An item that keeps failing goes to a dead-letter list after MAX_ATTEMPTS (logged, with no
personal data); the periodic sweep (`workers.periodic`) queues a job when items are left.
"""
from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime, timezone

from rq import Retry
from sqlalchemy import delete, or_, update

from gateway import queue
from gateway.extensions import db
from gateway.models import Contact, utcnow
from gateway.services.ussd_sessions import PENDING_KEY, SEEN_KEY, SIGNAL_KEY

log = logging.getLogger(__name__)

BATCH_SIZE = 50
LOCK_KEY, LOCK_TTL = "murya:ussd:lock", 120
ATTEMPTS_KEY = "murya:ussd:attempts"
FAILED_KEY = "murya:ussd:failed"
MAX_ATTEMPTS = 5
PENDING_RETRY = Retry(max=5, interval=[5, 30, 60, 300, 900])


class Permanent(Exception):
    """An item that can never be applied (kept in the dead-letter list, not retried)."""


def process_pending() -> int:
    """Apply handed-over writes until the list is empty; returns how many were applied."""
    redis = queue.connection()
    redis.delete(SIGNAL_KEY)          # pushes from now on queue another job (which may find nothing)
    done = 0
    while True:
        token = uuid.uuid4().hex
        if not redis.set(LOCK_KEY, token, nx=True, ex=LOCK_TTL):
            return done               # the job holding the lock looks again after releasing it
        try:
            done += _drain(redis)
            apply_seen()
        finally:
            if redis.get(LOCK_KEY) == token.encode():
                redis.delete(LOCK_KEY)
        if not redis.llen(PENDING_KEY):
            return done


def _drain(redis) -> int:
    done = 0
    while True:
        items = redis.lrange(PENDING_KEY, -BATCH_SIZE, -1)
        if not items:
            return done
        oldest_first = items[::-1]    # LPUSH puts the newest first: the tail is the oldest
        try:
            # The usual case: the whole batch in one transaction (one commit, one LTRIM).
            for raw in oldest_first:
                apply(json.loads(raw))
            db.session.commit()
        except Exception:
            db.session.rollback()
            done += _one_by_one(redis, oldest_first)    # find the failing item; apply the others
            continue
        # The batch is the list's tail, and only the job holding the lock takes from the tail.
        redis.ltrim(PENDING_KEY, 0, -len(items) - 1)
        done += len(items)


def _one_by_one(redis, oldest_first: list[bytes]) -> int:
    """Apply items each in its own transaction, removing each once committed; an item that
    fails again is retried by RQ (the job raises, the item and those after it stay), or goes to
    the dead-letter list when it never can succeed."""
    done = 0
    for raw in oldest_first:
        try:
            apply(json.loads(raw))
            db.session.commit()
        except Exception as exc:
            db.session.rollback()
            if not _give_up(redis, raw, exc):
                raise             # RQ retries the job (PENDING_RETRY); the item stays
        redis.lrem(PENDING_KEY, -1, raw)
        done += 1
    return done


def _give_up(redis, raw: bytes, exc: Exception) -> bool:
    """Count a failure; True (item moved to the dead-letter list) when it will never succeed."""
    key = raw if len(raw) <= 200 else raw[-200:]
    attempts = redis.hincrby(ATTEMPTS_KEY, key, 1)
    if not isinstance(exc, Permanent) and attempts < MAX_ATTEMPTS:
        log.warning("USSD write failed (attempt %s), will retry: %s", attempts, type(exc).__name__)
        return False
    kind = json.loads(raw).get("kind")
    log.error("USSD write %s dropped after %s attempts: %s", kind, attempts, type(exc).__name__)
    redis.lpush(FAILED_KEY, raw)
    redis.hdel(ATTEMPTS_KEY, key)
    return True


def apply_seen() -> int:
    """Apply the `last_seen_at` of contacts whose session started from the contact cache."""
    redis = queue.connection()
    seen = redis.zrange(SEEN_KEY, 0, -1, withscores=True)
    if not seen:
        return 0
    for member, score in seen:
        at = datetime.fromtimestamp(score, timezone.utc)
        db.session.execute(update(Contact).where(
            Contact.id == int(member), or_(Contact.last_seen_at.is_(None), Contact.last_seen_at < at))
            .values(last_seen_at=at))
    db.session.commit()
    # A visit marked in between is forgotten with them: it is seconds newer than what was applied.
    redis.zrem(SEEN_KEY, *(member for member, _ in seen))
    return len(seen)


def signal_if_pending() -> bool:
    """Queue a job when writes or visits wait (the periodic sweep's safety net)."""
    redis = queue.connection()
    if redis.llen(PENDING_KEY) or redis.zcard(SEEN_KEY):
        queue.enqueue(process_pending, queue="high", retry=PENDING_RETRY)
        return True
    return False


# --- Applying one item ---------------------------------------------------------------------

def apply(item: dict) -> None:
    """Apply one handed-over write (the caller commits)."""
    handler = HANDLERS.get(item.get("kind"))
    if handler is None:
        raise Permanent(f"unknown kind {item.get('kind')!r}")
    handler(item)


def _contact(contact_id) -> Contact | None:
    from sqlalchemy.orm import lazyload
    return db.session.get(Contact, contact_id, options=[lazyload(Contact.groups)]) if contact_id else None


def _report(item: dict) -> None:
    from gateway.services.messaging import queue_sms
    from gateway.services.places import InvalidPcode
    from gateway.services.reports import InvalidReport, ReportDraft, create_report
    from gateway.services.texts import report_ack_text
    contact = _contact(item.get("contact_id"))
    draft = ReportDraft(**item["draft"])
    try:
        report, created = create_report(draft, contact, source_key=item["source_key"],
                                         reference=item.get("reference"), accept_inactive=True)
    except (InvalidReport, InvalidPcode, TypeError) as exc:
        raise Permanent(str(exc)) from exc
    if report.reference != item.get("reference") and created:
        log.warning("USSD report reference clashed; the SMS acknowledgement carries the stored one")
    # Anonymous reports are acknowledged on screen only (see menus/journeys/report.yaml).
    if created and contact is not None and not report.anonymous:
        queue_sms(contact, report_ack_text(draft.language, report.reference),
                  kind="ack", language=draft.language, commit=False)


def _topic(item: dict) -> None:
    from gateway.models import Topic
    from gateway.services import subscriptions
    contact, topic = _contact(item["contact_id"]), db.session.get(Topic, item["topic_id"])
    if contact is None or topic is None:
        raise Permanent("contact or topic gone")
    if item["join"]:
        subscriptions.join(contact, topic, channel="ussd")
    else:
        subscriptions.leave(contact, topic)


def _callback(item: dict) -> None:
    from gateway.services.messaging import queue_sms
    from gateway.services.texts import callback_ack_text
    from gateway.services.tickets import open_ticket
    contact = _contact(item["contact_id"])
    if contact is None:
        raise Permanent("contact gone")
    # Applied twice (a worker killed between the commit and removing the item), the open ticket
    # is joined, not opened again; only the acknowledgement SMS would go twice.
    open_ticket("callback", contact_id=contact.id, priority=2, language=item.get("language"),
                labels=["callback", "ussd"], summary="Call-back requested over USSD")
    queue_sms(contact, callback_ack_text(item.get("language")), kind="ack",
              language=item.get("language"), commit=False)


def _registered(item: dict) -> None:
    """The confirmation SMS of a registration the hop made, and its reminder the day before."""
    from gateway.models import Registration
    from gateway.services.activities import schedule_reminder
    from gateway.services.messaging import queue_sms
    from gateway.services.texts import registration_text
    registration = db.session.get(Registration, item["registration_id"])
    if registration is None or registration.status == "cancelled":
        return                        # cancelled from the console meanwhile: nothing to confirm
    contact = _contact(registration.contact_id)
    if contact is None:
        raise Permanent("contact gone")
    # The SMS says what the screen said (status and place then), as the hop decided it.
    queue_sms(contact, registration_text(item.get("language"), registration.activity, item["status"],
                                         item.get("position") or 0),
              kind="ack", language=item.get("language"), commit=False)
    if registration.status == "confirmed" and registration.reminder_job_id is None:
        schedule_reminder(registration)


def _contact_values(item: dict) -> None:
    allowed = {"language", "language_confirmed", "adm1_pcode"}
    values = {k: v for k, v in (item.get("values") or {}).items() if k in allowed}
    if values:
        db.session.execute(update(Contact).where(Contact.id == item["contact_id"])
                           .values(updated_at=utcnow(), **values))


def _drop_draft(item: dict) -> None:
    """The database copy of a draft (the Redis copy went with the hop's own write)."""
    from gateway.models import UssdDraft
    db.session.execute(delete(UssdDraft).where(UssdDraft.contact_id == item["contact_id"]))


HANDLERS = {"report": _report, "topic": _topic, "callback": _callback, "registered": _registered,
            "contact": _contact_values, "drop_draft": _drop_draft}
