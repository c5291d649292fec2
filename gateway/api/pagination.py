"""Keyset pagination and common filters for list endpoints."""
from __future__ import annotations

from datetime import datetime

from flask import request, url_for

from gateway.errors import APIError
from gateway.extensions import db
from gateway.models.base import MAX_INTEGER
from gateway.timezone import parse_iso_time

MAX_LIMIT = 500


def parse_limit(default: int = 100) -> int:
    """`limit` from the query string, 1..500."""
    raw = request.args.get("limit", str(default))
    try:
        value = int(raw)
    except ValueError:
        raise APIError(400, "invalid_parameter", "limit must be an integer") from None
    if not 1 <= value <= MAX_LIMIT:
        raise APIError(400, "invalid_parameter", f"limit must be between 1 and {MAX_LIMIT}")
    return value


def parse_int(name: str) -> int | None:
    """An optional integer query parameter, 0 to MAX_INTEGER (what an id column holds)."""
    raw = request.args.get(name)
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except ValueError:
        raise APIError(400, "invalid_parameter", f"{name} must be an integer") from None
    if not 0 <= value <= MAX_INTEGER:
        raise APIError(400, "invalid_parameter", f"{name} must be between 0 and {MAX_INTEGER}")
    return value


def where_choice(stmt, column, name: str, allowed):
    """Filter `stmt` on `column` by query parameter `name`, which must be one of `allowed`."""
    value = request.args.get(name)
    if not value:
        return stmt
    if value not in allowed:
        raise APIError(400, "invalid_parameter", f"{name} must be one of {', '.join(allowed)}")
    return stmt.where(column == value)


def parse_since(name: str = "since") -> datetime | None:
    """An optional ISO 8601 time (naive means UTC)."""
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        return parse_iso_time(raw)
    except ValueError:
        raise APIError(400, "invalid_parameter", f"{name} must be an ISO 8601 date or time") from None


def page(query, id_column, serialize, endpoint: str, **filters):
    """Apply `after` keyset paging on `id_column` (descending); return the JSON body."""
    limit = parse_limit()
    after = parse_int("after")
    if after is not None:
        query = query.where(id_column < after)
    rows = list(db.session.scalars(query.order_by(id_column.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    next_url = None
    if more:
        args = {k: v for k, v in request.args.items() if k != "after"}
        args["after"] = rows[-1].id
        next_url = url_for(endpoint, **args)
    return {"items": [serialize(r) for r in rows], "next": next_url}
