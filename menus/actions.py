"""What a journey does when a person confirms something: the only places a hop writes data.

Each action takes the hop's context (and the `args` of its YAML entry) and returns where to go.
The database is not written inside the hop: an action checks what it can from the cached
reference lists, decides what the screen says, and hands the write to `workers.ussd` with
`ctx.defer` (in the hop's one Redis write). The worker applies each write once: reports are
keyed by session (`source_key`), subscriptions are unique, a call-back joins the person's open
ticket. Only taking an activity's place stays in the hop: its screen says whether a place was
left, which only the database knows at that moment (its SMS and reminder go to the worker).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from gateway.extensions import db
from gateway.models import Activity
from gateway.services import ussd_sessions
from gateway.services.activities import RegistrationError, register, waitlist_position
from gateway.services.reports import OCCURRED, report_reference
from menus.sources import topic_name, valid_category, valid_place, when


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
    ctx.state["language"], ctx.state["confirmed"] = language, True
    if ctx.state.get("contact_id"):
        ctx.defer("contact", contact_id=ctx.state["contact_id"],
                  values={"language": language, "language_confirmed": True})
        ctx.contact_changed()
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
        ctx.defer("contact", contact_id=ctx.state["contact_id"], values={"adm1_pcode": region})
        ctx.state["adm1"] = region
        ctx.contact_changed()
    return Transition.goto("activities.list")


def submit_report(ctx) -> Transition:
    """Check the report against the lists the person chose from, show its reference, and hand it
    to the worker, which stores it once per session and sends the SMS acknowledgement."""
    d = ctx.data
    try:
        draft = {"category_code": str(d["category"]), "channel": "ussd", "language": ctx.language,
                 "adm1_pcode": d.get("adm1"), "adm2_pcode": d.get("adm2"), "occurred": d.get("occurred"),
                 "urgency": int(d.get("urgency", 2)), "text": d.get("text") or None,
                 "anonymous": bool(d.get("anonymous"))}
    except (KeyError, TypeError, ValueError):
        return Transition.end("failed")
    if not valid_category(draft["category_code"]) or not valid_place(draft["adm1_pcode"], draft["adm2_pcode"]) \
            or draft["occurred"] not in (None, *OCCURRED) or draft["urgency"] not in (1, 2, 3):
        return Transition.end("failed")
    # Derived from the session: a hop replayed after Redis lost the session shows the same one.
    reference = report_reference(ctx.source_key)
    # An anonymous report's write carries no contact: nothing waiting in Redis (or dropped to
    # the dead-letter list) ties it to the person.
    ctx.defer("report", source_key=ctx.source_key, reference=reference, draft=draft,
              contact_id=None if draft["anonymous"] else ctx.state.get("contact_id"))
    ctx.discard_draft()
    if draft["anonymous"]:
        ctx.state["anonymous_report"] = True    # the session log then keeps no contact
        return Transition.end("report.done_anonymous", reference=reference)
    return Transition.end("report.done", reference=reference)


def cancel_journey(ctx) -> Transition:
    """The person gave up: forget the draft and close."""
    ctx.discard_draft()
    return Transition.end("cancelled")


def register_activity(ctx) -> Transition:
    """Register for the chosen activity (or its waiting list). The place is taken here, as the
    screen says whether one was left; the confirmation SMS and the reminder the day before are
    handed to the worker (`registered`)."""
    activity = db.session.get(Activity, ctx.data.get("activity"))
    contact_id = ctx.state.get("contact_id")
    if activity is None or not contact_id:
        return Transition.end("activities.closed")
    try:
        registration, created = register(activity, contact_id, channel="ussd")
    except RegistrationError:
        db.session.rollback()
        return Transition.end("activities.closed")
    if not created:
        return Transition.end("activities.already", name=activity.name)
    position = waitlist_position(registration)
    name, date, status, registration_id = activity.name, _when(activity), registration.status, registration.id
    db.session.commit()
    ctx.defer("registered", registration_id=registration_id, status=status, position=position,
              language=ctx.language)
    if status == "confirmed":
        return Transition.end("activities.registered", name=name, date=date)
    return Transition.end("activities.waitlisted", name=name, position=position)


def _when(activity) -> str:
    return when(activity)


def join_topic(ctx) -> Transition:
    """Follow the chosen awareness topic."""
    return _topic(ctx, join=True)


def leave_topic(ctx) -> Transition:
    """Stop following the chosen awareness topic."""
    return _topic(ctx, join=False)


def _topic(ctx, join: bool) -> Transition:
    name = topic_name(ctx.data.get("topic"), ctx.language)
    if name is None or not ctx.state.get("contact_id"):
        return Transition.end("failed")
    ctx.defer("topic", contact_id=ctx.state["contact_id"], topic_id=ctx.data["topic"], join=join)
    return Transition.end("topics.joined" if join else "topics.left", topic=name)


def request_callback(ctx) -> Transition:
    """Open (or join) a call-back ticket for the hotline and acknowledge it by SMS (worker)."""
    if not ctx.state.get("contact_id"):
        return Transition.end("failed")
    ctx.defer("callback", contact_id=ctx.state["contact_id"], language=ctx.language)
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
    "set_region": ("activities.list",), "submit_report": ("report.done", "report.done_anonymous", "failed"),
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
