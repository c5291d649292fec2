"""Awareness topics: join and leave."""
from __future__ import annotations

from sqlalchemy import select

from gateway.extensions import db
from gateway.models import Contact, Subscription, Topic


def topics() -> list[Topic]:
    """Active topics in display order."""
    return list(db.session.scalars(select(Topic).where(Topic.active.is_(True)).order_by(Topic.position)))


def is_subscribed(contact: Contact, topic: Topic) -> bool:
    """True when `contact` follows `topic`."""
    return db.session.scalar(select(Subscription.id).where(
        Subscription.contact_id == contact.id, Subscription.topic_id == topic.id)) is not None


def join(contact: Contact, topic: Topic, channel: str | None = None) -> bool:
    """Follow a topic; False when already following."""
    if is_subscribed(contact, topic):
        return False
    db.session.add(Subscription(contact_id=contact.id, topic_id=topic.id, channel=channel))
    db.session.flush()
    return True


def leave(contact: Contact, topic: Topic) -> bool:
    """Stop following a topic; False when not following."""
    sub = db.session.scalar(select(Subscription).where(
        Subscription.contact_id == contact.id, Subscription.topic_id == topic.id))
    if sub is None:
        return False
    db.session.delete(sub)
    db.session.flush()
    return True
