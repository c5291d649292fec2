"""Campaigns: one text per language, an audience, a preview of what sending will cost, and the
state changes staff ask for (send, pause, resume, cancel, retry failed).

The sending itself (fan-out, batches, throttling, exactly-once) lives in `workers/campaigns.py`;
this module only decides *who* and *what*, and moves a campaign between states.

Audience semantics: places (`adm1`, `adm2`) are OR-ed together (a region plus a department
elsewhere); every other key narrows the audience (AND), each key's values OR-ed. An empty
audience is every contact. Stopped contacts and invalid numbers that match are counted as
`skipped`, never sent.
"""
from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app
from rq.job import Job, JobStatus
from sqlalchemy import and_, case, exists, func, literal, or_, select, update

import handlers
from gateway import crypto, jobs, queue
from gateway.extensions import db
from gateway.i18n import LANGUAGES
from gateway.models import (Activity, Campaign, Contact, ContactGroup, Delivery, Message,
                            Registration, Subscription, Topic, utcnow)
from gateway.phone import InvalidNumber, normalize
from gateway.services import audit, contacts
from gateway.services.encoding import sms_info, transliterate
from gateway.services.messaging import queue_sms
from gateway.services.places import InvalidPcode, canonical_pcode

log = logging.getLogger(__name__)

NIAMEY = ZoneInfo("Africa/Niamey")
AUDIENCE_KEYS = ("adm1", "adm2", "languages", "topics", "activities", "groups", "contacts")
REPEATS = ("daily", "weekly", "monthly")
# Delivery statuses shown to staff as "queued": not sent yet, or being sent right now.
QUEUED_STATES = ("pending", "claimed")
COUNT_KEYS = ("queued", "sent", "delivered", "failed", "skipped")


class CampaignError(Exception):
    """A campaign request that cannot be honoured; `status` is the HTTP status to answer."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


# --- validation ---------------------------------------------------------------------------------

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


def normalize_texts(texts, default_language: str | None) -> tuple[dict, str]:
    """Validate `{language: text}` and the default language; return them cleaned."""
    if not isinstance(texts, dict) or not texts:
        raise CampaignError("invalid_texts", "texts must be an object {language: text} with at least one text")
    cleaned = {}
    for language, text in texts.items():
        if language not in LANGUAGES:
            raise CampaignError("invalid_texts", f"unknown language {language!r} "
                                                 f"(one of {', '.join(LANGUAGES)})")
        if not isinstance(text, str) or not text.strip():
            raise CampaignError("invalid_texts", f"the {language} text is empty")
        if len(text) > 1600:
            raise CampaignError("invalid_texts", f"the {language} text is longer than 1600 characters")
        cleaned[language] = text.strip()
    default_language = default_language or ("fra" if "fra" in cleaned else sorted(cleaned)[0])
    if default_language not in cleaned:
        raise CampaignError("invalid_texts", f"default_language {default_language!r} has no text")
    return cleaned, default_language


def parse_send_at(raw) -> datetime | None:
    """An ISO time; without an offset it is Niger time (Africa/Niamey). Returned in UTC."""
    if raw in (None, ""):
        return None
    if not isinstance(raw, str):
        raise CampaignError("invalid_send_at", "send_at must be an ISO 8601 string")
    try:
        value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise CampaignError("invalid_send_at", "send_at must be an ISO 8601 date and time") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=NIAMEY)
    return value.astimezone(timezone.utc)


def _channel_name(requested: str | None) -> str | None:
    if requested in (None, ""):
        return None
    if requested not in current_app.extensions["channels"]:
        raise CampaignError("invalid_channel", f"unknown channel {requested!r}")
    return requested


def create(data: dict, actor: str) -> Campaign:
    """Create a draft campaign from an API or form payload. Nothing is stored when invalid."""
    if not isinstance(data, dict):
        raise CampaignError("invalid_body", "send a JSON object")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 120:
        raise CampaignError("invalid_name", "name is required (at most 120 characters)")
    texts, default_language = normalize_texts(data.get("texts"), data.get("default_language"))
    audience = normalize_audience(data.get("audience"))
    send_at = parse_send_at(data.get("send_at"))
    repeat = data.get("repeat") or None
    if repeat is not None and repeat not in REPEATS:
        raise CampaignError("invalid_repeat", f"repeat must be one of {', '.join(REPEATS)}")
    if repeat and send_at is None:
        raise CampaignError("invalid_repeat", "a repeating campaign needs send_at (its first occurrence)")
    campaign = Campaign(name=name.strip(), texts=texts, default_language=default_language,
                        audience=audience, send_at=send_at, repeat=repeat,
                        channel=_channel_name(data.get("channel")), status="draft", created_by=actor)
    db.session.add(campaign)
    db.session.flush()
    audit.record(actor, "campaign.create", "campaign", campaign.id, languages=sorted(texts))
    db.session.commit()
    return campaign


# --- audience as SQL ------------------------------------------------------------------------------

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
            Registration.contact_id == Contact.id, Registration.status != "cancelled",
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


def text_for(campaign: Campaign, language: str) -> str:
    """The text a recipient in `language` receives."""
    return campaign.texts.get(language) or campaign.texts[campaign.default_language]


# --- preview --------------------------------------------------------------------------------------

def per_channel(setting: str, channel: str, default: float) -> float:
    """Read "channel=value,other=value" settings; `default` when the channel is not listed."""
    for item in (setting or "").split(","):
        name, _, value = item.partition("=")
        if name.strip() == channel and value.strip():
            return float(value)
    return default


def segment_price(channel: str) -> float:
    """Price of one SMS segment on `channel` (SEGMENT_PRICES override, else SEGMENT_PRICE)."""
    config = current_app.config
    return per_channel(config.get("SEGMENT_PRICES", ""), channel, float(config.get("SEGMENT_PRICE") or 0))


def channel_for(campaign_channel: str | None) -> str:
    """The channel a campaign sends on: its own, else the configured SMS_PROVIDER."""
    return handlers.sending_channel(campaign_channel).name


def text_summary(text: str) -> dict:
    """Encoding and segments of `text`, and what transliterating it to GSM-7 would save."""
    info = sms_info(text)
    summary = {"encoding": info.encoding, "length": info.length, "segments": info.segments,
               "non_gsm": list(info.non_gsm)}
    if info.encoding != "GSM-7":
        saved = info.segments - sms_info(transliterate(text)).segments
        summary["transliterated_segments"] = info.segments - saved
        summary["segments_saved_by_transliteration"] = saved
    return summary


def preview(texts: dict, default_language: str, audience: dict, channel: str | None = None) -> dict:
    """Recipients, encoding and segments per language, total segments and estimated cost."""
    lang = language_expression(texts, default_language)
    reason = skip_reason_expression()
    stmt = select(lang.label("language"), reason.label("reason"), func.count().label("n")) \
        .select_from(Contact).where(*audience_conditions(audience)).group_by(lang, reason)
    per_language: dict[str, int] = {}
    skipped: dict[str, int] = {}
    for row in db.session.execute(stmt):
        if row.reason:
            skipped[row.reason] = skipped.get(row.reason, 0) + row.n
        else:
            per_language[row.language] = per_language.get(row.language, 0) + row.n
    channel_name = channel_for(channel)
    price = segment_price(channel_name)
    languages, total_segments, total_recipients = [], 0, 0
    for language in sorted(set(texts) | set(per_language)):
        text = texts.get(language) or texts[default_language]
        summary = text_summary(text)
        recipients = per_language.get(language, 0)
        segments = recipients * summary["segments"]
        total_segments += segments
        total_recipients += recipients
        languages.append({"language": language, "recipients": recipients, **summary,
                          "total_segments": segments, "cost": round(segments * price, 4),
                          "uses_default_text": language not in texts})
    return {"recipients": total_recipients, "skipped": sum(skipped.values()), "skipped_reasons": skipped,
            "languages": languages, "segments": total_segments, "cost": round(total_segments * price, 4),
            "segment_price": price, "currency": current_app.config.get("CURRENCY"), "channel": channel_name}


def campaign_preview(campaign: Campaign) -> dict:
    """`preview` for a stored campaign."""
    return preview(campaign.texts, campaign.default_language, campaign.audience or {}, campaign.channel)


def transliteration_preview(text: str) -> dict:
    """The GSM-7 transliteration of `text` with both encodings and the segments saved."""
    if not isinstance(text, str) or not text:
        raise CampaignError("invalid_text", "text is required")
    converted = transliterate(text)
    before, after = sms_info(text), sms_info(converted)
    return {"text": converted, "changed": converted != text,
            "before": {"encoding": before.encoding, "segments": before.segments, "length": before.length,
                       "non_gsm": list(before.non_gsm)},
            "after": {"encoding": after.encoding, "segments": after.segments, "length": after.length},
            "segments_saved": before.segments - after.segments}


def test_send(campaign: Campaign | None, phone: str, language: str | None, actor: str,
              texts: dict | None = None) -> Message:
    """Queue the campaign's text (in `language`) to one number, outside the campaign's counts."""
    texts = texts or (campaign.texts if campaign else None)
    if not texts:
        raise CampaignError("invalid_texts", "nothing to send: no text")
    default = campaign.default_language if campaign else ("fra" if "fra" in texts else sorted(texts)[0])
    language = language or default
    if language not in LANGUAGES:
        raise CampaignError("invalid_language", f"unknown language {language!r}")
    try:
        contact, _ = contacts.get_or_create(phone or "")
    except InvalidNumber as exc:
        raise CampaignError("invalid_phone", str(exc)) from None
    text = texts.get(language) or texts[default]
    message = queue_sms(contact, text, kind="campaign_test", language=language,
                        channel=campaign.channel if campaign else None, commit=False)
    audit.record(actor, "campaign.test_send", "campaign", campaign.id if campaign else None,
                 language=language, contact=contact.reporter_code)
    db.session.commit()
    return message


# --- progress -------------------------------------------------------------------------------------

def counts(campaign_id: int) -> dict:
    """Recipients per state: queued, sent, delivered, failed, skipped."""
    result = dict.fromkeys(COUNT_KEYS, 0)
    rows = db.session.execute(select(Delivery.status, func.count()).where(
        Delivery.campaign_id == campaign_id).group_by(Delivery.status))
    for status, n in rows:
        result["queued" if status in QUEUED_STATES else status] = result.get(
            "queued" if status in QUEUED_STATES else status, 0) + n
    return result


def failure_reasons(campaign_id: int, limit: int = 10) -> list[dict]:
    """The most frequent reasons for failed and skipped recipients."""
    rows = db.session.execute(select(Delivery.status, Delivery.error, func.count().label("n")).where(
        Delivery.campaign_id == campaign_id, Delivery.status.in_(("failed", "skipped"))
    ).group_by(Delivery.status, Delivery.error).order_by(func.count().desc()).limit(limit))
    return [{"status": r.status, "reason": r.error, "count": r.n} for r in rows]


def local_time(value: datetime | None) -> str | None:
    """An aware UTC time shown in Niger time."""
    return value.astimezone(NIAMEY).isoformat() if value else None


def summary(campaign: Campaign, with_preview: bool = False) -> dict:
    """What the API and the console show about a campaign."""
    body = {
        "id": campaign.id, "name": campaign.name, "status": campaign.status,
        "texts": campaign.texts, "default_language": campaign.default_language,
        "audience": campaign.audience, "channel": campaign.channel, "repeat": campaign.repeat,
        "send_at": campaign.send_at.isoformat() if campaign.send_at else None,
        "send_at_local": local_time(campaign.send_at),
        "recipients": campaign.recipients, "counts": counts(campaign.id),
        "segments": campaign.segments, "cost": float(campaign.cost or 0),
        "currency": current_app.config.get("CURRENCY"),
        "created_at": campaign.created_at.isoformat(),
        "started_at": campaign.started_at.isoformat() if campaign.started_at else None,
        "finished_at": campaign.finished_at.isoformat() if campaign.finished_at else None,
        "error": campaign.error,
    }
    not_started = campaign.status in ("draft", "scheduled")
    if not_started or with_preview:
        body["preview"] = campaign_preview(campaign)
        if not_started:
            body["segments"], body["cost"] = body["preview"]["segments"], body["preview"]["cost"]
    if not not_started:
        body["failure_reasons"] = failure_reasons(campaign.id)
        # Sent, but the provider's answer was never recorded (worker killed mid-request):
        # counted as sent, never sent twice (workers/campaigns.py, CAMPAIGN_ORPHAN_POLICY).
        body["unconfirmed"] = db.session.scalar(select(func.count()).select_from(Delivery).where(
            Delivery.campaign_id == campaign.id, Delivery.status == "sent",
            Delivery.error.like("unconfirmed%"))) or 0
    return body


# --- starting and scheduling (the jobs themselves are in workers/campaigns.py) -------------------

KEY_TTL = 30 * 24 * 3600


def _jobs_key(campaign_id: int) -> str:
    """Redis hash naming the campaign's start and batch jobs (batch number or "start" → job id)."""
    return f"murya:campaign:{campaign_id}:jobs"


def _watch_key(campaign_id: int) -> str:
    """Redis key naming the campaign's current watchdog job."""
    return f"murya:campaign:{campaign_id}:watch"


def start_now(campaign_id: int) -> None:
    """Commit, then queue the start job (fan-out, or resume after pause / retry)."""
    db.session.commit()   # the job must see the state change that asked for it
    job = jobs.enqueue(jobs.START_CAMPAIGN, campaign_id,
                       job_id=f"campaign-{campaign_id}-start-{uuid.uuid4().hex[:8]}")
    queue.connection().hset(_jobs_key(campaign_id), "start", job.id)


def schedule(campaign: Campaign) -> Job:
    """Have RQ's scheduler start the campaign at its `send_at` (UTC; given in Niger time)."""
    job = jobs.enqueue(jobs.START_CAMPAIGN, campaign.id, at=campaign.send_at,
                       job_id=f"campaign-{campaign.id}-start-{uuid.uuid4().hex[:8]}")
    campaign.status, campaign.job_id = "scheduled", job.id
    return job


def unschedule(campaign: Campaign) -> None:
    """Drop the scheduled start job of a cancelled campaign (the job would no-op anyway)."""
    if not campaign.job_id:
        return
    job = Job.fetch_many([campaign.job_id], connection=queue.connection())[0]
    if job is not None and job.get_status(refresh=False) in (JobStatus.SCHEDULED, JobStatus.QUEUED):
        job.cancel()


# --- state changes --------------------------------------------------------------------------------

def get(campaign_id: int) -> Campaign:
    """A campaign by id, or CampaignError 404."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise CampaignError("not_found", f"no campaign {campaign_id}", status=404)
    return campaign


def _conflict(campaign: Campaign, action: str) -> CampaignError:
    return CampaignError("invalid_state", f"cannot {action} a campaign that is {campaign.status}", status=409)


def send(campaign: Campaign, actor: str) -> Campaign:
    """Send now, or at `send_at` when that is in the future (RQ's scheduler runs it)."""
    if campaign.status != "draft":
        raise _conflict(campaign, "send")
    if campaign.send_at is not None and campaign.send_at > utcnow() + timedelta(seconds=5):
        schedule(campaign)
        audit.record(actor, "campaign.schedule", "campaign", campaign.id, send_at=campaign.send_at.isoformat())
    else:
        campaign.status = "sending"
        audit.record(actor, "campaign.send", "campaign", campaign.id)
        db.session.commit()
        start_now(campaign.id)
    db.session.commit()
    return campaign


def pause(campaign: Campaign, actor: str) -> Campaign:
    """Stop claiming new batches; batches already at the provider finish."""
    changed = db.session.execute(update(Campaign).where(
        Campaign.id == campaign.id, Campaign.status == "sending").values(status="paused")).rowcount
    if not changed:
        raise _conflict(campaign, "pause")
    audit.record(actor, "campaign.pause", "campaign", campaign.id)
    db.session.commit()
    db.session.refresh(campaign)
    return campaign


def resume(campaign: Campaign, actor: str) -> Campaign:
    """Carry on from where the campaign stopped."""
    changed = db.session.execute(update(Campaign).where(
        Campaign.id == campaign.id, Campaign.status == "paused").values(status="sending")).rowcount
    if not changed:
        raise _conflict(campaign, "resume")
    audit.record(actor, "campaign.resume", "campaign", campaign.id)
    db.session.commit()
    start_now(campaign.id)
    db.session.refresh(campaign)
    return campaign


def cancel(campaign: Campaign, actor: str) -> Campaign:
    """Cancel: nothing more is sent; recipients not reached yet are counted as skipped."""
    changed = db.session.execute(update(Campaign).where(
        Campaign.id == campaign.id, Campaign.status.in_(("draft", "scheduled", "sending", "paused"))
    ).values(status="cancelled", finished_at=utcnow())).rowcount
    if not changed:
        raise _conflict(campaign, "cancel")
    skip_pending(campaign.id, "cancelled")
    audit.record(actor, "campaign.cancel", "campaign", campaign.id)
    db.session.commit()
    unschedule(campaign)
    db.session.refresh(campaign)
    return campaign


def skip_pending(campaign_id: int, reason: str) -> int:
    """Mark every recipient not claimed yet as skipped (with its message). Returns how many."""
    pending = select(Delivery.message_id).where(Delivery.campaign_id == campaign_id,
                                                Delivery.status == "pending", Delivery.message_id.is_not(None))
    db.session.execute(update(Message).where(Message.id.in_(pending), Message.status == "queued")
                       .values(status="skipped", failure_reason=reason, updated_at=utcnow()))
    return db.session.execute(update(Delivery).where(
        Delivery.campaign_id == campaign_id, Delivery.status == "pending"
    ).values(status="skipped", error=reason, updated_at=utcnow())).rowcount


def retry_failed(campaign: Campaign, actor: str) -> int:
    """Queue failed recipients again (not those who stopped or whose number is invalid)."""
    if campaign.status not in ("completed", "sending", "paused"):
        raise _conflict(campaign, "retry")
    retryable = and_(Delivery.campaign_id == campaign.id, Delivery.status == "failed",
                     Delivery.contact_id.in_(select(Contact.id).where(
                         Contact.stopped.is_(False), Contact.invalid.is_(False))))
    message_ids = select(Delivery.message_id).where(retryable, Delivery.message_id.is_not(None))
    db.session.execute(update(Message).where(Message.id.in_(message_ids)).values(
        status="queued", provider_id=None, error_code=None, failure_reason=None, updated_at=utcnow()))
    again = db.session.execute(update(Delivery).where(retryable).values(
        status="pending", provider_id=None, updated_at=utcnow())).rowcount
    if not again:
        db.session.rollback()
        raise CampaignError("nothing_to_retry", "no failed recipient can be retried", status=409)
    db.session.execute(update(Campaign).where(Campaign.id == campaign.id).values(
        status="sending", finished_at=None))
    audit.record(actor, "campaign.retry_failed", "campaign", campaign.id, recipients=again)
    db.session.commit()
    start_now(campaign.id)
    db.session.refresh(campaign)
    return again


# --- delivery reports -----------------------------------------------------------------------------

# A delivery may move only forward: from these states to the message's new state.
_FORWARD = {"sent": ("claimed",), "delivered": ("claimed", "sent"), "failed": ("claimed", "sent")}


def on_message_status(message: Message) -> None:
    """A campaign message's status changed (delivery report): its Delivery row follows."""
    if message.kind != "campaign" or message.status not in _FORWARD:
        return
    values = {"status": message.status, "updated_at": utcnow()}
    if message.provider_id:
        values["provider_id"] = message.provider_id
    if message.status == "failed":
        values["error"] = (message.failure_reason or message.provider_status or "failed")[:200]
    db.session.execute(update(Delivery).where(
        Delivery.message_id == message.id, Delivery.status.in_(_FORWARD[message.status])).values(**values))


def reconcile_status(channel: str, provider_id: str, phone: str | None) -> Message | None:
    """A delivery report for a provider id we never recorded: find the campaign message by number.

    This happens when a worker died after the provider accepted a batch but before the answer
    was stored (exactly-once, see workers/campaigns.py). The report names the number, so the
    recipient's unconfirmed campaign delivery is matched and confirmed instead of sent again.
    """
    if not phone:
        return None
    try:
        digest = crypto.lookup_hash(normalize(phone))
    except InvalidNumber:
        return None
    delivery = db.session.scalar(
        select(Delivery).join(Contact, Contact.id == Delivery.contact_id).join(
            Campaign, Campaign.id == Delivery.campaign_id).where(
            Contact.phone_hash == digest, Delivery.provider_id.is_(None),
            Delivery.status.in_(("claimed", "sent")), Delivery.message_id.is_not(None),
            or_(Campaign.channel == channel, Campaign.channel.is_(None)))
        .order_by(Delivery.claimed_at.desc()).limit(1))
    if delivery is None:
        return None
    message = db.session.get(Message, delivery.message_id)
    if message is None or (message.provider_id and message.provider_id != provider_id):
        return None
    message.provider_id = provider_id
    delivery.provider_id = provider_id
    if delivery.error and delivery.error.startswith("unconfirmed"):
        delivery.error = None
    log.info("campaign %s: delivery report confirmed an unrecorded send", delivery.campaign_id)
    return message
