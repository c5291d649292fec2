"""Starting a campaign: one fan-out, then a job per batch.

The fan-out writes, in one transaction, a `messages` row and a `deliveries` row (status
`pending`, a batch number) for every recipient, with `INSERT … SELECT` so 100,000 recipients take
seconds. Batches never mix languages: one text per provider request.
"""
from __future__ import annotations

import logging
import time

from flask import current_app
from sqlalchemy import JSON, case, func, insert, literal, select

from gateway.extensions import db
from gateway.models import Campaign, Contact, Delivery, DeliveryStatus, Message, MessageStatus, utcnow
from gateway.models.base import UTC
from gateway.services.campaigns import states
from gateway.services.campaigns.audience import audience_conditions, language_expression, skip_reason_expression
from gateway.services.campaigns.batches import enqueue_missing_batches
from gateway.services.campaigns.preview import channel_for, segment_price
from gateway.services.campaigns.schedule import finish_if_done
from gateway.services.campaigns.watchdog import ensure_watching
from gateway.services.encoding import sms_info

log = logging.getLogger(__name__)


def start(campaign_id: int) -> str:
    """Start (or resume) a campaign: fan out once, then queue every batch still to send."""
    states.move(campaign_id, "start")      # a scheduled campaign whose time has come
    db.session.commit()
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or campaign.status != states.SENDING:
        return "not sending"
    ensure_watching(campaign_id)
    if campaign.started_at is None:
        fan_out(campaign)
    queued = enqueue_missing_batches(campaign_id)
    finish_if_done(campaign_id)
    return f"{queued} batches queued"


def fan_out(campaign: Campaign) -> int:
    """Create every recipient's message and delivery rows in one transaction; return recipients."""
    # Lock the campaign (PostgreSQL; SQLite serialises writers) so two start jobs cannot both fan out.
    db.session.execute(select(Campaign.id).where(Campaign.id == campaign.id).with_for_update())
    db.session.refresh(campaign)
    if campaign.started_at is not None:
        db.session.rollback()
        return campaign.recipients
    started = time.monotonic()
    now = utcnow()
    channel = channel_for(campaign.channel)
    texts, default = campaign.texts, campaign.default_language
    infos = {language: sms_info(text) for language, text in texts.items()}
    lang = language_expression(texts, default)
    conditions = audience_conditions(campaign.audience or {})
    reason = skip_reason_expression()

    def per_language(values: dict, else_):
        return case({language: literal(value) for language, value in values.items()}, value=lang,
                    else_=literal(else_))

    columns = ["direction", "channel", "contact_id", "text", "language", "status", "status_history",
               "segments", "encoding", "attempts", "kind", "campaign_id", "labels", "flagged", "handled",
               "extra", "created_at", "updated_at"]
    rows = select(
        literal("out"), literal(channel), Contact.id, per_language(texts, texts[default]), lang,
        literal(MessageStatus.QUEUED.value), literal([], JSON),
        per_language({k: v.segments for k, v in infos.items()}, 1),
        per_language({k: v.encoding for k, v in infos.items()}, "GSM-7"), literal(0), literal("campaign"),
        literal(campaign.id), literal([], JSON), literal(False), literal(False), literal({}, JSON),
        literal(now, UTC()), literal(now, UTC()),
    ).where(*conditions, reason.is_(None))
    db.session.execute(insert(Message).from_select(columns, rows))

    skipped = select(literal(campaign.id), Contact.id, lang, literal(-1), literal(DeliveryStatus.SKIPPED.value),
                     reason, literal(0), literal(now, UTC())).where(*conditions, reason.is_not(None))
    db.session.execute(insert(Delivery).from_select(
        ["campaign_id", "contact_id", "language", "batch", "status", "error", "attempts", "updated_at"], skipped))

    mine = (Message.campaign_id == campaign.id, Message.kind == "campaign")
    per_lang = dict(db.session.execute(select(Message.language, func.count()).where(*mine)
                                       .group_by(Message.language)).all())
    size = current_app.config["SEND_BATCH_SIZE"]
    offsets, offset = {}, 0
    for language in sorted(per_lang):
        offsets[language] = offset
        offset += -(-per_lang[language] // size)
    if per_lang:
        # Batch number = language offset + position within the language / batch size.
        position = func.row_number().over(partition_by=Message.language, order_by=Message.id) - 1
        batch = case({k: literal(v) for k, v in offsets.items()}, value=Message.language, else_=literal(0)) \
            + position.self_group().op("/")(literal(size)).self_group()
        db.session.execute(insert(Delivery).from_select(
            ["campaign_id", "contact_id", "language", "batch", "status", "message_id", "attempts", "updated_at"],
            select(literal(campaign.id), Message.contact_id, Message.language, batch,
                   literal(DeliveryStatus.PENDING.value), Message.id, literal(0), literal(now, UTC())).where(*mine)))
    recipients = sum(per_lang.values())
    segments = sum(n * infos.get(language, infos[default]).segments for language, n in per_lang.items())
    campaign.channel = channel
    campaign.recipients = recipients
    campaign.segments = segments
    campaign.cost = round(segments * segment_price(channel), 4)
    campaign.started_at = now
    db.session.commit()
    log.info("campaign %s fanned out: %s recipients in %s batches, %.2fs", campaign.id, recipients,
             offset, time.monotonic() - started)
    return recipients


# --- batch jobs -----------------------------------------------------------------------------------
