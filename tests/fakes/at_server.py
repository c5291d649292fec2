"""A fake of Africa's Talking's bulk SMS API: `POST /version1/messaging`.

Answers like the real API (https://developers.africastalking.com/docs/sms/sending/bulk):
HTTP 201 with `{"SMSMessageData": {"Message", "Recipients": [{"statusCode", "number",
"status", "cost", "messageId"}]}}`, one entry per recipient; a wrong `apiKey` header answers
401 in plain text. Per-recipient refusals use the provider's own codes (`fail_number(n, 406)`).

Standalone: `python -m tests.fakes.at_server --port 8081 --delay-ms 20` (any apiKey accepted
unless `--api-key` … is given through `AtFake(api_key=…)` in code).
"""
from __future__ import annotations

import re
import uuid

from tests.fakes.base import FakeProvider, standalone

# Per-recipient status codes and words, from the provider's docs.
STATUS_WORDS = {
    100: "Processed", 101: "Success", 102: "Queued", 401: "RiskHold", 402: "InvalidSenderId",
    403: "InvalidPhoneNumber", 404: "UnsupportedNumberType", 405: "InsufficientBalance",
    406: "UserInBlacklist", 407: "CouldNotRoute", 409: "DoNotDisturbRejection",
    500: "InternalServerError", 501: "GatewayError", 502: "RejectedByGateway",
}
_NUMBER = re.compile(r"^\+\d{1,3}\d{3,}$")


class AtFake(FakeProvider):
    """Africa's Talking messaging API. `api_key=None` accepts any non-empty key."""

    name = "africastalking"

    def __init__(self, *args, api_key: str | None = "test-at-key", username: str = "sandbox",
                 cost: str = "XOF 25.0000", **kwargs):
        super().__init__(*args, **kwargs)
        self.api_key, self.username, self.cost = api_key, username, cost

    @property
    def base_url(self) -> str:
        """What AT_API_URL should be set to (the channel appends /version1)."""
        return self.url

    def route(self, request):
        if request.path == "/version1/messaging" and request.method == "POST":
            return self.messaging
        return None

    def error_body(self, status: int):
        return "Too many requests" if status == 429 else "Internal Server Error"

    def messaging(self, request, request_no):
        given = request.headers.get("apikey")
        if not given or (self.api_key is not None and given != self.api_key):
            return 401, "The supplied authentication is invalid", {}
        form = request.form
        if form.get("username") != self.username:
            return 401, "The supplied authentication is invalid", {}
        if not form.get("to") or "message" not in form:
            return 400, "Request is missing required form field", {}
        message = form["message"]
        recipients, accepted, refused = [], [], []
        for number in [n.strip() for n in form["to"].split(",") if n.strip()]:
            code = self.fail_numbers.get(number)
            if code is None and not _NUMBER.match(number):
                code = 403
            if code is None:
                code = 101
            if 100 <= int(code) <= 102:
                message_id = f"ATXid_{uuid.uuid4().hex}"
                recipients.append({"statusCode": code, "number": number, "status": STATUS_WORDS[code],
                                   "cost": self.cost, "messageId": message_id})
                accepted.append((number, message))
            else:
                recipients.append({"statusCode": int(code), "number": number,
                                   "status": STATUS_WORDS.get(int(code), "Failed"),
                                   "cost": "0", "messageId": "None"})
                refused.append((number, message, int(code)))
        self._record(request_no, accepted, refused, {"form": form})
        body = {"SMSMessageData": {
            "Message": f"Sent to {len(accepted)}/{len(recipients)} Total Cost: {self.cost}",
            "Recipients": recipients}}
        return 201, body, {}


def main() -> None:
    """Serve the fake until interrupted; any apiKey is accepted."""
    standalone(lambda **kw: AtFake(api_key=None, **kw), __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
