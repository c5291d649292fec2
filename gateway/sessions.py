"""Console sessions: Flask's signed cookies, made free for requests that carry no cookie."""
from __future__ import annotations

from flask.sessions import SecureCookieSessionInterface


class CookielessFastSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, without building a signing serializer for a request that
    carries no cookie at all (every webhook): the result is the same empty session.

    Measured on the USSD hop (bench/ussd_bench.py): building the serializer was ~9 % of a hop.
    """

    def open_session(self, app, request):
        if not request.environ.get("HTTP_COOKIE"):
            return self.session_class() if app.secret_key else None
        return super().open_session(app, request)
