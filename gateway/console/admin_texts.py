"""Console: menu texts and translations per language, with their review status, so a native
speaker can review and edit them in the browser.

The gettext catalogs stay the source: saving writes the entry straight into
`gateway/translations/<language>/LC_MESSAGES/<domain>.po` (`i18n.save_entry` changes only that
entry's lines; a draft keeps gettext's `fuzzy` flag, a reviewed text loses it), so the change is
an ordinary diff to commit, and `menus translations` / `menus check` see it. A USSD text is
checked first as `menus check` would (placeholders, characters a screen cannot show, every
screen at most 160 characters with the longest content); this process's USSD engine is rebuilt
with it at once, other processes read it when they restart.
"""
from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from gateway import i18n
from gateway.console import bp
from gateway.console.auth import login_required
from gateway.console.helpers import check_csrf
from gateway.services import audit
from gateway.extensions import db
from menus.engine import Engine
from menus.model import JOURNEYS_DIR, load
from menus.texts import Texts, placeholders, unshowable
from menus.validate import validate

DOMAINS = ("ussd", "sms", "notify")
STATUSES = ("missing", "draft", "reviewed")
MAX_TEXT = 640


def catalogs_dir() -> Path:
    """Where this app reads its catalogs (tests point it at a copy)."""
    return Path(current_app.config.get("USSD_TRANSLATIONS_DIR") or i18n.TRANSLATIONS)


def _journeys_dir() -> Path:
    return Path(current_app.config.get("USSD_JOURNEYS_DIR") or JOURNEYS_DIR)


def _rows(domain: str, language: str, status: str | None) -> list[dict]:
    entries = i18n.load(catalogs_dir()).entries.get(domain, {})
    french, own = entries.get(i18n.FALLBACK, {}), entries.get(language, {})
    rows = []
    for key in sorted(set(french) | set(own)):
        entry = own.get(key)
        state = "missing" if entry is None else "draft" if entry.draft else "reviewed"
        if status and state != status:
            continue
        rows.append({"key": key, "french": french[key].text if key in french else "",
                     "text": entry.text if entry else "", "status": state})
    return rows


@bp.get("/admin/texts")
@login_required("admin")
def admin_texts(error: str | None = None, status_code: int = 200):
    """Every text of a domain in one language beside the French, with its status."""
    domain = request.args.get("domain") if request.args.get("domain") in DOMAINS else "ussd"
    language = request.args.get("language") if request.args.get("language") in i18n.LANGUAGES else "hau"
    status = request.args.get("status") if request.args.get("status") in STATUSES else None
    report = i18n.status_report(catalogs_dir()).get(domain, {})
    return render_template("console/admin_texts.html", rows=_rows(domain, language, status), domain=domain,
                           language=language, status=status, domains=DOMAINS, languages=i18n.LANGUAGES,
                           report=report, error=error, admin_tab="texts"), status_code


def _check(domain: str, language: str, key: str, text: str, draft: bool) -> str | None:
    """Why the text cannot be saved, in the console's language, or None."""
    if not text.strip() or len(text) > MAX_TEXT:
        return _("A text has 1 to %(n)s characters.", n=MAX_TEXT)
    catalogs = i18n.load(catalogs_dir())
    french = catalogs.get(domain, i18n.FALLBACK, key)
    if french is None:
        return _("This text does not exist in French, the reference.")
    allowed = placeholders(french.text)
    extra = placeholders(text) - allowed
    if extra or (language == i18n.FALLBACK and placeholders(text) != allowed):
        return _("Keep the words in braces as they are: %(names)s.",
                 names=", ".join("{" + n + "}" for n in sorted(allowed)) or "—")
    if domain != "ussd":
        return None
    bad = unshowable(text)
    if bad:
        return _("A USSD screen cannot show these characters: %(chars)s.", chars=" ".join(bad))
    menus = load(_journeys_dir())
    before = set(validate(menus, Texts(catalogs_dir())).errors)
    patched = Texts(catalogs_dir())
    patched.catalogs = i18n.Catalogs({d: {lang: dict(table) for lang, table in langs.items()}
                                      for d, langs in catalogs.entries.items()})
    patched.catalogs.entries.setdefault(domain, {}).setdefault(language, {})[key] = i18n.Entry(text, draft)
    new = [e for e in validate(menus, patched).errors if e not in before]
    if new:
        return _("A USSD screen would be too long or broken with this text (%(detail)s).", detail=new[0])
    return None


@bp.post("/admin/texts")
@login_required("admin")
def admin_save_text():
    """Write one text into its catalog, as a draft or reviewed."""
    check_csrf()
    form = request.form
    domain, language, key = form.get("domain"), form.get("language"), form.get("key", "")
    if domain not in DOMAINS or language not in i18n.LANGUAGES or not key:
        abort(400)
    text = (form.get("text") or "").replace("\r\n", "\n").strip()
    draft = form.get("reviewed") != "1"
    problem = _check(domain, language, key, text, draft)
    back = url_for("console.admin_texts", domain=domain, language=language, status=form.get("status") or None)
    if problem:
        flash(_("%(key)s: %(problem)s", key=key, problem=problem), "error")
        return redirect(back + f"#text-{key}")
    i18n.save_entry(domain, language, key, text, draft, catalogs_dir())
    if domain == "ussd":
        # This process answers USSD with the new text at once; other processes on their restart.
        current_app.extensions["menus"] = Engine(load(_journeys_dir()), Texts(catalogs_dir(), fresh=True))
    audit.record(g.actor, "text.update", "text", f"{domain}:{language}:{key}"[:40], domain=domain,
                 language=language, key=key, reviewed=not draft)
    db.session.commit()
    flash(_("Saved in the %(language)s catalog (%(status)s).", language=i18n.LANGUAGES[language],
            status=_("draft") if draft else _("reviewed")), "info")
    return redirect(back + f"#text-{key}")
