"""Every code the console shows, by its name in the console's language; dates in Niger time.

One place for the words staff read instead of codes: statuses (report, ticket, message,
campaign, delivery, registration, activity), levels (urgency, priority and severity all read
"high / medium / low", whatever their number means), categories, topics, regions and
departments (names, never P-codes), languages, roles, groups, channels and kinds. Each is a plain
function and a Jinja filter of the same name (`{{ report.status|status("report") }}`,
`{{ report.adm2_pcode|area }}`, `{{ report.created_at|when }}`).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from babel.dates import format_skeleton
from babel.dates import format_timedelta as babel_timedelta
from flask import g
from flask_babel import (format_currency, format_date, format_decimal, format_timedelta, get_locale,
                         get_timezone)
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp

from gateway.console import bp
from gateway.services import lookups

# --- statuses: French needs the context (a report is "Nouveau", a campaign "Terminée") -----------
STATUSES = {
    "report": {"new": _lp("report status", "New"), "in_review": _lp("report status", "In review"),
               "verified": _lp("report status", "Verified"),
               "unverified": _lp("report status", "Not verified"),
               "referred": _lp("report status", "Referred"), "closed": _lp("report status", "Closed")},
    "ticket": {"open": _lp("ticket status", "Open"), "claimed": _lp("ticket status", "Claimed"),
               "referred": _lp("ticket status", "Referred"), "closed": _lp("ticket status", "Closed")},
    "message": {"received": _lp("message status", "Received"), "queued": _lp("message status", "Queued"),
                "sending": _lp("message status", "Sending"), "sent": _lp("message status", "Sent"),
                "delivered": _lp("message status", "Delivered"), "failed": _lp("message status", "Failed"),
                "skipped": _lp("message status", "Not sent")},
    "campaign": {"draft": _lp("campaign status", "Draft"), "scheduled": _lp("campaign status", "Scheduled"),
                 "sending": _lp("campaign status", "Sending"), "paused": _lp("campaign status", "Paused"),
                 "completed": _lp("campaign status", "Completed"),
                 "cancelled": _lp("campaign status", "Cancelled")},
    # "queued" is how the campaign counts group pending and claimed deliveries.
    "delivery": {"pending": _lp("delivery status", "Waiting"), "claimed": _lp("delivery status", "Being sent"),
                 "queued": _lp("delivery status", "Waiting"), "sent": _lp("delivery status", "Sent"),
                 "delivered": _lp("delivery status", "Delivered"), "failed": _lp("delivery status", "Failed"),
                 "skipped": _lp("delivery status", "Not sent")},
    "registration": {"confirmed": _lp("registration status", "Confirmed"),
                     "waitlisted": _lp("registration status", "On the waiting list"),
                     "cancelled": _lp("registration status", "Cancelled")},
    "activity": {"open": _lp("activity status", "Open"), "closed": _lp("activity status", "Closed"),
                 "cancelled": _lp("activity status", "Cancelled")},
}

KINDS = {
    "activity": {"training": _lp("activity kind", "Training"), "dialogue": _lp("activity kind", "Dialogue"),
                 "cash_for_work": _lp("activity kind", "Cash for Work"),
                 "cultural": _lp("activity kind", "Cultural event"), "other": _lp("activity kind", "Other")},
    "ticket": {"flagged_message": _lp("ticket kind", "Flagged message"),
               "urgent_report": _lp("ticket kind", "Urgent report"),
               "callback": _lp("ticket kind", "Call-back request"), "feedback": _lp("ticket kind", "Feedback")},
    "message": {"inbound": _lp("message kind", "Received"), "reply": _lp("message kind", "Operator's reply"),
                "ack": _lp("message kind", "Acknowledgement"), "campaign": _lp("message kind", "Campaign"),
                "campaign_test": _lp("message kind", "Campaign test"),
                "confirmation": _lp("message kind", "Registration confirmation"),
                "reminder": _lp("message kind", "Reminder"), "stop_confirmation": _lp("message kind", "Stop confirmed"),
                "ticket_closed": _lp("message kind", "Ticket closed"), "notification": _lp("message kind", "Notification")},
}

# What the audit log records, in words (unknown actions show their code).
AUDIT_ACTIONS = {
    "login": _lp("audit", "Signed in"), "user.create": _lp("audit", "User created"),
    "user.update": _lp("audit", "User changed"), "report.create": _lp("audit", "Report received"),
    "ticket.open": _lp("audit", "Ticket opened"), "ticket.update": _lp("audit", "Ticket updated"),
    "ticket.claim": _lp("audit", "Ticket claimed"), "ticket.release": _lp("audit", "Ticket released"),
    "ticket.triage": _lp("audit", "Ticket triaged"), "ticket.note": _lp("audit", "Note added"),
    "ticket.reply": _lp("audit", "Reply sent"), "ticket.refer": _lp("audit", "Ticket referred"),
    "ticket.close": _lp("audit", "Ticket closed"), "ticket.label": _lp("audit", "Label added"),
    "contact.reveal_number": _lp("audit", "Phone number shown"),
    "contact.search_by_number": _lp("audit", "Search by phone number"),
    "contact.update": _lp("audit", "Contact edited"), "contact.stop": _lp("audit", "Messages stopped by staff"),
    "contact.restart": _lp("audit", "Messages restarted by staff"), "contacts.import": _lp("audit", "Contacts imported"),
    "activity.create": _lp("audit", "Activity created"), "activity.register": _lp("audit", "Registration"),
    "activity.promote": _lp("audit", "Moved up from the waiting list"),
    "campaign.create": _lp("audit", "Campaign created"), "campaign.send": _lp("audit", "Campaign sent"),
    "campaign.schedule": _lp("audit", "Campaign scheduled"), "campaign.pause": _lp("audit", "Campaign paused"),
    "campaign.resume": _lp("audit", "Campaign resumed"), "campaign.cancel": _lp("audit", "Campaign cancelled"),
    "campaign.complete": _lp("audit", "Campaign completed"), "campaign.repeat": _lp("audit", "Campaign repeated"),
    "campaign.retry_failed": _lp("audit", "Failed sends retried"), "campaign.test_send": _lp("audit", "Test SMS sent"),
    "canned_reply.create": _lp("audit", "Canned reply created"), "canned_reply.update": _lp("audit", "Canned reply changed"),
    "canned_reply.delete": _lp("audit", "Canned reply deleted"), "keyword.create": _lp("audit", "Keyword added"),
    "keyword.update": _lp("audit", "Keyword changed"), "flag_rule.create": _lp("audit", "Flag rule added"),
    "flag_rule.update": _lp("audit", "Flag rule changed"), "text.update": _lp("audit", "Menu text edited"),
    "privacy.purge": _lp("audit", "Retention purge"),
}

# --- levels: one vocabulary for urgency (3 = high), priority (1 = high) and severity (3 = high) --
LEVELS = {"high": _lp("level", "High"), "medium": _lp("level", "Medium"), "low": _lp("level", "Low")}
URGENCY = {1: "low", 2: "medium", 3: "high"}        # a report's urgency, as the person chose it
SEVERITY = {1: "low", 2: "medium", 3: "high"}       # an operator's assessment
PRIORITY = {1: "high", 2: "medium", 3: "low"}       # a ticket's place in the inbox

REPEATS = {"daily": _l("every day"), "weekly": _l("every week"), "monthly": _l("every month")}

OCCURRED = {"today": _l("Today"), "yesterday": _l("Yesterday"), "this_week": _l("This week"),
            "earlier": _l("Earlier")}

LANGUAGES = {"fra": _l("French"), "hau": _l("Hausa"), "dje": _l("Zarma"), "fuv": _l("Fulfulde"),
             "ful": _l("Fulfulde"), "knc": _l("Kanuri"), "taq": _l("Tamasheq"), "arb": _l("Arabic"),
             "eng": _l("English")}

ROLES = {"viewer": _lp("role", "Viewer"), "operator": _lp("role", "Hotline operator"),
         "staff": _lp("role", "Programme staff"), "admin": _lp("role", "Administrator")}

GROUPS = {"youth": _lp("group", "Youth"), "women": _lp("group", "Women"),
          "leaders": _lp("group", "Community leaders")}

CHANNELS = {"ussd": _l("USSD"), "sms": _l("SMS"), "africastalking": "Africa's Talking", "twilio": "Twilio",
            "http": _l("HTTP gateway"), "fake": _l("Test channel"), "api": _l("API"), "import": _l("Import")}

# English names of the seeded categories and topics. The French names, the reference, live in
# the database (`names["fra"]`), where administrators may edit them; `names["eng"]` wins if set.
CATEGORY_ENGLISH = {
    "farmer_herder": "Farmer–herder conflict", "land_water": "Land or water dispute",
    "livestock_theft": "Livestock theft", "intercommunal": "Tension between communities",
    "armed_groups": "Presence or threat of armed groups", "attack": "Attack or violence",
    "kidnapping": "Kidnapping", "displacement": "Arrival or departure of displaced people",
    "rumours": "Rumours and hate speech", "gbv": "Gender-based violence",
    "staff_abuse": "Abuse by aid staff", "peace_initiative": "Peace initiative (good news)", "other": "Other",
}
TOPIC_ENGLISH = {"peace": "Peace and cohesion", "activities": "Activities news", "youth": "Youth and jobs",
                 "women": "Women and leadership"}


def _english() -> bool:
    locale = get_locale()
    return locale is not None and locale.language == "en"


def _label(table: dict, code) -> str:
    if code is None or code == "":
        return ""
    label = table.get(code)
    return str(label) if label is not None else str(code).replace("_", " ")


def status(code: str | None, kind: str) -> str:
    """A status of `kind` (report, ticket, message, campaign, delivery, registration, activity)."""
    return _label(STATUSES[kind], code)


def audit_action(code: str | None) -> str:
    """An audited action in words."""
    return _label(AUDIT_ACTIONS, code) if code in AUDIT_ACTIONS else (code or "")


def kind(code: str | None, of: str) -> str:
    """The kind of an activity, a ticket or a message."""
    return _label(KINDS[of], code)


def level(word: str | None) -> str:
    """high / medium / low, in words."""
    return _label(LEVELS, word)


def urgency(value: int | None) -> str:
    """A report's urgency (1 low … 3 high) in words."""
    return level(URGENCY.get(value)) if value is not None else ""


def severity(value: int | None) -> str:
    """An operator's severity (1 low … 3 high) in words."""
    return level(SEVERITY.get(value)) if value is not None else ""


def priority(value: int | None) -> str:
    """A ticket's priority (1 high … 3 low) in words."""
    return level(PRIORITY.get(value)) if value is not None else ""


def repeat(code: str | None) -> str:
    """How often a campaign repeats."""
    return _label(REPEATS, code)


def occurred(code: str | None) -> str:
    """When the reported event happened, as the person said it."""
    return _label(OCCURRED, code)


def language(code: str | None) -> str:
    """A language (ISO 639-3) by its name."""
    return _label(LANGUAGES, code)


def role(code: str | None) -> str:
    """A console role by its name."""
    return _label(ROLES, code)


def group(code: str | None) -> str:
    """A contact group by its name (imported list names are shown as they are)."""
    return _label(GROUPS, code)


def channel(code: str | None) -> str:
    """A channel (USSD, SMS, a provider) by its name."""
    return _label(CHANNELS, code)


def _named(names: dict, english: dict, code: str) -> str:
    if _english():
        return names.get("eng") or english.get(code) or names.get("fra") or code
    return names.get("fra") or code


def category(code: str | None) -> str:
    """A report category by its name."""
    if not code:
        return ""
    row = _cached("categories", lookups.categories).get(code)
    return _named(row.names if row else {}, CATEGORY_ENGLISH, code)


def topic(code: str | None) -> str:
    """An awareness topic by its name."""
    if not code:
        return ""
    return _named(_cached("topics", lookups.topic_names).get(code, {}), TOPIC_ENGLISH, code)


def area(pcode: str | None) -> str:
    """A region or department by its name (the P-code only when it is unknown)."""
    if not pcode:
        return ""
    return _cached("areas", lookups.area_names).get(pcode, pcode)


def _cached(name: str, load):
    """Reference lookups once per request: a page names many rows."""
    key = f"_names_{name}"
    if key not in g:
        setattr(g, key, load())
    return getattr(g, key)


def audience(value: dict | None) -> list[tuple[str, list[str]]]:
    """A campaign audience in words: [(what, [names])], empty for "everyone who has not stopped"."""
    value = value or {}
    activities = lookups.activity_names(value.get("activities") or [])
    rows = [(_l("Regions"), [area(p) for p in value.get("adm1") or []]),
            (_l("Departments"), [area(p) for p in value.get("adm2") or []]),
            (_l("Languages"), [language(c) for c in value.get("languages") or []]),
            (_l("Topics"), [topic(c) for c in value.get("topics") or []]),
            (_l("Registered for"), [f"{activities.get(c, c)} ({c})" for c in value.get("activities") or []]),
            (_l("Groups"), [group(c) for c in value.get("groups") or []])]
    if value.get("contacts"):
        rows.append((_l("Chosen contacts"), [str(format_decimal(len(value["contacts"])))]))
    return [(str(label), names) for label, names in rows if names]


# --- dates, numbers, money ------------------------------------------------------------------------

def when(value: datetime | None) -> str:
    """A stored (UTC) time in Niger time, the console language's format: `26 nov. 2026 10:05`."""
    if value is None:
        return ""
    locale, tz = get_locale(), get_timezone()
    date = format_skeleton("yMMMd", value, tzinfo=tz, locale=locale)
    return f"{date} {format_skeleton('Hm', value, tzinfo=tz, locale=locale)}"


def day(value: datetime | date | None) -> str:
    """The day of a stored time in Niger, or a calendar day: `26 nov. 2026`."""
    if value is None:
        return ""
    if not isinstance(value, datetime):
        return format_date(value, "medium")
    return format_skeleton("yMMMd", value, tzinfo=get_timezone(), locale=get_locale())


def number(value) -> str:
    """A count or amount with the language's separators: `15 500`."""
    return format_decimal(value or 0)


def money(value, currency: str | None) -> str:
    """An amount in `currency`: `15 500 F CFA`."""
    return format_currency(value or 0, currency or "XOF")


def duration(seconds: float | None) -> str:
    """A duration in words: `2 minutes`."""
    if seconds is None:
        return ""
    return format_timedelta(timedelta(seconds=max(0, seconds)), granularity="second", threshold=2)


def age(seconds: float | None) -> str:
    """How long ago, short: `3 h`, `2 j` (French), `3 hr`, `2 days` (English)."""
    if seconds is None:
        return ""
    return babel_timedelta(timedelta(seconds=max(0, seconds)), threshold=1, format="short", locale=get_locale())


FILTERS = {"age": age, "audit_action": audit_action, "status": status, "kind": kind, "level": level, "urgency": urgency, "severity": severity,
           "priority": priority, "occurred": occurred, "language": language, "role": role, "group": group,
           "channel": channel, "category": category, "topic": topic, "area": area, "when": when, "day": day,
           "number": number, "money": money, "duration": duration, "audience": audience,
           "repeat": repeat}


@bp.record_once
def _register_filters(state) -> None:
    state.app.jinja_env.filters.update(FILTERS)
