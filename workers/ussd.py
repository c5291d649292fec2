"""Writes USSD hops hand over: reports, subscriptions, call-backs, contact settings, drafts.

A hop answers from Redis and pushes what it stores onto a Redis list in the same pipeline as its
session state (`gateway.services.ussd_sessions.save`); the first push while no job is queued
queues `process_pending`. This job takes the items oldest first, a batch at a time in one
transaction (or, when one of them fails, each in its own), and removes them from the list only
once committed, so a worker killed mid-batch leaves them for the next job; one killed between a
commit and the removal makes the next job apply that batch again. Every item is safe to apply
twice (`gateway.services.ussd_writes`, which applies each one, says why for each kind).

One job at a time takes the list (a lock), so a person's writes apply in the order they made
them. An item that keeps failing goes to a dead-letter list after MAX_ATTEMPTS (logged, with no
personal data); the periodic sweep (`workers.periodic`) queues a job when items are left.

A confirmed report or call-back also has a database copy (`ussd_held_writes`, written by the
hop): applying the Redis item deletes it in the same transaction, and `apply_held` applies the
copies whose Redis item was lost.
"""
from __future__ import annotations

import hashlib
import json
import logging
import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, or_, select, update

from gateway import crypto, jobs, queue
from gateway.extensions import db
from gateway.models import Contact, UssdHeldWrite, utcnow
from gateway.services.ussd_sessions import PENDING_KEY, SEEN_KEY, SIGNAL_KEY, release_held
from gateway.services.ussd_writes import Permanent, apply

log = logging.getLogger(__name__)

BATCH_SIZE = 50
LOCK_KEY, LOCK_TTL = "murya:ussd:lock", 120
ATTEMPTS_KEY = "murya:ussd:attempts"
FAILED_KEY = "murya:ussd:failed"
MAX_ATTEMPTS = 5
# Dead letters are encrypted (they hold report text and contact ids) and forgotten after two
# weeks, the time to read the error log and look; each drop restarts the clock for the list.
FAILED_TTL = 14 * 24 * 3600


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
            parsed = [json.loads(raw) for raw in oldest_first]
            for item in parsed:
                apply(item)
            _forget_held(parsed)
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
        item = json.loads(raw)
        try:
            apply(item)
            _forget_held([item])
            db.session.commit()
        except Exception as exc:
            db.session.rollback()
            if not _give_up(redis, raw, exc):
                raise             # RQ retries the job (jobs.USSD_WRITES); the item stays
            release_held([item["held"]] if item.get("held") else [])
        redis.lrem(PENDING_KEY, -1, raw)
        done += 1
    return done


def _give_up(redis, raw: bytes, exc: Exception) -> bool:
    """Count a failure; True (item moved to the dead-letter list) when it will never succeed."""
    key = hashlib.sha256(raw).hexdigest()     # the item itself holds text: never a key in clear
    attempts = redis.hincrby(ATTEMPTS_KEY, key, 1)
    redis.expire(ATTEMPTS_KEY, FAILED_TTL)
    if not isinstance(exc, Permanent) and attempts < MAX_ATTEMPTS:
        log.warning("USSD write failed (attempt %s), will retry: %s", attempts, type(exc).__name__)
        return False
    kind = json.loads(raw).get("kind")
    log.error("USSD write %s dropped after %s attempts: %s", kind, attempts, type(exc).__name__)
    with redis.pipeline() as pipe:
        pipe.lpush(FAILED_KEY, crypto.encrypt(raw.decode()))
        pipe.expire(FAILED_KEY, FAILED_TTL)
        pipe.hdel(ATTEMPTS_KEY, key)
        pipe.execute()
    return True


def failed_items() -> list[dict]:
    """The dead-letter list decrypted, newest first (for an operator looking into a drop)."""
    return [json.loads(crypto.decrypt(item)) for item in queue.connection().lrange(FAILED_KEY, 0, -1)]


def _forget_held(items: list[dict]) -> None:
    """Delete the database copies of applied items, in the transaction that applied them."""
    ids = [item["held"] for item in items if item.get("held")]
    if ids:
        db.session.execute(delete(UssdHeldWrite).where(UssdHeldWrite.id.in_(ids)))


HELD_GRACE = timedelta(seconds=60)   # a hop's Redis write follows its held row within milliseconds


def apply_held(grace: timedelta = HELD_GRACE) -> int:
    """Apply held writes whose Redis copy was lost (Redis restarted without its data); returns
    how many.

    Only while the pending list is empty and under the same lock as `process_pending`: every
    item that reached the list has then been applied, its held row deleted with it, so a held
    row older than `grace` is one whose copy Redis lost. Each is applied in its own transaction
    with its row's deletion; one that can never be applied is dropped (logged).
    """
    redis = queue.connection()
    token = uuid.uuid4().hex
    if not redis.set(LOCK_KEY, token, nx=True, ex=LOCK_TTL):
        return 0
    done = 0
    try:
        if redis.llen(PENDING_KEY):
            return 0                  # the job taking the list deletes their rows as it goes
        rows = db.session.execute(select(UssdHeldWrite.id, UssdHeldWrite.item)
                                  .where(UssdHeldWrite.created_at < utcnow() - grace)
                                  .order_by(UssdHeldWrite.id).limit(BATCH_SIZE * 10)).all()
        for row_id, item in rows:
            try:
                apply(item)
            except Permanent as exc:
                db.session.rollback()
                log.error("held USSD write %s dropped: %s", item.get("kind"), type(exc).__name__)
            db.session.execute(delete(UssdHeldWrite).where(UssdHeldWrite.id == row_id))
            db.session.commit()
            done += 1
    finally:
        if redis.get(LOCK_KEY) == token.encode():
            redis.delete(LOCK_KEY)
        if redis.llen(PENDING_KEY):
            jobs.enqueue(jobs.USSD_WRITES)     # a job that found the lock taken did not wait
    if done:
        log.warning("%s held USSD writes applied after Redis lost them", done)
    return done


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
        jobs.enqueue(jobs.USSD_WRITES)
        return True
    return False
