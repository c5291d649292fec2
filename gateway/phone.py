"""Phone numbers: everything is normalised to E.164 with `phonenumbers`."""
from __future__ import annotations

import re

import phonenumbers


class InvalidNumber(ValueError):
    """The input is not a valid phone number; the message says why."""


_PUNCTUATION = re.compile(r"[\s\-().]")


def normalize(raw: str, region: str = "NE") -> str:
    """Return the E.164 form of `raw`.

    Accepts `+227XXXXXXXX`, `00227…`, `227…` and bare 8-digit Niger numbers, and any valid
    foreign number in international form (`+234…`, `00234…`).
    """
    if raw is None:
        raise InvalidNumber("no phone number given")
    text = _PUNCTUATION.sub("", str(raw).strip())
    if not text:
        raise InvalidNumber("no phone number given")
    if text.startswith("00"):
        text = "+" + text[2:]
    if not re.fullmatch(r"\+?\d{6,15}", text):
        raise InvalidNumber("a phone number has only digits, optionally after + or 00")
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
        raise InvalidNumber(f"not a phone number ({exc})") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidNumber("not a valid number for its country")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
