"""A fake of Twilio's Messages API: `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`.

Checks HTTP basic auth (account SID and auth token), answers 201 with the message resource as
JSON, and errors as Twilio does: `{"code", "message", "more_info", "status"}` with HTTP 400
(per-number refusals: `fail_number("+227…", 21610)`), 401 for bad credentials, 429 with code
20429 for throttling (https://www.twilio.com/docs/api/errors).

Standalone: `python -m tests.fakes.twilio_server --port 8082 --delay-ms 20` (any credentials).
"""
from __future__ import annotations

import base64
import re
import uuid

from tests.fakes.base import FakeProvider, standalone

ERROR_MESSAGES = {
    21211: "The 'To' number is not a valid phone number.",
    21610: "Attempt to send to unsubscribed recipient",
    21614: "'To' number is not a valid mobile number",
    21408: "Permission to send an SMS has not been enabled for the region indicated by the 'To' number",
    30003: "Unreachable destination handset",
    20429: "Too Many Requests",
}
_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<sid>AC\w+)/Messages\.json$")


class TwilioFake(FakeProvider):
    """Twilio Messages API. `auth_token=None` accepts any credentials."""

    name = "twilio"

    def __init__(self, *args, account_sid: str = "AC" + "0" * 32, auth_token: str | None = "test-twilio-token",
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.account_sid, self.auth_token = account_sid, auth_token

    def route(self, request):
        if request.method == "POST" and _PATH.match(request.path):
            return self.create_message
        return None

    def error_body(self, status: int):
        code = 20429 if status == 429 else 20500
        return {"code": code, "message": "Too Many Requests" if status == 429 else "Internal Server Error",
                "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status}

    def _error(self, status: int, code: int, message: str | None = None):
        return status, {"code": code, "message": message or ERROR_MESSAGES.get(code, "Error"),
                        "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status}, {}

    def _authorised(self, request, sid: str) -> bool:
        header = request.headers.get("authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        if self.auth_token is None:
            return bool(user) and user == sid
        return user == self.account_sid == sid and password == self.auth_token

    def create_message(self, request, request_no):
        sid = _PATH.match(request.path)["sid"]
        if not self._authorised(request, sid):
            return self._error(401, 20003, "Authenticate")
        form = request.form
        to, body = form.get("To", ""), form.get("Body")
        if not to:
            return self._error(400, 21604, "A 'To' phone number is required.")
        if body is None:
            return self._error(400, 21602, "Message body is required.")
        code = self.fail_numbers.get(to)
        if code is None and not re.fullmatch(r"\+\d{6,15}", to):
            code = 21211
        if code is not None:
            self._record(request_no, [], [(to, body, int(code))], {"form": form})
            return self._error(429 if int(code) == 20429 else 400, int(code))
        self._record(request_no, [(to, body)], [], {"form": form})
        message_sid = "SM" + uuid.uuid4().hex
        return 201, {
            "sid": message_sid, "account_sid": sid, "to": to, "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"), "body": body,
            "status": "queued", "num_segments": "1", "num_media": "0", "direction": "outbound-api",
            "price": None, "price_unit": "USD", "error_code": None, "error_message": None,
            "api_version": "2010-04-01", "date_created": "Thu, 26 Nov 2026 09:00:00 +0000",
            "date_sent": None, "date_updated": "Thu, 26 Nov 2026 09:00:00 +0000",
            "uri": f"/2010-04-01/Accounts/{sid}/Messages/{message_sid}.json", "subresource_uris": {},
        }, {}


def main() -> None:
    """Serve the fake until interrupted; any credentials are accepted."""
    standalone(lambda **kw: TwilioFake(auth_token=None, **kw), __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
