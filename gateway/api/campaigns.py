"""/api/v1/campaigns: create, preview, send, follow, pause, resume, cancel, retry failed."""
from __future__ import annotations

from flask import g, request
from sqlalchemy import select

from gateway.api import bp
from gateway.api.auth import require_role
from gateway.api.openapi import document, query
from gateway.api.pagination import page, where_choice
from gateway.errors import APIError
from gateway.models import Campaign
from gateway.models.campaigns import CAMPAIGN_STATUSES
from gateway.services import campaigns


def _json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise APIError(400, "invalid_body", "send a JSON object (Content-Type: application/json)")
    return body


def serialize_campaign(campaign: Campaign) -> dict:
    """The list shape of a campaign (counts come from the detail endpoint)."""
    return {"id": campaign.id, "name": campaign.name, "status": campaign.status,
            "languages": sorted(campaign.texts), "recipients": campaign.recipients,
            "send_at": campaign.send_at.isoformat() if campaign.send_at else None,
            "send_at_local": campaigns.local_time(campaign.send_at), "repeat": campaign.repeat,
            "created_at": campaign.created_at.isoformat()}


_CAMPAIGN_BODY = {"application/json": {"schema": {"type": "object", "required": ["name", "texts"], "properties": {
    "name": {"type": "string"}, "texts": {"type": "object", "additionalProperties": {"type": "string"}},
    "default_language": {"type": "string"}, "channel": {"type": "string"},
    "audience": {"type": "object", "properties": {k: {"type": "array"} for k in campaigns.AUDIENCE_KEYS}},
    "send_at": {"type": "string", "description": "ISO 8601; without offset: Niger time (Africa/Niamey)"},
    "repeat": {"type": "string", "enum": list(campaigns.REPEATS)}}}}}
_ID = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]

document("/campaigns", "get", "List campaigns, newest first", params=[
    query("status", "campaign status", {"type": "string", "enum": list(CAMPAIGN_STATUSES)}),
    query("limit", "page size (1-500)", {"type": "integer"}), query("after", "cursor from `next`", {"type": "integer"})])
document("/campaigns", "post", "Create a draft campaign; returns its id", body=_CAMPAIGN_BODY, role="staff",
         responses={"201": {"description": "created: {\"id\"}"}, "400": {"description": "invalid"}})
document("/campaigns/preview", "post", "Recipients, encoding, segments and cost of an unsaved campaign",
         body=_CAMPAIGN_BODY, role="staff")
document("/campaigns/transliterate", "post", "A text transliterated to GSM-7 and the segments saved",
         body={"application/json": {"schema": {"type": "object", "properties": {"text": {"type": "string"}}}}},
         role="staff")
document("/campaigns/{id}", "get", "Status, counts (queued, sent, delivered, failed, skipped), segments, cost",
         params=_ID)
document("/campaigns/{id}/preview", "get", "Recipients, encoding, segments and cost per language", params=_ID)
for _action, _summary in (("send", "Send now, or schedule at send_at"), ("pause", "Pause sending"),
                          ("resume", "Resume a paused campaign"), ("cancel", "Cancel"),
                          ("retry-failed", "Send again to failed recipients")):
    document(f"/campaigns/{{id}}/{_action}", "post", _summary, params=_ID, role="staff",
             responses={"200": {"description": "the campaign"}, "409": {"description": "wrong state"}})
document("/campaigns/{id}/test-send", "post", "Send the campaign's text to one number", params=_ID, role="staff",
         body={"application/json": {"schema": {"type": "object", "required": ["phone"], "properties": {
             "phone": {"type": "string"}, "language": {"type": "string"}}}}},
         responses={"202": {"description": "queued"}})


@bp.get("/campaigns")
@require_role("viewer")
def list_campaigns():
    """Campaigns, newest first, optionally by status."""
    stmt = select(Campaign)
    stmt = where_choice(stmt, Campaign.status, "status", CAMPAIGN_STATUSES)
    return page(stmt, Campaign.id, serialize_campaign, "api.list_campaigns")


@bp.post("/campaigns")
@require_role("staff")
def create_campaign():
    """Create a draft campaign."""
    campaign = campaigns.create(_json_body(), g.actor)
    return {"id": campaign.id, "status": campaign.status}, 201


@bp.post("/campaigns/preview")
@require_role("staff")
def preview_unsaved():
    """Preview what a campaign body would send, without storing it."""
    body = _json_body()
    texts, default = campaigns.normalize_texts(body.get("texts"), body.get("default_language"))
    audience = campaigns.normalize_audience(body.get("audience"))
    return campaigns.preview(texts, default, audience, body.get("channel") or None)


@bp.post("/campaigns/transliterate")
@require_role("staff")
def transliterate_text():
    """GSM-7 transliteration of a text, with the segments it saves."""
    return campaigns.transliteration_preview(_json_body().get("text"))


@bp.get("/campaigns/<int:campaign_id>")
@require_role("viewer")
def get_campaign(campaign_id: int):
    """A campaign's status and live counts."""
    return campaigns.summary(campaigns.get(campaign_id))


@bp.get("/campaigns/<int:campaign_id>/preview")
@require_role("viewer")
def preview_campaign(campaign_id: int):
    """Recipients, encoding, segments and cost per language for a stored campaign."""
    return campaigns.campaign_preview(campaigns.get(campaign_id))


_ACTIONS = {"send": campaigns.send, "pause": campaigns.pause, "resume": campaigns.resume,
            "cancel": campaigns.cancel}


@bp.post("/campaigns/<int:campaign_id>/<any(send, pause, resume, cancel):action>")
@require_role("staff")
def campaign_action(campaign_id: int, action: str):
    """Send, pause, resume or cancel."""
    campaign = _ACTIONS[action](campaigns.get(campaign_id), g.actor)
    return campaigns.summary(campaign)


@bp.post("/campaigns/<int:campaign_id>/retry-failed")
@require_role("staff")
def retry_failed(campaign_id: int):
    """Queue the failed recipients again."""
    campaign = campaigns.get(campaign_id)
    again = campaigns.retry_failed(campaign, g.actor)
    return {**campaigns.summary(campaign), "retried": again}


@bp.post("/campaigns/<int:campaign_id>/test-send")
@require_role("staff")
def test_send(campaign_id: int):
    """Send the campaign's text to one number (not counted in the campaign)."""
    body = _json_body()
    message = campaigns.test_send(campaigns.get(campaign_id), body.get("phone"), body.get("language"), g.actor)
    return {"message_id": message.id, "status": message.status, "language": message.language}, 202
