"""Logging that cannot leak phone numbers, message text or credentials, in one structured format.

Every line is `key=value` pairs (logfmt): `ts=… level=… logger=… msg="…"`, then the fields a
caller passed with `extra={…}`, then `exc="…"` with the traceback on the same line. Redaction is
the second line of defence: the first is not to log text (the SQLAlchemy engine hides bound
parameters, `hide_parameters=True`, so a refused statement never quotes a message or a number).
"""
from __future__ import annotations

import logging
import re
from datetime import datetime, timezone

from flask import Flask

# Anything that looks like a phone number (7+ digits, optional +) and key=value secrets.
_NUMBER = re.compile(r"\+?\d[\d\s\-]{6,}\d")
_SECRET = re.compile(r"(?i)(api[_-]?key|apikey|token|password|secret|auth[_-]?token|signature|authorization)"
                     r"([\"']?\s*[:=]\s*[\"']?)([^\s\"'&,]+)")
_TEXT_FIELDS = re.compile(r"(?i)\b(text|body|message|Body)=([^&\s]+)")
# Every value of a URL's query (`?q=words&token=…`): search words, tokens and numbers ride there.
_QUERY_VALUES = re.compile(r"([?&][\w.\-\[\]]+=)([^&\s\"']*)")
# A value quoted under a personal key in a repr or JSON (`'text': '…'`, `"note": "…"`).
_QUOTED_FIELDS = re.compile(r"""(?i)(['"]?\b(?:text|body|message|note|notes|name|phone|number|q|query)['"]?\s*[:=]\s*)"""
                            r"""('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")""")


def redact(message: str) -> str:
    """Remove numbers, secrets and message bodies from a log line."""
    message = _SECRET.sub(lambda m: f"{m.group(1)}{m.group(2)}[redacted]", message)
    message = _QUOTED_FIELDS.sub(lambda m: f"{m.group(1)}'[redacted]'", message)
    message = _QUERY_VALUES.sub(lambda m: f"{m.group(1)}[redacted]", message)
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


# What every LogRecord has; anything else on a record came from `extra={…}` and is a field.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}
_BARE = re.compile(r"^[\w.:/+\-@\[\]]+$")


def _value(value: object) -> str:
    text = str(value)
    if _BARE.match(text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


class StructuredFormatter(RedactingFormatter):
    """The one log format: one line of redacted `key=value` pairs per record (logfmt)."""

    def format(self, record: logging.LogRecord) -> str:
        fields = {"ts": datetime.fromtimestamp(record.created, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                  "level": record.levelname.lower(), "logger": record.name, "msg": redact(record.getMessage())}
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_") and key not in fields:
                fields[key] = redact(str(value))
        if record.exc_info:
            record.exc_text = record.exc_text or self.formatException(record.exc_info)
        if record.exc_text:
            fields["exc"] = redact(record.exc_text)
        if record.stack_info:
            fields["stack"] = redact(self.formatStack(record.stack_info))
        return " ".join(f"{key}={_value(value)}" for key, value in fields.items())


def install_redaction(app: Flask | None = None) -> None:
    """Make every log record in this process redacted, whoever logs it (idempotent)."""
    if logging.getLogRecordFactory() is not RedactingRecord:
        logging.setLogRecordFactory(RedactingRecord)
    root = logging.getLogger()
    if not root.handlers and (app is None or not app.testing):
        handler = logging.StreamHandler()
        handler.setFormatter(StructuredFormatter())
        root.addHandler(handler)
        root.setLevel(logging.INFO)
    # Alembic announces each of its plugins at import time: noise on every command.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    for handler in root.handlers:
        if not isinstance(handler.formatter, RedactingFormatter):
            handler.setFormatter(StructuredFormatter())
