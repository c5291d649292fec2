"""Translation catalogs: gettext .po files, one per language and domain, edited with ordinary tools.

Layout: `gateway/translations/<lang>/LC_MESSAGES/<domain>.po` (ISO 639-3 language codes).
Message ids are stable keys (`ussd.main.title`); French (`fra`) is the reference catalog and the
visible fallback. Review status uses gettext's own flag: an entry marked `fuzzy` is a **draft**
(not written or checked by a native speaker) — unlike plain gettext we still show drafts, since a
draft in the person's language beats French; the translations report lists them per language.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
FALLBACK = "fra"
LANGUAGES = {
    "fra": "Français", "hau": "Hausa", "dje": "Zarma", "fuv": "Fulfulde", "knc": "Kanuri",
    "taq": "Tamasheq", "arb": "Arabic",
}


@dataclass
class Entry:
    """One translated string and whether a native speaker has reviewed it."""

    text: str
    draft: bool


@dataclass
class Catalogs:
    """Every catalog, loaded once: {domain: {language: {key: Entry}}}."""

    entries: dict = field(default_factory=dict)

    def get(self, domain: str, language: str, key: str) -> Entry | None:
        return self.entries.get(domain, {}).get(language, {}).get(key)


_lock = threading.Lock()
_cache: dict[Path, Catalogs] = {}


def load(directory: Path = TRANSLATIONS) -> Catalogs:
    """Read every .po file under `directory` (cached per directory)."""
    with _lock:
        if directory in _cache:
            return _cache[directory]
        catalogs = Catalogs()
        for po in sorted(directory.glob("*/LC_MESSAGES/*.po")):
            language, domain = po.parent.parent.name, po.stem
            with open(po, "rb") as fh:
                catalog = read_po(fh, locale=None)
            table = catalogs.entries.setdefault(domain, {}).setdefault(language, {})
            for message in catalog:
                if message.id and message.string:
                    table[str(message.id)] = Entry(str(message.string), message.fuzzy)
        _cache[directory] = catalogs
        return catalogs


def reload(directory: Path = TRANSLATIONS) -> Catalogs:
    """Forget the cached catalogs and read them again (after an admin edit)."""
    with _lock:
        _cache.pop(directory, None)
    return load(directory)


class MissingText(KeyError):
    """A key has no text in the language nor in French."""


def lookup(domain: str, key: str, language: str | None) -> tuple[str, str]:
    """(text, language it came from): the person's language, else French."""
    catalogs = load()
    for lang in (language or FALLBACK, FALLBACK):
        entry = catalogs.get(domain, lang, key)
        if entry is not None:
            return entry.text, lang
    raise MissingText(f"{domain}:{key}")


def t(domain: str, key: str, language: str | None, **params) -> str:
    """The text for `key` in `language` (French when missing), with `{name}` params filled."""
    text, _ = lookup(domain, key, language)
    return text.format(**params) if params else text


def status_report(directory: Path = TRANSLATIONS) -> dict:
    """Per domain and language: total keys, missing keys, draft (unreviewed) keys."""
    catalogs = load(directory)
    report = {}
    for domain, languages in catalogs.entries.items():
        keys = set(languages.get(FALLBACK, {}))
        for table in languages.values():
            keys |= set(table)
        report[domain] = {}
        for language in LANGUAGES:
            table = languages.get(language, {})
            report[domain][language] = {
                "total": len(keys),
                "missing": sorted(keys - set(table)),
                "draft": sorted(k for k, e in table.items() if e.draft),
            }
    return report


def _po_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t") + '"'


def save_entry(domain: str, language: str, key: str, text: str, draft: bool,
               directory: Path = TRANSLATIONS) -> Path:
    """Write one entry into `<directory>/<language>/LC_MESSAGES/<domain>.po`: its text, and the
    `fuzzy` flag for a draft (removed once reviewed). Only that entry's lines change, so a diff of
    the catalog shows exactly what the reviewer did; the file is created if the language has none."""
    path = directory / language / f"LC_MESSAGES/{domain}.po"
    if path.exists():
        source = path.read_text(encoding="utf-8")
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        source = ('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
                  f'"Language: {language}\\n"\n')
    blocks = source.rstrip("\n").split("\n\n")
    target = f"msgid {_po_quote(key)}"
    for index, block in enumerate(blocks):
        lines = block.split("\n")
        if target in lines:
            blocks[index] = _rewrite_block(lines, text, draft)
            break
    else:
        blocks.append(_rewrite_block([target], text, draft))
    path.write_text("\n\n".join(blocks) + "\n", encoding="utf-8")
    reload(directory)
    return path


def _rewrite_block(lines: list[str], text: str, draft: bool) -> str:
    """An entry's lines with a new msgstr and the fuzzy flag set or cleared; comments kept."""
    comments = [ln for ln in lines if ln.startswith("#") and not ln.startswith("#,")]
    flags = [f.strip() for ln in lines if ln.startswith("#,") for f in ln[2:].split(",") if f.strip()]
    flags = [f for f in flags if f != "fuzzy"]
    if "{" in text and "python-brace-format" not in flags:
        flags.append("python-brace-format")
    if draft:
        flags.insert(0, "fuzzy")
    # Keys are one-line message ids (`ussd.main.title`).
    msgid = next(ln for ln in lines if ln.startswith("msgid "))
    out = comments + ([f"#, {', '.join(flags)}"] if flags else []) + [msgid, f"msgstr {_po_quote(text)}"]
    return "\n".join(out)
