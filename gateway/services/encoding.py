"""SMS encoding (GSM-7 vs UCS-2), segment counting and transliteration to GSM-7.

One character outside GSM 03.38 turns a whole SMS into UCS-2 (70 characters a segment instead
of 160), which more than doubles the cost of a Hausa campaign; USSD screens must be GSM-7 only.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

# GSM 03.38 basic character set. Lowercase ç is deliberately absent: the table has only the
# capital Ç at 0x09, and tools disagree on how phones render it.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each character costs two septets (escape + code).
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")

# Explicit replacements, checked before the generic accent stripping.
_TRANSLITERATIONS = {
    "ɓ": "b", "Ɓ": "B", "ɗ": "d", "Ɗ": "D", "ƙ": "k", "Ƙ": "K", "ƴ": "y", "Ƴ": "Y",
    "ŋ": "n", "Ŋ": "N", "ɲ": "ny", "Ɲ": "Ny", "ɛ": "e", "Ɛ": "E", "ɔ": "o", "Ɔ": "O",
    "ʼ": "'", "’": "'", "‘": "'", "ʻ": "'", "“": '"', "”": '"', "«": '"', "»": '"',
    "–": "-", "—": "-", "…": "...", "\u00a0": " ", "\u202f": " ", "ç": "c", "œ": "oe", "Œ": "OE",
    "ǝ": "e", "Ǝ": "E", "ə": "e", "Ə": "E", "ʃ": "sh", "ɣ": "gh", "Ɣ": "Gh", "ḍ": "d", "Ḍ": "D",
    "ṭ": "t", "Ṭ": "T", "ẓ": "z", "Ẓ": "Z", "ṣ": "s", "Ṣ": "S", "ḥ": "h", "Ḥ": "H",
}


@dataclass(frozen=True)
class SmsInfo:
    """How a text travels as SMS."""

    encoding: str        # "GSM-7" or "UCS-2"
    length: int          # in septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int
    per_segment: int
    non_gsm: tuple[str, ...]  # the characters that forced UCS-2, in order of appearance


def sms_info(text: str) -> SmsInfo:
    """Encoding, length and segment count of `text` (160/153 GSM-7, 70/67 UCS-2)."""
    non_gsm = tuple(dict.fromkeys(ch for ch in text if ch not in GSM7_BASIC and ch not in GSM7_EXTENDED))
    if not non_gsm:
        length = sum(2 if ch in GSM7_EXTENDED else 1 for ch in text)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        length = len(text.encode("utf-16-le")) // 2
        single, multi, encoding = 70, 67, "UCS-2"
    if length <= single:
        return SmsInfo(encoding, length, 1 if length else 0, single, non_gsm)
    return SmsInfo(encoding, length, -(-length // multi), multi, non_gsm)


def transliterate(text: str) -> str:
    """Rewrite `text` in GSM-7 only: Hausa hooks (ɓ→b, ɗ→d, ƙ→k, ƴ→y), accents (ê→e), quotes.

    Characters GSM-7 already has (é, è, à, ù, Ç …) are kept; anything with no Latin rendering
    becomes `?` so the result is always GSM-7.
    """
    out = []
    for ch in text:
        if ch in GSM7_BASIC or ch in GSM7_EXTENDED:
            out.append(ch)
        elif ch in _TRANSLITERATIONS:
            out.append(_TRANSLITERATIONS[ch])
        else:
            base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
            if base and all(c in GSM7_BASIC for c in base):
                out.append(base)
            elif ch.isspace():
                out.append(" ")
            else:
                out.append("?")
    return "".join(out)
