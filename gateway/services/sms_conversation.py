"""The SMS conversation: what one inbound SMS asks for and what the gateway answers.

Keywords (report, register, join/leave a topic, help, language, stop/restart, call-back) and
free-text feedback (language detection, acknowledgement, flagging, tickets). The webhook stored
the message (`gateway.services.inbound`); `handle` re-reads the row, does nothing when the
message was already handled, and leaves every effect (replies, reports, tickets, `handled = True`)
to one commit. Errors propagate, so the job's retries see them (workers/inbound.py).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import func, select

from gateway.extensions import db
from gateway.i18n import FALLBACK, LANGUAGES
from gateway.models import Activity, Contact, Message, RegistrationStatus, Topic
from gateway.services import activities, contacts, flagging, keywords, language, ratelimit, subscriptions
from gateway.services.inbound import resolve_sender
from gateway.services.messaging import queue_sms
from gateway.services.notification_texts import callback_ack_text, registration_text, report_ack_text
from gateway.services.reference_codes import new_reference
from gateway.services.reply_texts import language_name, sms_text
from gateway.services.reports import InvalidReport, ReportDraft, create_report
from gateway.services.ticket_intake import open_ticket

log = logging.getLogger(__name__)

# Actions honoured even beyond the rate limit: a person must always be able to stop messages.
ALWAYS = frozenset({"stop", "restart"})


@dataclass
class Context:
    """What every handler needs: the message, its sender and the language to answer in."""

    message: Message
    contact: Contact
    language: str

    def reply(self, text: str, kind: str = "reply") -> Message:
        """Queue a reply on the channel the person wrote on (sent after the job commits)."""
        return queue_sms(self.contact, text, kind=kind, language=self.language,
                         channel=self.message.channel, in_reply_to=self.message, commit=False)


def handle(message_id: int) -> str:
    """Handle one stored inbound SMS by id. Idempotent; commits; returns what was done."""
    # The row locked until this job commits: two signals of one message (a relayed job beside
    # the original, a sweep) handled at once would both find it unhandled and answer twice.
    message = db.session.scalar(select(Message).where(Message.id == message_id).with_for_update()
                                .execution_options(populate_existing=True))
    if message is None or message.direction != "in":
        return "gone"
    if message.handled:
        return "already handled"
    contact = resolve_sender(message)
    if contact is None:          # the contact was erased (retention) before we got here
        message.handled = True
        db.session.commit()
        return "no contact"
    contact.channel = message.channel
    contact.last_seen_at = message.created_at
    match = keywords.match(message.text or "")
    action = match.action if match else "feedback"
    if match:
        message.keyword = match.word
    if action not in ALWAYS:
        decision = ratelimit.hit(f"sms:contact:{contact.id}")
        if not decision.allowed:
            outcome = _rate_limited(message, contact, decision)
            message.handled = True
            db.session.commit()
            return outcome
    ctx = Context(message, contact, _reply_language(contact, match))
    handler = HANDLERS.get(action, handle_feedback)
    outcome = handler(ctx, match)
    message.language = message.language or ctx.language
    message.handled = True
    db.session.commit()
    return outcome


def _reply_language(contact: Contact, match: keywords.KeywordMatch | None) -> str:
    """The language to answer a keyword in: the one the person chose (on USSD or with LANGUE)
    wins over the keyword's; a keyword typed exactly in one of our languages says which
    language a person who never chose uses, and is recorded; a misspelt one says nothing."""
    if match and match.language in LANGUAGES and not match.typo and not contact.language_confirmed:
        contact.language = match.language
        return match.language
    return contact.language or FALLBACK


def _feedback_language(ctx: Context, detection: language.Detection) -> str:
    """The language to acknowledge free text in. The person's choice wins over the language of
    one message; detection records a language only for a person who never chose, and only when
    it is confident; an unsure guess answers someone we know nothing of, and is not recorded."""
    contact = ctx.contact
    if contact.language_confirmed or detection.language not in LANGUAGES:
        return ctx.language
    if language.is_confident(detection):
        contact.language = detection.language
        return detection.language
    return ctx.language if contact.language else detection.language


def _rate_limited(message: Message, contact: Contact, decision: ratelimit.Decision) -> str:
    """Beyond the limit the message stays stored and labelled; the person is told once."""
    message.labels = sorted(set(message.labels or []) | {"rate_limited"})
    if decision.first_refusal:
        language = contact.language or FALLBACK
        queue_sms(contact, sms_text("rate_limited", language), kind="reply", language=language,
                  channel=message.channel, in_reply_to=message, commit=False)
    log.info("inbound message %s over the per-sender limit", message.id)
    return "rate limited"


# --- keyword handlers ------------------------------------------------------------------------

def handle_report(ctx: Context, match) -> str:
    """SIGNALER / RAHOTO … : the rest of the message is the report text."""
    text = (match.rest or "").strip()
    if not text:
        ctx.reply(sms_text("report_help", ctx.language))
        return "report help"
    languages = {ctx.language}
    result = flagging.evaluate(text, languages)
    draft = ReportDraft(category_code=result.category_code or "other", channel="sms", language=ctx.language,
                        adm1_pcode=ctx.contact.adm1_pcode, adm2_pcode=ctx.contact.adm2_pcode,
                        urgency=3 if result.priority == 1 else 2, text=text)
    try:
        report, _ = create_report(draft, ctx.contact, source_key=f"sms:{ctx.message.id}")
    except InvalidReport:
        # Categories not loaded (or "other" retired): keep it as feedback rather than lose it.
        log.warning("report from message %s could not be stored as a report", ctx.message.id)
        return handle_feedback(ctx, None)
    ctx.message.extra = {**(ctx.message.extra or {}), "reference": report.reference}
    if report.urgent:
        ctx.message.labels = sorted(set(ctx.message.labels or []) | set(result.labels))
        ctx.message.flagged = ctx.message.flagged or result.flagged
    else:
        flagging.flag_message(ctx.message, ctx.contact, languages, text=text)
    ctx.reply(report_ack_text(ctx.language, report.reference), kind="ack")
    return "report"


def handle_register(ctx: Context, match) -> str:
    """INSCRIRE <code>: register for an open activity."""
    open_now = activities.open_activities(ctx.contact.adm1_pcode, ctx.contact.adm2_pcode)
    code = (match.argument or "").upper()
    activity = db.session.scalar(select(Activity).where(func.upper(Activity.code) == code)) if code else None
    if activity is None:
        if not open_now:
            ctx.reply(sms_text("register_none", ctx.language))
        else:
            codes = ", ".join(a.code for a in open_now[:4])
            ctx.reply(sms_text("register_unknown", ctx.language, activities=codes, example=open_now[0].code))
        return "register unknown"
    try:
        registration, _ = activities.register(activity, ctx.contact.id, channel="sms")
    except activities.RegistrationError:
        ctx.reply(sms_text("register_closed", ctx.language))
        return "register closed"
    position = activities.waitlist_position(registration)
    ctx.reply(registration_text(ctx.language, activity, registration.status, position), kind="confirmation")
    if registration.status == RegistrationStatus.CONFIRMED:
        activities.schedule_reminder(registration)
    return f"register {registration.status}"


def _topic(argument: str | None) -> Topic | None:
    if not argument:
        return None
    wanted = keywords.fold(argument)
    for topic in subscriptions.topics():
        names = [topic.code, *(topic.names or {}).values()]
        # The code, a whole name, or a significant word of a name ("paix", "activites", "zaman").
        if any(keywords.fold(n) == wanted or (len(wanted) >= 4 and wanted in keywords.fold(n).split())
               for n in names if n):
            return topic
    return None


def _topic_list(ctx: Context) -> str:
    topics = subscriptions.topics()
    ctx.reply(sms_text("topic_unknown", ctx.language, topics=", ".join(t.code.upper() for t in topics),
                       example=topics[0].code.upper() if topics else "PEACE"))
    return "topic unknown"


def _topic_name(topic: Topic, language: str) -> str:
    names = topic.names or {}
    return names.get(language) or names.get("fra") or topic.code


def handle_join(ctx: Context, match) -> str:
    """REJOINDRE / JOIN <topic>."""
    topic = _topic(match.argument)
    if topic is None:
        return _topic_list(ctx)
    joined = subscriptions.join(ctx.contact, topic, channel=ctx.message.channel)
    key = "joined" if joined else "already_joined"
    ctx.reply(sms_text(key, ctx.language, topic=_topic_name(topic, ctx.language), code=topic.code.upper()))
    return key


def handle_leave(ctx: Context, match) -> str:
    """QUITTER / LEAVE <topic>."""
    topic = _topic(match.argument)
    if topic is None:
        return _topic_list(ctx)
    left = subscriptions.leave(ctx.contact, topic)
    key = "left" if left else "not_joined"
    ctx.reply(sms_text(key, ctx.language, topic=_topic_name(topic, ctx.language), code=topic.code.upper()))
    return key


def handle_help(ctx: Context, match) -> str:
    """AIDE / HELP / TAIMAKO."""
    ctx.reply(sms_text("help", ctx.language))
    return "help"


def handle_language(ctx: Context, match) -> str:
    """LANGUE <name>: the person chooses; without a name, the keyword's own language."""
    chosen = keywords.language_from_name(match.argument) if match.argument else (
        match.language if match.language in LANGUAGES else None)
    if chosen is None:
        ctx.reply(sms_text("language_unknown", ctx.language))
        return "language unknown"
    ctx.contact.language, ctx.contact.language_confirmed = chosen, True
    ctx.language = chosen
    ctx.reply(sms_text("language_changed", chosen, language=language_name(chosen)))
    return "language"


def handle_stop(ctx: Context, match) -> str:
    """STOP / ARRET / TSAYA / KAY: nothing more on any channel; confirmed once."""
    if contacts.stop(ctx.contact, via=f"sms:{ctx.message.channel}"):
        ctx.reply(sms_text("stop_confirmation", ctx.language), kind="stop_confirmation")
        return "stopped"
    return "already stopped"


def handle_restart(ctx: Context, match) -> str:
    """START / REPRENDRE: messages again."""
    if contacts.restart(ctx.contact):
        ctx.reply(sms_text("restart_confirmation", ctx.language))
        return "restarted"
    return "not stopped"


def handle_callback(ctx: Context, match) -> str:
    """RAPPEL / KIRA: the hotline calls back."""
    open_ticket("callback", contact_id=ctx.contact.id, message=ctx.message, priority=2,
                language=ctx.language, labels=["callback"], summary="call-back request by SMS")
    ctx.reply(callback_ack_text(ctx.language), kind="ack")
    return "callback"


def handle_feedback(ctx: Context, match) -> str:
    """Free text: detect its language, acknowledge in it with a reference, flag it."""
    detection = language.detect(ctx.message.text or "")
    message, contact = ctx.message, ctx.contact
    message.language = detection.language
    extra = {**(message.extra or {}), "reference": new_reference("M")}
    if detection.language:
        extra["language_confidence"] = detection.confidence
    message.extra = extra
    ctx.language = _feedback_language(ctx, detection)
    languages = {ctx.language} | ({detection.language} if detection.language else set())
    if contact.language:
        languages.add(contact.language)
    flagging.flag_message(message, contact, languages)
    ctx.reply(sms_text("feedback_ack", ctx.language, reference=extra["reference"]), kind="ack")
    return "feedback"


HANDLERS = {
    "report": handle_report, "register": handle_register, "join": handle_join, "leave": handle_leave,
    "help": handle_help, "language": handle_language, "stop": handle_stop, "restart": handle_restart,
    "callback": handle_callback, "feedback": handle_feedback,
}
