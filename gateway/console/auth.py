"""Console sign-in, sessions and role checks."""
from __future__ import annotations

from functools import wraps

from flask import abort, flash, g, redirect, render_template, request, session, url_for
from sqlalchemy import select

from gateway.api.auth import ROLE_RANK
from gateway.console import bp
from gateway.extensions import db
from gateway.models import User
from gateway.services import audit


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
            g.sensitive_access = user.sensitive_access or user.role == "admin"
            return view(*args, **kwargs)
        return wrapper
    return decorator


# Navigation entries (endpoint, label, minimum role); capability modules append to it.
NAV: list[tuple[str, str, str]] = [("console.index", "Dashboard", "viewer"), ("console.campaigns", "Campaigns", "staff"),
                                    ("console.simulator", "Simulator", "staff")]


@bp.app_context_processor
def inject_user():
    user = current_user()
    items = [(e, label) for e, label, role in NAV if user and ROLE_RANK[user.role] >= ROLE_RANK[role]]
    return {"current_user": user, "nav_items": items}


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with e-mail and password."""
    if request.method == "POST":
        from gateway.console.helpers import check_csrf
        check_csrf()        # a login form posted from another site is refused
        email = (request.form.get("email") or "").strip().lower()
        user = db.session.scalar(select(User).where(User.email == email))
        if user is not None and user.active and user.check_password(request.form.get("password") or ""):
            session.clear()
            session["user_id"] = user.id
            audit.record(f"user:{user.id}", "login", "user", user.id)
            db.session.commit()
            target = request.args.get("next") or ""
            # Only local paths: never bounce a fresh session to another site.
            if not target.startswith("/") or target.startswith("//"):
                target = url_for("console.index")
            return redirect(target)
        flash("Wrong e-mail or password.", "error")
    return render_template("console/login.html")


@bp.post("/logout")
def logout():
    """Sign out."""
    from gateway.console.helpers import check_csrf
    check_csrf()
    session.clear()
    return redirect(url_for("console.login"))
