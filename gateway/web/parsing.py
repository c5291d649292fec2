"""What every request's input must be before a view reads it: JSON bodies of bounded depth with no
NUL character, and `<int:…>` URL parts that fit an id column.

Python's JSON parser recurses, so `[[[[…` a few thousand deep raises RecursionError (a 500), and
a body shallower than that still arms any code that walks it; a NUL character in a string is
refused by PostgreSQL only once half a request is written. Both are refused here, for the JSON API
and JSON webhooks alike, with a 400 (`invalid_json`) — even under `get_json(silent=True)`, which
would otherwise turn them into "no body". An id of 10^30 in a URL matches no route (404) instead of
overflowing the database's integer.
"""
from __future__ import annotations

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

from gateway.models.base import MAX_INTEGER

MAX_JSON_DEPTH = 32       # the API's deepest body (a campaign's audience) is 3 levels


class UnsafeJSON(BadRequest):
    """A JSON body nested too deep or carrying a NUL character (400 `invalid_json`)."""

    error_code = "invalid_json"


def check_json(value, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Raise UnsafeJSON when `value` nests deeper than `max_depth` or holds a NUL character
    (iterative: a walk must not recurse either)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise UnsafeJSON("a JSON string contains a NUL character")
        elif isinstance(item, (list, dict)):
            if depth > max_depth:
                raise UnsafeJSON(f"the JSON body is nested deeper than {max_depth} levels")
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)


class SafeJSONProvider(DefaultJSONProvider):
    """Flask's JSON, refusing bodies that are too deep or carry NUL characters."""

    def loads(self, s, **kwargs):
        try:
            value = super().loads(s, **kwargs)
        except RecursionError:
            raise UnsafeJSON(f"the JSON body is nested deeper than {MAX_JSON_DEPTH} levels") from None
        check_json(value)
        return value


class IdConverter(IntegerConverter):
    """`<int:…>` bounded to what an integer column holds: a larger id matches no route (404)."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_INTEGER)
        super().__init__(url_map, *args, **kwargs)


def init_app(app: Flask) -> None:
    """Install the JSON provider and the bounded `int` converter (before any route is added)."""
    app.json = SafeJSONProvider(app)
    app.url_map.converters["int"] = IdConverter
