"""Console: campaigns — list, new campaign with a live preview, a confirmation step with the
recipients and the cost, and a detail page whose progress bar and buttons follow the sending."""
from __future__ import annotations

from flask import abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select

from gateway.console import bp, names
from gateway.console.auth import NAV, login_required
from gateway.console.helpers import check_csrf
from gateway.errors import domain_status
from gateway.extensions import db
from gateway.i18n import LANGUAGES
from gateway.models import Activity, Campaign, Topic
from gateway.services import campaigns, lookups, places
from gateway.services.campaigns import progress as campaign_progress
from gateway.services.campaigns import CampaignError

NAV.append(("console.campaigns", _l("Campaigns"), "staff"))
# The languages the form offers a text box for first (complete catalogs), then the others.
FORM_LANGUAGES = ["fra", "hau", "dje"] + [code for code in LANGUAGES if code not in ("fra", "hau", "dje")]
GROUPS = ["youth", "women", "leaders"]
LIVE = ("scheduled", "sending", "paused")


def explain(exc: CampaignError) -> str:
    """The service's error code in plain words (its own message is the API's, in English)."""
    return {
        "invalid_name": _("Give the campaign a name (120 characters at most)."),
        "invalid_texts": _("Write the message in at least one language (1,600 characters at most each); "
                           "the default language must have a text."),
        "invalid_audience": _("Check the audience: a place, topic or activity chosen no longer exists."),
        "invalid_send_at": _("The sending time is not a valid date and time (Niger time)."),
        "invalid_repeat": _("A repeated campaign needs a first sending time; choose how often from the list."),
        "invalid_channel": _("This sending channel is not available."),
        "invalid_state": _("Not possible now: the campaign is “%(status)s”.", status=_status_of(exc)),
        "not_found": _("This campaign does not exist."),
        "invalid_text": _("Write a text first."),
        "invalid_language": _("Choose a language from the list."),
        "invalid_phone": _("This phone number is not valid: write it like +227 90 12 34 56."),
        "nothing_to_retry": _("No failed recipient can be sent to again."),
    }.get(exc.code, _("The campaign could not be saved: check the form."))


def _status_of(exc: CampaignError) -> str:
    # "cannot send a campaign that is sending": the last word is the status the service saw.
    return names.status(exc.message.rsplit(" ", 1)[-1], "campaign")


REASONS = {"stopped": _l("asked to stop (STOP)"), "invalid number": _l("invalid number"),
           "cancelled": _l("campaign cancelled")}


def reason(text: str | None) -> str:
    """A failure or skip reason in words (a provider's own message is shown as it came)."""
    if not text:
        return ""
    if text.startswith("unconfirmed"):
        return _("sent, not confirmed by the provider")
    return str(REASONS.get(text, text))


def _form_payload(form) -> dict:
    """The campaign payload (same shape as the API's) from the console form.

    A region with some of its departments ticked means those departments only: the service
    adds places together (region OR department), the form narrows a region to departments.
    """
    texts = {code: form.get(f"text_{code}", "").strip() for code in LANGUAGES}
    groups = form.getlist("groups") + [x.strip() for x in form.get("extra_groups", "").split(",") if x.strip()]
    departments = form.getlist("adm2")
    parents = lookups.department_regions() if departments else {}
    narrowed = {parents.get(d) for d in departments}
    return {
        "name": form.get("name", ""),
        "texts": {code: text for code, text in texts.items() if text},
        "default_language": form.get("default_language") or None,
        "audience": {"adm1": [r for r in form.getlist("adm1") if r not in narrowed], "adm2": departments,
                     "languages": form.getlist("languages"), "topics": form.getlist("topics"),
                     "activities": form.getlist("activities"), "groups": groups},
        "send_at": form.get("send_at") or None,       # datetime-local: Niger time
        "repeat": form.get("repeat") or None,
    }


def _choices() -> dict:
    regions = places.regions()
    return {
        "languages": FORM_LANGUAGES, "groups": GROUPS, "regions": regions,
        "departments": {r.pcode: places.departments(r.pcode) for r in regions},
        "topics": list(db.session.scalars(select(Topic).where(Topic.active.is_(True)).order_by(Topic.position))),
        "activities": list(db.session.scalars(select(Activity).where(Activity.status == "open")
                                              .order_by(Activity.starts_at))),
        "repeats": campaigns.REPEATS,
    }


def _campaign_or_404(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    return campaign


@bp.get("/campaigns", endpoint="campaigns")
@login_required("staff")
def campaigns_list():
    """Every campaign, newest first, with its progress."""
    rows = list(db.session.scalars(select(Campaign).order_by(Campaign.id.desc()).limit(200)))
    return render_template("console/campaigns.html", campaigns=rows,
                           counts={c.id: campaigns.counts(c.id) for c in rows})


def _render_form(form, status: int = 200):
    checked = {key: set(form.getlist(key)) if hasattr(form, "getlist") else set()
               for key in ("adm1", "adm2", "languages", "topics", "activities", "groups")}
    return render_template("console/campaign_new.html", form=form, checked=checked, **_choices()), status


@bp.route("/campaigns/new", methods=["GET", "POST"])
@login_required("staff")
def campaign_new():
    """The new campaign form; saving creates a draft, then the confirmation step shows its cost."""
    if request.method == "GET":
        return _render_form({})
    check_csrf()
    try:
        campaign = campaigns.create(_form_payload(request.form), g.actor)
    except CampaignError as exc:
        db.session.rollback()
        flash(explain(exc), "error")
        return _render_form(request.form, 400)
    if request.form.get("review") or request.form.get("send_now"):
        return redirect(url_for("console.campaign_confirm", campaign_id=campaign.id))
    flash(_("Draft saved. Nothing is sent before you confirm."), "info")
    return redirect(url_for("console.campaign_detail", campaign_id=campaign.id))


def _preview_info(language: dict) -> str:
    text = segments_text(language["segments"])
    saved = language.get("segments_saved_by_transliteration")
    if saved:
        text += " — " + _("transliterating saves %(n)s per SMS", n=saved)
    return f"{language['encoding']}, {text}"


def segments_text(n: int) -> str:
    """`3 segments` in the console's language."""
    return ngettext("%(num)s segment", "%(num)s segments", n)


@bp.post("/campaigns/preview.json")
@login_required("staff")
def campaign_preview_json():
    """Live preview for the form: recipients, encoding, segments and cost per language (+ as HTML)."""
    check_csrf()
    payload = _form_payload(request.form)
    try:
        texts, default = campaigns.normalize_texts(payload["texts"], payload["default_language"])
        audience = campaigns.normalize_audience(payload["audience"])
    except CampaignError as exc:
        return jsonify({"error": {"code": exc.code, "message": explain(exc)}}), 400
    preview = campaigns.preview(texts, default, audience)
    preview["info"] = {l["language"]: _preview_info(l) for l in preview["languages"] if not l["uses_default_text"]}
    preview["html"] = render_template("console/_campaign_preview.html", preview=preview)
    return jsonify(preview)


@bp.post("/campaigns/transliterate.json")
@login_required("staff")
def campaign_transliterate_json():
    """One-click transliteration of a text to GSM-7, with the segments saved."""
    check_csrf()
    try:
        result = campaigns.transliteration_preview(request.form.get("text", ""))
    except CampaignError as exc:
        return jsonify({"error": {"code": exc.code, "message": explain(exc)}}), 400
    result["info"] = _("%(encoding)s, %(segments)s, %(saved)s saved", encoding=result["after"]["encoding"],
                       segments=segments_text(result["after"]["segments"]), saved=result["segments_saved"])
    return jsonify(result)


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
        return jsonify({"error": {"code": exc.code, "message": explain(exc)}}), domain_status(exc)
    return jsonify({"message_id": message.id, "status": message.status,
                    "message": _("Test queued: it goes out in a few seconds.")}), 202


@bp.get("/campaigns/<int:campaign_id>/confirm")
@login_required("staff")
def campaign_confirm(campaign_id: int):
    """The last step before sending: who receives what, how many segments, what it costs."""
    campaign = _campaign_or_404(campaign_id)
    if campaign.status != "draft":
        return redirect(url_for("console.campaign_detail", campaign_id=campaign.id))
    return render_template("console/campaign_confirm.html", campaign=campaign,
                           summary=campaigns.summary(campaign, with_preview=True))


def live_state(campaign: Campaign) -> dict:
    """What the detail page polls: status, counts, progress, per language, which buttons apply."""
    summary = campaigns.summary(campaign)
    counts = summary["counts"]
    progress = campaign_progress.progress(campaign, counts)
    eta = progress["eta_seconds"]
    progress["eta_text"] = _("about %(time)s left", time=names.duration(eta)) if eta is not None else ""
    progress["percent_text"] = names.number(progress["percent"]) + " %"
    summary.update(
        status_label=names.status(campaign.status, "campaign"), progress=progress,
        per_language=campaign_progress.per_language(campaign.id),
        cost_text=names.money(summary["cost"], summary["currency"]),
        actions={"send": campaign.status == "draft", "pause": campaign.status == "sending",
                 "resume": campaign.status == "paused",
                 "cancel": campaign.status not in ("completed", "cancelled"),
                 "retry": campaign.status in ("completed", "sending", "paused") and bool(counts["failed"])},
        live=campaign.status in LIVE)
    return summary


@bp.get("/campaigns/<int:campaign_id>")
@login_required("staff")
def campaign_detail(campaign_id: int):
    """One campaign: texts, audience, preview, live progress and actions."""
    campaign = _campaign_or_404(campaign_id)
    state = live_state(campaign)
    return render_template("console/campaign_detail.html", campaign=campaign, state=state,
                           preview=campaigns.campaign_preview(campaign), reason=reason,
                           failure_reasons=campaigns.failure_reasons(campaign.id)
                           if campaign.status not in ("draft", "scheduled") else [])


@bp.get("/campaigns/<int:campaign_id>/progress.json")
@login_required("staff")
def campaign_progress_json(campaign_id: int):
    """What the detail page polls: status, counts, progress and the buttons that apply."""
    return jsonify(live_state(_campaign_or_404(campaign_id)))


_ACTIONS = {"send": campaigns.send, "pause": campaigns.pause, "resume": campaigns.resume,
            "cancel": campaigns.cancel}


def _done(action: str, campaign: Campaign) -> str:
    if action == "send":
        return _("Campaign scheduled.") if campaign.status == "scheduled" else _("Sending has started.")
    return {"pause": _("Campaign paused."), "resume": _("Campaign resumed."),
            "cancel": _("Campaign cancelled.")}[action]


@bp.post("/campaigns/<int:campaign_id>/<any(send, pause, resume, cancel, retry):action>")
@login_required("staff")
def campaign_action(campaign_id: int, action: str):
    """Send (from the confirmation step), pause, resume, cancel or retry failed recipients."""
    check_csrf()
    campaign = _campaign_or_404(campaign_id)
    try:
        if action == "retry":
            again = campaigns.retry_failed(campaign, g.actor)
            flash(_("%(n)s recipients queued again.", n=again), "info")
        else:
            _ACTIONS[action](campaign, g.actor)
            flash(_done(action, campaign), "info")
    except CampaignError as exc:
        db.session.rollback()
        flash(explain(exc), "error")
    return redirect(url_for("console.campaign_detail", campaign_id=campaign_id))
