"""SMS notification texts (domain `notify`), always GSM-7 so a notification costs one segment."""
from __future__ import annotations

from gateway.i18n import lookup
from gateway.models import Activity
from gateway.services.encoding import transliterate
from gateway.timezone import NIGER


def gsm_text(domain: str, key: str, language: str | None, /, **params) -> str:
    """A catalog text in `language` (French when missing), filled and transliterated to GSM-7.

    Positional-only arguments: a text may itself have a `{language}` parameter.
    """
    text, _ = lookup(domain, key, language)
    return transliterate(text.format(**params) if params else text)


def notify(key: str, language: str | None, **params) -> str:
    """A notification text in `language` (French when missing), transliterated to GSM-7."""
    return gsm_text("notify", key, language, **params)


def _when(activity: Activity) -> str:
    return activity.starts_at.astimezone(NIGER).strftime("%d/%m %Hh%M")


def report_ack_text(language: str | None, reference: str, anonymous: bool = False) -> str:
    """Acknowledgement of a report, with its reference."""
    key = "report_ack_anonymous" if anonymous else "report_ack"
    return notify(f"notify.{key}", language, reference=reference)


def registration_text(language: str | None, activity: Activity, status: str, position: int = 0) -> str:
    """Confirmation of a registration, or its place on the waiting list."""
    key = {"confirmed": "registration_confirmed", "waitlisted": "registration_waitlisted",
           "promoted": "registration_promoted"}[status]
    return notify(f"notify.{key}", language, activity=activity.name, date=_when(activity),
                  place=activity.place or "", position=position)


def reminder_text(language: str | None, activity: Activity) -> str:
    """The reminder the day before an activity."""
    return notify("notify.reminder", language, activity=activity.name, date=_when(activity),
                  place=activity.place or "")


def callback_ack_text(language: str | None) -> str:
    """Acknowledgement of a call-back request."""
    return notify("notify.callback_ack", language)


def ticket_closed_text(language: str | None, reference: str) -> str:
    """Closing the feedback loop: the person is told their message was handled."""
    return notify("notify.ticket_closed", language, reference=reference)
