"""Console: campaigns — list, new campaign with live preview, detail with live progress."""
from __future__ import annotations

from flask import abort, flash, g, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select

from gateway.console import bp
from gateway.console.auth import login_required
from gateway.console.helpers import check_csrf
from gateway.extensions import db
from gateway.i18n import LANGUAGES
from gateway.models import Activity, Campaign, Topic
from gateway.services import campaigns, places
from gateway.services.campaigns import CampaignError

# The languages the form offers a text box for first (complete catalogs), then the others.
FORM_LANGUAGES = ["fra", "hau", "dje"] + [code for code in LANGUAGES if code not in ("fra", "hau", "dje")]
GROUPS = ["youth", "women", "leaders"]


def _form_payload(form) -> dict:
    """The campaign payload (same shape as the API's) from the console form."""
    texts = {code: form.get(f"text_{code}", "").strip() for code in LANGUAGES}
    groups = form.getlist("groups") + [x.strip() for x in form.get("extra_groups", "").split(",") if x.strip()]
    return {
        "name": form.get("name", ""),
        "texts": {code: text for code, text in texts.items() if text},
        "default_language": form.get("default_language") or None,
        "audience": {"adm1": form.getlist("adm1"), "adm2": form.getlist("adm2"),
                     "languages": form.getlist("languages"), "topics": form.getlist("topics"),
                     "activities": form.getlist("activities"), "groups": groups},
        "send_at": form.get("send_at") or None,       # datetime-local: Niger time
        "repeat": form.get("repeat") or None,
    }


def _choices() -> dict:
    return {
        "languages": FORM_LANGUAGES, "language_names": LANGUAGES, "groups": GROUPS,
        "regions": places.regions(),
        "departments": [d for r in places.regions() for d in places.departments(r.pcode)],
        "topics": list(db.session.scalars(select(Topic).where(Topic.active.is_(True)).order_by(Topic.position))),
        "activities": list(db.session.scalars(select(Activity).where(Activity.status == "open")
                                              .order_by(Activity.starts_at))),
        "repeats": campaigns.REPEATS,
    }


@bp.get("/campaigns", endpoint="campaigns")
@login_required("staff")
def campaigns_list():
    """Every campaign, newest first, with its progress."""
    rows = list(db.session.scalars(select(Campaign).order_by(Campaign.id.desc()).limit(200)))
    return render_template("console/campaigns.html", campaigns=rows,
                           counts={c.id: campaigns.counts(c.id) for c in rows},
                           local_time=campaigns.local_time)


@bp.route("/campaigns/new", methods=["GET", "POST"])
@login_required("staff")
def campaign_new():
    """The new campaign form; saving creates a draft, or sends / schedules at once."""
    if request.method == "POST":
        check_csrf()
        try:
            campaign = campaigns.create(_form_payload(request.form), g.actor)
            if request.form.get("send_now"):
                campaigns.send(campaign, g.actor)
        except CampaignError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return render_template("console/campaign_new.html", form=request.form, **_choices()), 400
        return redirect(url_for("console.campaign_detail", campaign_id=campaign.id))
    return render_template("console/campaign_new.html", form={}, **_choices())


@bp.post("/campaigns/preview.json")
@login_required("staff")
def campaign_preview_json():
    """Live preview for the form: recipients, encoding, segments and cost per language."""
    check_csrf()
    payload = _form_payload(request.form)
    try:
        texts, default = campaigns.normalize_texts(payload["texts"], payload["default_language"])
        audience = campaigns.normalize_audience(payload["audience"])
    except CampaignError as exc:
        return jsonify({"error": {"code": exc.code, "message": exc.message}}), 400
    return jsonify(campaigns.preview(texts, default, audience))


@bp.post("/campaigns/transliterate.json")
@login_required("staff")
def campaign_transliterate_json():
    """One-click transliteration of a text to GSM-7, with the segments saved."""
    check_csrf()
    try:
        return jsonify(campaigns.transliteration_preview(request.form.get("text", "")))
    except CampaignError as exc:
        return jsonify({"error": {"code": exc.code, "message": exc.message}}), 400


@bp.post("/campaigns/test-send.json")
@login_required("staff")
def campaign_test_send_json():
    """Send the form's text (in one language) to one number."""
    check_csrf()
    payload = _form_payload(request.form)
    campaign_id = request.form.get("campaign_id", type=int)
    try:
        campaign = campaigns.get(campaign_id) if campaign_id else None
        texts = None if campaign else campaigns.normalize_texts(payload["texts"], payload["default_language"])[0]
        message = campaigns.test_send(campaign, request.form.get("phone", ""),
                                      request.form.get("language") or None, g.actor, texts=texts)
    except CampaignError as exc:
        db.session.rollback()
        return jsonify({"error": {"code": exc.code, "message": exc.message}}), exc.status
    return jsonify({"message_id": message.id, "status": message.status}), 202


@bp.get("/campaigns/<int:campaign_id>")
@login_required("staff")
def campaign_detail(campaign_id: int):
    """One campaign: texts, audience, preview, live progress and actions."""
    campaign = db.session.get(Campaign, campaign_id) or abort(404)
    return render_template("console/campaign_detail.html", campaign=campaign,
                           summary=campaigns.summary(campaign, with_preview=True),
                           language_names=LANGUAGES)


@bp.get("/campaigns/<int:campaign_id>/progress.json")
@login_required("staff")
def campaign_progress_json(campaign_id: int):
    """What the detail page polls: status and counts."""
    campaign = db.session.get(Campaign, campaign_id) or abort(404)
    return jsonify(campaigns.summary(campaign))


_ACTIONS = {"send": campaigns.send, "pause": campaigns.pause, "resume": campaigns.resume,
            "cancel": campaigns.cancel}
_DONE = {"send": "Campaign sent to the queue (or scheduled).", "pause": "Campaign paused.",
         "resume": "Campaign resumed.", "cancel": "Campaign cancelled."}


@bp.post("/campaigns/<int:campaign_id>/<any(send, pause, resume, cancel, retry):action>")
@login_required("staff")
def campaign_action(campaign_id: int, action: str):
    """Send, pause, resume, cancel or retry failed recipients."""
    check_csrf()
    campaign = db.session.get(Campaign, campaign_id) or abort(404)
    try:
        if action == "retry":
            flash(f"{campaigns.retry_failed(campaign, g.actor)} recipients queued again.", "info")
        else:
            _ACTIONS[action](campaign, g.actor)
            flash(_DONE[action], "info")
    except CampaignError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    return redirect(url_for("console.campaign_detail", campaign_id=campaign_id))
