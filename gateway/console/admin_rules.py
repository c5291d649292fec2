"""Console: staff add, edit and disable SMS keywords and flag rules per language, and try a
sample message against them (what keyword it is, which rules flag it, with which terms)."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from gateway.console import bp, names
from gateway.console.auth import login_required
from gateway.console.helpers import check_csrf
from gateway.extensions import db
from gateway.i18n import LANGUAGES
from gateway.models import FlagRule, Keyword
from gateway.services import lookups, rules_admin, visibility
from gateway.services.rules_admin import RuleError

# Keywords and flag rules are the programme's words: staff keep them (issue 13).
ROLE = "staff"
ACTION_NAMES = {
    "report": _l("Report an incident"), "register": _l("Register for an activity"), "join": _l("Follow a topic"),
    "leave": _l("Leave a topic"), "help": _l("Help (list of keywords)"), "language": _l("Change language"),
    "stop": _l("Stop every message"), "restart": _l("Receive messages again"), "callback": _l("Ask to be called back"),
}


def explain(exc: RuleError) -> str:
    """What is wrong with a keyword or rule, in the console's language."""
    d = exc.details
    texts = {
        "bad_word": _("A keyword is one or two words, 40 letters at most."),
        "unknown_language": _("Choose a language from the list."),
        "unknown_action": _("Choose what the keyword does from the list."),
        "unknown_topic": _("No topic has the code “%(value)s”.", value=d.get("value", "")),
        "unknown_activity": _("No activity has the code “%(value)s”.", value=d.get("value", "")),
        "no_argument": _("This kind of keyword takes no fixed argument: leave it empty."),
        "duplicate": (_("“%(word)s” is already a keyword (%(action)s, %(language)s).", word=d.get("word", ""),
                        action=ACTION_NAMES.get(d.get("action"), d.get("action", "")),
                        language=names.language(d.get("language"))) if "word" in d
                      else _("A rule named “%(name)s” already exists.", name=d.get("name", ""))),
        "bad_name": _("Give the rule a name of 1 to 80 characters."),
        "no_terms": _("Give at least one term, one per line."),
        "too_many_terms": _("At most %(n)s terms per rule.", n=d.get("limit", rules_admin.MAX_TERMS)),
        "bad_term": _("The term “%(value)s” is too long or has no letters.", value=d.get("value", "")),
        "bad_label": _("A label has 1 to 40 lowercase letters, digits, _ or -."),
        "unknown_category": _("Choose a category from the list."),
        "bad_priority": _("Choose a priority from the list."),
    }
    return texts.get(exc.code, _("This cannot be saved."))


def _language_arg() -> str | None:
    code = request.args.get("language") or None
    return code if code in LANGUAGES else None


# ---------------------------------------------------------------- keywords

@bp.get("/admin/keywords")
@login_required(ROLE)
def admin_keywords(error: str | None = None, form: dict | None = None, status: int = 200):
    """Keywords per language, the form to add one, and the message tester."""
    language = _language_arg()
    return render_template("console/admin_keywords.html", keywords=rules_admin.keywords_list(language),
                           language=language, languages=LANGUAGES, actions=rules_admin.ACTIONS,
                           action_names=ACTION_NAMES, error=error, form=form or {}, admin_tab="keywords",
                           trial=_trial()), status


def _keyword_from_form(keyword: Keyword | None):
    form = request.form
    return rules_admin.save_keyword(g.actor, word=form.get("word", ""), language_code=form.get("language", ""),
                                    action=form.get("action", ""), argument=form.get("argument"),
                                    active=form.get("active", "1") == "1", keyword=keyword)


@bp.post("/admin/keywords")
@bp.post("/admin/keywords/<int:keyword_id>")
@login_required(ROLE)
def admin_save_keyword(keyword_id: int | None = None):
    """Add or change a keyword (it answers the next SMS)."""
    check_csrf()
    keyword = db.session.get(Keyword, keyword_id) if keyword_id else None
    if keyword_id and keyword is None:
        abort(404)
    try:
        saved, close = _keyword_from_form(keyword)
    except RuleError as exc:
        db.session.rollback()
        return admin_keywords(error=explain(exc), form=request.form, status=400)
    flash(_("Keyword “%(word)s” saved.", word=saved.word.upper()), "info")
    for word, action in close:
        flash(_("“%(word)s” is one letter from “%(other)s” (%(action)s): both work as typed, but a typo "
                "between them is never guessed.", word=saved.word.upper(), other=word.upper(),
                action=ACTION_NAMES.get(action, action)), "info")
    return redirect(url_for("console.admin_keywords", language=saved.language))


# ---------------------------------------------------------------- flag rules

@bp.get("/admin/flag-rules")
@login_required(ROLE)
def admin_rules(error: str | None = None, form: dict | None = None, status: int = 200):
    """Flag rules per language, the form to add one, and the message tester."""
    language = _language_arg()
    categories = sorted(lookups.categories().values(), key=lambda c: c.position)
    rules = rules_admin.flag_rules(language)
    if not g.viewer.cleared:
        # Rules of sensitive categories are for designated staff only, like what they flag.
        categories = [c for c in categories if not c.sensitive]
        rules = [r for r in rules if _may_edit(r)]
    return render_template("console/admin_rules.html", rules=rules, language=language,
                           languages=LANGUAGES, categories=categories, error=error, form=form or {},
                           admin_tab="rules", trial=_trial(), action_names=ACTION_NAMES), status


def _rule_from_form(rule: FlagRule | None) -> FlagRule:
    form = request.form
    priority = form.get("priority", "2")
    return rules_admin.save_flag_rule(
        g.actor, name=form.get("name", ""), language_code=form.get("language") or None,
        terms=rules_admin.parse_terms(form.get("terms", "")), label=form.get("label", ""),
        category=form.get("category") or None, priority=int(priority) if priority.isdigit() else 0,
        flag=form.get("flag", "1") == "1", active=form.get("active", "1") == "1", rule=rule)


@bp.post("/admin/flag-rules")
@bp.post("/admin/flag-rules/<int:rule_id>")
@login_required(ROLE)
def admin_save_rule(rule_id: int | None = None):
    """Add or change a flag rule (it applies to the next SMS)."""
    check_csrf()
    rule = db.session.get(FlagRule, rule_id) if rule_id else None
    if rule_id and (rule is None or not _may_edit(rule)):
        abort(404)
    if not g.viewer.cleared and request.form.get("category") in visibility.sensitive_categories():
        return admin_rules(error=_("Choose a category from the list."), form=request.form, status=400)
    try:
        saved = _rule_from_form(rule)
    except RuleError as exc:
        db.session.rollback()
        return admin_rules(error=explain(exc), form=request.form, status=400)
    flash(_("Rule “%(name)s” saved.", name=saved.name), "info")
    return redirect(url_for("console.admin_rules", language=saved.language or None))


def _may_edit(rule: FlagRule) -> bool:
    """Rules of sensitive categories (and their labels) only for cleared staff."""
    if g.viewer.cleared:
        return True
    return rule.category_code not in visibility.sensitive_categories() and rule.label not in visibility.sensitive_labels()


# ---------------------------------------------------------------- the tester

def _trial():
    """The tester's result for `?sample=…&sample_language=…`, or None."""
    sample = (request.args.get("sample") or "").strip()
    if not sample:
        return None
    language = request.args.get("sample_language") or None
    trial = rules_admin.try_message(sample, language if language in LANGUAGES else None)
    if not g.viewer.cleared:
        # What a sensitive rule matched is for designated staff only: the verdict stays, its rule goes.
        hidden = {name for name, rule in trial.rules.items() if not _may_edit(rule)}
        trial.flags.rules = [name for name in trial.flags.rules if name not in hidden]
        for name in hidden:
            trial.rules.pop(name, None)
            trial.matched_terms.pop(name, None)
        if trial.flags.category_code in visibility.sensitive_categories():
            trial.flags.category_code = None
    return trial
