"""USSD texts: catalog lookups with a visible French fallback, rendered GSM-7 only.

Texts live in gettext catalogs (`gateway/translations/<lang>/LC_MESSAGES/ussd.po`), written in
each language's real orthography (Hausa hooked letters, French accents). What goes on a screen
is folded to plain GSM-7 letters here: many phones in the villages do not render accents, and
Hausa's ɓ ɗ ƙ ƴ are not in GSM-7 at all (README.md, "USSD menus").
"""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from gateway import i18n
from gateway.services.encoding import GSM7_BASIC, transliterate

DOMAIN = "ussd"
FALLBACK = i18n.FALLBACK
# The order of the language menu: the most widely spoken first (numbers stay stable).
USSD_LANGUAGES = ("hau", "dje", "fra", "fuv", "knc", "taq")
# Complete from the start; the others need the language menu, main menu and report journey.
COMPLETE = ("fra", "hau", "dje")
PARTIAL = ("fuv", "knc", "taq")
# Arabic is not offered on USSD: GSM-7 has no Arabic script (see menus/README.md).
NOT_ON_USSD = ("arb",)

# Screen characters: GSM-7 basic letters without accents, and no extension-table characters
# (they cost two septets and some handsets drop them).
_SAFE = frozenset(ch for ch in GSM7_BASIC if ord(ch) < 128 and ch != "\r")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def to_screen(text: str) -> str:
    """Fold `text` to what every handset shows: GSM-7 basic, ASCII letters, no accents."""
    text = transliterate(text)
    out = []
    for ch in text:
        if ch in _SAFE:
            out.append(ch)
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        if base and all(c in _SAFE for c in base):
            out.append(base)
        elif ch in "ØøÆæßÅå":
            out.append({"Ø": "O", "ø": "o", "Æ": "AE", "æ": "ae", "ß": "ss", "Å": "A", "å": "a"}[ch])
        elif ch in "\t\r":
            out.append(" ")
        else:
            out.append("?")
    return "".join(out)


def fold_template(text: str) -> str:
    """`to_screen` for a text with `{name}` parameters: the parameters are kept as they are."""
    parts = _PLACEHOLDER.split(text)
    # split() with one group alternates literal text and parameter names.
    return "".join(to_screen(p) if i % 2 == 0 else "{" + p + "}" for i, p in enumerate(parts))


def unshowable(text: str) -> list[str]:
    """Characters of `text` that cannot be rendered on a USSD screen (they would become `?`)."""
    literal = _PLACEHOLDER.sub("", text)
    return sorted({ch for ch in literal if ch != "?" and "?" in to_screen(ch)})


def placeholders(text: str) -> set[str]:
    """The `{name}` parameters a text expects."""
    return set(_PLACEHOLDER.findall(text))


def clean_input(text: str) -> str:
    """Free text as typed, without control characters, spaces collapsed."""
    return " ".join(_CONTROL.sub(" ", text).split())


class Texts:
    """The `ussd` catalog of every language, with screen-ready (folded) texts cached."""

    def __init__(self, directory: Path | None = None, fresh: bool = False):
        self.directory = directory or i18n.TRANSLATIONS
        # `fresh`: read the files again (a translator has just edited them).
        self.catalogs = (i18n.reload if fresh else i18n.load)(self.directory)
        self._cache: dict[tuple[str, str], tuple[str, str]] = {}

    def table(self, language: str) -> dict:
        """{key: Entry} for one language (empty when the language has no ussd catalog)."""
        return self.catalogs.entries.get(DOMAIN, {}).get(language, {})

    def has(self, key: str, language: str) -> bool:
        """True when `language` itself has `key` (no fallback)."""
        return key in self.table(language)

    def raw(self, key: str, language: str | None) -> tuple[str, str]:
        """(text as written, language it came from): the language's own, else French."""
        for lang in (language or FALLBACK, FALLBACK):
            entry = self.table(lang).get(key)
            if entry is not None:
                return entry.text, lang
        raise i18n.MissingText(f"{DOMAIN}:{key}")

    def get(self, key: str, language: str | None) -> str:
        """The screen-ready text for `key` in `language`, French when missing (never blank)."""
        cache_key = (key, language or FALLBACK)
        hit = self._cache.get(cache_key)
        if hit is None:
            text, lang = self.raw(key, language)
            hit = self._cache[cache_key] = (fold_template(text), lang)
        return hit[0]

    def format(self, key: str, language: str | None, params: dict | None = None) -> str:
        """`get` with `{name}` parameters filled (parameters are already screen-ready)."""
        text = self.get(key, language)
        if not params:
            return text
        return text.format_map(_Defaulting(params))


class _Defaulting(dict):
    """Format mapping that leaves an unknown `{name}` empty instead of raising."""

    def __missing__(self, key):
        return ""
