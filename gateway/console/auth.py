"""Console sign-in, sessions and role checks."""
from __future__ import annotations

from functools import wraps

from flask import abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from gateway.console import bp
from gateway.console.helpers import check_csrf, local_path
from gateway.console.locale import keep_language
from gateway.extensions import db
from gateway.models import User
from gateway.services import audit
from gateway.services.visibility import ROLE_RANK, Viewer


def current_user() -> User | None:
    """The signed-in user, or None."""
    if "user" not in g:
        user_id = session.get("user_id")
        user = db.session.get(User, user_id) if user_id else None
        g.user = user if user is not None and user.active else None
    return g.user


def login_required(minimum: str = "viewer"):
    """Decorator: a signed-in user with at least role `minimum`."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            user = current_user()
            if user is None:
                return redirect(url_for("console.login", next=request.path))
            if ROLE_RANK[user.role] < ROLE_RANK[minimum]:
                abort(403)
            g.actor = f"user:{user.id}"
            g.role = user.role
            # What the user may see is decided by gateway/services/visibility.py with g.viewer.
            g.viewer = Viewer.of(user)
            g.sensitive_access = g.viewer.cleared
            return view(*args, **kwargs)
        return wrapper
    return decorator


# Navigation entries (endpoint, label, minimum role); capability modules append to it.
# Their order is the menu's: the order of views.MODULES.
NAV: list[tuple[str, str, str]] = [("console.index", _l("Dashboard"), "viewer")]


def current_nav(endpoints: list[str]) -> str | None:
    """The menu entry this page belongs to: the longest entry URL the path starts with."""
    best, best_url = None, ""
    for endpoint in endpoints:
        url = url_for(endpoint)
        # Every console URL starts with the dashboard's: it is current only on itself.
        inside = endpoint != "console.index" and request.path.startswith(url.rstrip("/") + "/")
        if (request.path == url or inside) and len(url) > len(best_url):
            best, best_url = endpoint, url
    return best


@bp.app_context_processor
def inject_user():
    user = current_user()
    items = [(e, label) for e, label, role in NAV if user and ROLE_RANK[user.role] >= ROLE_RANK[role]]
    return {"current_user": user, "nav_items": items,
            "nav_current": current_nav([endpoint for endpoint, label in items])}


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with e-mail and password."""
    if request.method == "POST":
        check_csrf()        # a login form posted from another site is refused
        email = (request.form.get("email") or "").strip().lower()
        user = db.session.scalar(select(User).where(User.email == email))
        if user is not None and user.active and user.check_password(request.form.get("password") or ""):
            keep_language(session.clear)
            session["user_id"] = user.id
            audit.record(f"user:{user.id}", "login", "user", user.id)
            db.session.commit()
            # Only local paths: never bounce a fresh session to another site.
            return redirect(local_path(request.args.get("next")) or url_for("console.index"))
        flash(_("Wrong e-mail or password."), "error")
    return render_template("console/login.html")


@bp.post("/logout")
def logout():
    """Sign out."""
    check_csrf()
    keep_language(session.clear)
    return redirect(url_for("console.login"))
