"""What a journey does when a person confirms something: the only places a hop writes data.

Each action takes the hop's context (and the `args` of its YAML entry) and returns where to go.
Slow work (SMS, reminders) is queued, never done inside the hop. Actions are safe to run twice
for the same session: reports are keyed by session, registrations and subscriptions are unique.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from gateway.extensions import db
from gateway.services import ussd_sessions


@dataclass
class Transition:
    """Where the engine goes after an action: `goto` a screen, `end` on one, or `home`."""

    kind: str
    screen: str | None = None
    params: dict = field(default_factory=dict)

    @classmethod
    def goto(cls, screen: str) -> "Transition":
        return cls("goto", screen)

    @classmethod
    def end(cls, screen: str, **params) -> "Transition":
        return cls("end", screen, params)

    @classmethod
    def home(cls) -> "Transition":
        return cls("home")


def set_language(ctx, language: str) -> Transition:
    """Remember the person's language on their contact, then show the main menu in it."""
    if ctx.state.get("contact_id"):
        ussd_sessions.update_contact(ctx.state["contact_id"], language=language, language_confirmed=True)
    ctx.state["language"] = language
    return Transition.home()


def start_activities(ctx) -> Transition:
    """Activities near the person: ask their region first when we do not know it."""
    if ctx.state.get("adm1"):
        return Transition.goto("activities.list")
    return Transition.goto("activities.region")


def set_region(ctx) -> Transition:
    """Remember the region the person chose for activities (it is where they live)."""
    region = ctx.data.get("adm1")
    if ctx.state.get("contact_id") and region:
        ussd_sessions.update_contact(ctx.state["contact_id"], adm1_pcode=region)
        ctx.state["adm1"] = region
    return Transition.goto("activities.list")


def submit_report(ctx) -> Transition:
    """Store the report once per session, queue its SMS acknowledgement, drop the draft."""
    from gateway.services.messaging import queue_sms
    from gateway.services.places import InvalidPcode
    from gateway.services.reports import InvalidReport, ReportDraft, create_report
    from gateway.services.texts import report_ack_text
    d = ctx.data
    try:
        draft = ReportDraft(category_code=str(d["category"]), channel="ussd", language=ctx.language,
                            adm1_pcode=d.get("adm1"), adm2_pcode=d.get("adm2"), occurred=d.get("occurred"),
                            urgency=int(d.get("urgency", 2)), text=d.get("text") or None,
                            anonymous=bool(d.get("anonymous")))
        report, created = create_report(draft, ctx.contact, source_key=ctx.source_key)
    except (KeyError, TypeError, ValueError, InvalidReport, InvalidPcode):
        db.session.rollback()
        return Transition.end("failed")
    reference = report.reference
    if created and ctx.contact is not None:
        queue_sms(ctx.contact, report_ack_text(ctx.language, reference, report.anonymous),
                  kind="ack", language=ctx.language, commit=False)
    ctx.discard_draft()
    db.session.commit()
    return Transition.end("report.done", reference=reference)


def cancel_journey(ctx) -> Transition:
    """The person gave up: forget the draft and close."""
    ctx.discard_draft()
    db.session.commit()
    return Transition.end("cancelled")


def register_activity(ctx) -> Transition:
    """Register for the chosen activity (or its waiting list), confirm by SMS, schedule the reminder."""
    from gateway.models import Activity
    from gateway.services.activities import (RegistrationError, register, schedule_reminder,
                                             waitlist_position)
    from gateway.services.messaging import queue_sms
    from gateway.services.texts import registration_text
    activity = db.session.get(Activity, ctx.data.get("activity"))
    if activity is None or ctx.contact is None:
        return Transition.end("activities.closed")
    try:
        registration, created = register(activity, ctx.contact, channel="ussd")
    except RegistrationError:
        db.session.rollback()
        return Transition.end("activities.closed")
    if not created:
        return Transition.end("activities.already", name=activity.name)
    position = waitlist_position(registration)
    queue_sms(ctx.contact, registration_text(ctx.language, activity, registration.status, position),
              kind="ack", language=ctx.language, commit=False)
    name, date, confirmed = activity.name, _when(activity), registration.status == "confirmed"
    db.session.commit()
    if confirmed:
        schedule_reminder(registration)
        db.session.commit()
        return Transition.end("activities.registered", name=name, date=date)
    return Transition.end("activities.waitlisted", name=name, position=position)


def _when(activity) -> str:
    from menus.sources import when
    return when(activity)


def join_topic(ctx) -> Transition:
    """Follow the chosen awareness topic."""
    return _topic(ctx, join=True)


def leave_topic(ctx) -> Transition:
    """Stop following the chosen awareness topic."""
    return _topic(ctx, join=False)


def _topic(ctx, join: bool) -> Transition:
    from gateway.models import Topic
    from gateway.services import subscriptions
    topic = db.session.get(Topic, ctx.data.get("topic"))
    if topic is None or ctx.contact is None:
        return Transition.end("failed")
    if join:
        subscriptions.join(ctx.contact, topic, channel="ussd")
    else:
        subscriptions.leave(ctx.contact, topic)
    db.session.commit()
    return Transition.end("topics.joined" if join else "topics.left", topic=topic.name(ctx.language))


def request_callback(ctx) -> Transition:
    """Open (or join) a call-back ticket for the hotline and acknowledge it by SMS."""
    from gateway.services.messaging import queue_sms
    from gateway.services.texts import callback_ack_text
    from gateway.services.tickets import open_ticket
    if ctx.contact is None:
        return Transition.end("failed")
    open_ticket("callback", contact_id=ctx.contact.id, priority=2, language=ctx.language,
                labels=["callback", "ussd"], summary="Call-back requested over USSD")
    queue_sms(ctx.contact, callback_ack_text(ctx.language), kind="ack", language=ctx.language, commit=False)
    db.session.commit()
    return Transition.end("callback.done")


def resume_draft(ctx) -> Transition:
    """Continue the half-finished journey where the dropped session left it."""
    contact_id = ctx.state.get("contact_id")
    draft = ussd_sessions.load_draft(contact_id) if contact_id else None
    if draft is None or draft.get("screen") not in ctx.menus.screens:
        return Transition.home()
    ctx.state.update(screen=draft["screen"], page=0, data=dict(draft.get("data") or {}),
                     stack=[list(x) for x in draft.get("stack") or [["main", 0]]], draft_saved=True)
    return Transition("stay")


def discard_draft(ctx) -> Transition:
    """Start afresh: forget the draft."""
    ctx.discard_draft()
    db.session.commit()
    return Transition.home()


ACTIONS: dict[str, Callable] = {
    "set_language": set_language, "start_activities": start_activities, "set_region": set_region,
    "submit_report": submit_report, "cancel_journey": cancel_journey,
    "register_activity": register_activity, "join_topic": join_topic, "leave_topic": leave_topic,
    "request_callback": request_callback, "resume_draft": resume_draft, "discard_draft": discard_draft,
}

# Screens each action may lead to, so `menus check` can refuse a journey set that lacks one.
ACTION_TARGETS: dict[str, tuple[str, ...]] = {
    "set_language": ("main",), "start_activities": ("activities.list", "activities.region"),
    "set_region": ("activities.list",), "submit_report": ("report.done", "failed"),
    "cancel_journey": ("cancelled",),
    "register_activity": ("activities.registered", "activities.waitlisted", "activities.already",
                          "activities.closed"),
    "join_topic": ("topics.joined", "failed"), "leave_topic": ("topics.left", "failed"),
    "request_callback": ("callback.done", "failed"), "resume_draft": ("main",), "discard_draft": ("main",),
}
# Arguments an action expects from YAML (checked by `menus check`).
ACTION_ARGS: dict[str, dict[str, tuple]] = {
    "set_language": {"language": ("hau", "dje", "fra", "fuv", "knc", "taq")},
}
