"""A campaign as staff write it: one text per language, an audience, when to send, a repeat."""
from __future__ import annotations

from datetime import datetime

from flask import current_app

from gateway.extensions import db
from gateway.i18n import LANGUAGES
from gateway.models import Campaign, CampaignStatus
from gateway.services import audit
from gateway.services.campaigns.audience import normalize_audience
from gateway.services.campaigns.errors import CampaignError
from gateway.timezone import NIGER, parse_iso_time

REPEATS = ("daily", "weekly", "monthly")


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
        if "\x00" in text:
            raise CampaignError("invalid_texts", f"the {language} text contains a NUL character")
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
        return parse_iso_time(raw, NIGER)
    except ValueError:
        raise CampaignError("invalid_send_at", "send_at must be an ISO 8601 date and time") from None


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
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 120 or "\x00" in name:
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
                        channel=_channel_name(data.get("channel")), status=CampaignStatus.DRAFT.value,
                        created_by=actor)
    db.session.add(campaign)
    db.session.flush()
    audit.record(actor, "campaign.create", "campaign", campaign.id, languages=sorted(texts))
    db.session.commit()
    return campaign


def text_for(campaign: Campaign, language: str) -> str:
    """The text a recipient in `language` receives."""
    return campaign.texts.get(language) or campaign.texts[campaign.default_language]
