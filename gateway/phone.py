"""Phone numbers: everything is normalised to E.164 with `phonenumbers`."""
from __future__ import annotations

import re

import phonenumbers


class InvalidNumber(ValueError):
    """The input is not a valid phone number; the message says why, `code` says it for screens
    that word it themselves (`empty`, `not_digits`, `too_short`, `too_long`, `unparseable`,
    `invalid`)."""

    def __init__(self, message: str, code: str = "invalid"):
        super().__init__(message)
        self.code = code


_PUNCTUATION = re.compile(r"[\s\-().]")
NATIONAL_DIGITS = 8          # a Niger number without its +227: 90 12 34 56
MAX_DIGITS = 15              # E.164's longest


def normalize(raw: str, region: str = "NE") -> str:
    """Return the E.164 form of `raw`.

    Accepts `+227XXXXXXXX`, `00227…`, `227…` and bare 8-digit Niger numbers, and any valid
    foreign number in international form (`+234…`, `00234…`).
    """
    if raw is None:
        raise InvalidNumber("no phone number given", "empty")
    text = _PUNCTUATION.sub("", str(raw).strip())
    if not text:
        raise InvalidNumber("no phone number given", "empty")
    if text.startswith("00"):
        text = "+" + text[2:]
    if not re.fullmatch(r"\+?\d+", text):
        raise InvalidNumber("a phone number has only digits, optionally after + or 00", "not_digits")
    digits = len(text.lstrip("+"))
    # Without a country code it must be a Niger number: 8 digits. `12345` is too short, not "not digits".
    if digits < (6 if text.startswith("+") else NATIONAL_DIGITS):
        raise InvalidNumber(f"too short for a phone number (a Niger number has {NATIONAL_DIGITS} digits)",
                            "too_short")
    if digits > MAX_DIGITS:
        raise InvalidNumber(f"too long for a phone number (at most {MAX_DIGITS} digits)", "too_long")
    if not text.startswith("+"):
        if len(text) == 8:                      # national Niger number, no trunk prefix
            text = "+227" + text
        elif text.startswith("227") and len(text) == 11:
            text = "+" + text
        else:
            text = "+" + text if len(text) > 8 else text
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidNumber(f"not a phone number ({exc})", "unparseable") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidNumber("not a valid number for its country", "invalid")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
