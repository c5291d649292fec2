"""Bearer-token authentication and roles for the API."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import wraps

from flask import g, request
from sqlalchemy import select

from gateway.errors import APIError
from gateway.extensions import db
from gateway.models import ApiToken, utcnow
from gateway.models.users import ROLES
from gateway.services.visibility import ROLE_RANK, TEXT_ROLES, Viewer  # noqa: F401  (TEXT_ROLES: re-exported)


def hash_token(token: str) -> str:
    """SHA-256 of a token: only this is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(name: str, role: str, sensitive_access: bool = False, user_id: int | None = None) -> str:
    """Create an API token and return it; it is never shown again."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    token = "mur_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(name=name, role=role, token_hash=hash_token(token), prefix=token[:8],
                            sensitive_access=sensitive_access, user_id=user_id))
    db.session.commit()
    return token


def _authenticate() -> ApiToken:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise APIError(401, "unauthorized", "send Authorization: Bearer <token>")
    digest = hash_token(token.strip())
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.token_hash, digest):
        raise APIError(401, "unauthorized", "unknown or revoked token")
    row.last_used_at = utcnow()
    return row


def require_role(minimum: str):
    """Decorator: the caller's token must have at least role `minimum`."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            token = _authenticate()
            if ROLE_RANK[token.role] < ROLE_RANK[minimum]:
                raise APIError(403, "forbidden", f"this needs the {minimum} role or higher")
            g.api_token = token
            g.actor = f"token:{token.id}"
            g.role = token.role
            # What the caller may see is decided by gateway/services/visibility.py with g.viewer.
            g.viewer = Viewer.of(token)
            g.sensitive_access = g.viewer.cleared
            return view(*args, **kwargs)
        return wrapper
    return decorator
