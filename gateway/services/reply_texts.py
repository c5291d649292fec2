"""SMS keyword replies (domain `sms`), in the person's language, French when missing.

Replies are transliterated to GSM-7 (a hooked Hausa letter would make the reply UCS-2 and
double its cost); queue_sms records the resulting encoding and segment count.
"""
from __future__ import annotations

from gateway.i18n import LANGUAGES
from gateway.services.notification_texts import gsm_text


def sms_text(key: str, language: str | None, /, **params) -> str:
    """The reply `sms.<key>` in `language`, GSM-7 only."""
    return gsm_text("sms", f"sms.{key}", language, **params)


def language_name(code: str) -> str:
    """How a language is named in replies."""
    return LANGUAGES.get(code, code)
