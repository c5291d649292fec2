"""Logging that cannot leak phone numbers, message text or credentials."""
from __future__ import annotations

import logging
import re

from flask import Flask

# Anything that looks like a phone number (7+ digits, optional +) and key=value secrets.
_NUMBER = re.compile(r"\+?\d[\d\s\-]{6,}\d")
_SECRET = re.compile(r"(?i)(api[_-]?key|apikey|token|password|secret|auth[_-]?token|signature|authorization)"
                     r"([\"']?\s*[:=]\s*[\"']?)([^\s\"'&,]+)")
_TEXT_FIELDS = re.compile(r"(?i)\b(text|body|message|Body)=([^&\s]+)")


def redact(message: str) -> str:
    """Remove numbers, secrets and message bodies from a log line."""
    message = _SECRET.sub(lambda m: f"{m.group(1)}{m.group(2)}[redacted]", message)
    message = _TEXT_FIELDS.sub(lambda m: f"{m.group(1)}=[redacted]", message)
    return _NUMBER.sub("[number]", message)


class RedactingRecord(logging.LogRecord):
    """A log record whose rendered message and traceback are always redacted."""

    def getMessage(self) -> str:  # noqa: N802 - logging's name
        return redact(super().getMessage())


class RedactingFormatter(logging.Formatter):
    """Redacts tracebacks, which may quote numbers or payloads in exception messages."""

    def formatException(self, ei) -> str:  # noqa: N802 - logging's name
        return redact(super().formatException(ei))


def install_redaction(app: Flask | None = None) -> None:
    """Make every log record in this process redacted, whoever logs it (idempotent)."""
    if logging.getLogRecordFactory() is not RedactingRecord:
        logging.setLogRecordFactory(RedactingRecord)
    root = logging.getLogger()
    if not root.handlers and (app is None or not app.testing):
        handler = logging.StreamHandler()
        handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        root.addHandler(handler)
        root.setLevel(logging.INFO)
    # Alembic announces each of its plugins at import time: noise on every command.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    for handler in root.handlers:
        if not isinstance(handler.formatter, RedactingFormatter):
            fmt = handler.formatter._fmt if handler.formatter else "%(levelname)s %(name)s %(message)s"
            handler.setFormatter(RedactingFormatter(fmt))
