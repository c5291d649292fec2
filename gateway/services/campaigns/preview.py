"""What sending a campaign would cost before it is sent: recipients, encoding and segments per
language, total segments and cost on its channel; and a one-click GSM-7 transliteration."""
from __future__ import annotations

from flask import current_app
from sqlalchemy import func, select

import handlers
from gateway.extensions import db
from gateway.models import Campaign, Contact
from gateway.services.campaigns.audience import audience_conditions, language_expression, skip_reason_expression
from gateway.services.campaigns.errors import CampaignError
from gateway.services.encoding import sms_info, transliterate


def segment_price(channel: str) -> float:
    """Price of one SMS segment on `channel` (SEGMENT_PRICES override, else SEGMENT_PRICE)."""
    config = current_app.config
    return config["SEGMENT_PRICES"].get(channel, config["SEGMENT_PRICE"])


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
            "segment_price": price, "currency": current_app.config["CURRENCY"], "channel": channel_name}


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
