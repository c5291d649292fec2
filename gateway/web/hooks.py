"""What runs around every request, declared once for Flask and for the fast path.

The busiest webhooks are answered in front of Flask (gateway/webhooks/fastpath.py), where
Flask's own `before_request`, `after_request`, `teardown_request` and error handlers do not
run. Declare such code here instead: each hook is registered with Flask *and* run by the fast
path, so adding one cannot skip the busiest URLs. The fast path refuses to be installed while
a request hook is registered with Flask alone (`undeclared`).

Hooks receive a `RequestInfo` (method, path, WSGI environ), never Flask's `request`, which
does not exist on the fast path; they run inside the app context.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from flask import Flask, request

# (body, status, content type), or None to leave the exception to the next handler.
Answer = tuple[str, int, str]


@dataclass(frozen=True)
class RequestInfo:
    """What a hook may know of the request, on either path."""

    method: str
    path: str
    environ: Mapping


@dataclass
class Hooks:
    """The declared hooks of one app."""

    before: list[Callable[[RequestInfo], None]] = field(default_factory=list)
    after: list[Callable[[RequestInfo, int], None]] = field(default_factory=list)
    teardown: list[Callable[[RequestInfo, BaseException | None], None]] = field(default_factory=list)
    errors: dict[type, Callable[[BaseException, RequestInfo], Answer | None]] = field(default_factory=dict)
    flask_functions: set = field(default_factory=set)    # their wrappers as registered with Flask

    def error_answer(self, exc: BaseException, info: RequestInfo) -> Answer | None:
        """The answer of the most specific declared error handler that takes `exc`."""
        for cls in type(exc).__mro__:
            handler = self.errors.get(cls)
            answer = handler(exc, info) if handler is not None else None
            if answer is not None:
                return answer
        return None


def hooks(app: Flask) -> Hooks:
    """The app's declared hooks."""
    return app.extensions.setdefault("request_hooks", Hooks())


def current_info() -> RequestInfo:
    """The RequestInfo of Flask's current request."""
    return RequestInfo(request.method, request.path, request.environ)


def before_request(app: Flask, fn: Callable[[RequestInfo], None]) -> Callable:
    """Run `fn(info)` before every request is answered, through Flask or the fast path."""
    def flask_hook():
        fn(current_info())
    _declare(app, app.before_request(flask_hook))
    hooks(app).before.append(fn)
    return fn


def after_request(app: Flask, fn: Callable[[RequestInfo, int], None]) -> Callable:
    """Run `fn(info, status)` once every request has its answer (errors included)."""
    def flask_hook(response):
        fn(current_info(), response.status_code)
        return response
    _declare(app, app.after_request(flask_hook))
    hooks(app).after.append(fn)
    return fn


def teardown_request(app: Flask, fn: Callable[[RequestInfo, BaseException | None], None]) -> Callable:
    """Run `fn(info, exc)` at the end of every request, whatever happened (`exc`: an exception
    no handler answered, else None)."""
    def flask_hook(exc):
        fn(current_info(), exc)
    _declare(app, app.teardown_request(flask_hook))
    hooks(app).teardown.append(fn)
    return fn


def errorhandler(app: Flask, exc_class: type, fn: Callable[[BaseException, RequestInfo], Answer | None],
                 otherwise: Callable[[BaseException], object] | None = None) -> Callable:
    """Answer `exc_class` raised while answering any request with `fn(exc, info)` →
    (body, status, content type). When `fn` returns None (a page only Flask can render, such as
    the console's), Flask requests get `otherwise(exc)` and the fast path asks the next handler."""
    def flask_handler(exc):
        answer = fn(exc, current_info())
        if answer is None:
            if otherwise is None:
                raise exc
            return otherwise(exc)
        body, status, content_type = answer
        return body, status, {"Content-Type": content_type}
    app.register_error_handler(exc_class, flask_handler)
    hooks(app).errors[exc_class] = fn
    return fn


def _declare(app: Flask, flask_function) -> None:
    hooks(app).flask_functions.add(flask_function)


def undeclared(app: Flask, blueprints: tuple[str, ...] = ()) -> list[str]:
    """Request hooks registered with Flask alone, app-wide or on `blueprints` (the fast path's
    routes' blueprint): code the fast path would silently skip."""
    declared = hooks(app).flask_functions
    found = []
    for kind, registry in (("before_request", app.before_request_funcs),
                           ("after_request", app.after_request_funcs),
                           ("teardown_request", app.teardown_request_funcs)):
        for scope in (None, *blueprints):
            found += [f"{kind} {getattr(f, '__qualname__', f)!s}" for f in registry.get(scope, ())
                      if f not in declared]
    return found
