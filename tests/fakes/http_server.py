"""A fake SMS gateway for the generic HTTP channel: an Android phone running an SMS gateway app,
or a local aggregator. It accepts a send on any path, as JSON or form (or query string), finds
the recipient(s) and the text under the usual field names, checks the configured headers, and
answers like the Android "SMS Gateway" app (`202 {"id", "state": "Pending", "recipients"}`).

- `expect_headers={"Authorization": "Basic …"}`: other requests get 401.
- `fail_number(n, 400)`: a request to `n` answers that HTTP status.
- `response = lambda numbers, text, request_no: (status, body)` to imitate another gateway.

Standalone: `python -m tests.fakes.http_server --port 8083 --delay-ms 20`.
"""
from __future__ import annotations

import uuid

from tests.fakes.base import FakeProvider, standalone

NUMBER_KEYS = ("phoneNumbers", "to", "phone", "msisdn", "recipient", "recipients", "number")
TEXT_KEYS = ("message", "text", "body", "content", "sms")


def _find(payload: dict, keys):
    for key in keys:
        if key in payload:
            return payload[key]
    for value in payload.values():       # one level down: {"textMessage": {"text": …}}
        if isinstance(value, dict):
            found = _find(value, keys)
            if found is not None:
                return found
    return None


def _numbers(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return [n.strip() for n in str(value).split(",") if n.strip()]


class HttpGatewayFake(FakeProvider):
    """A generic SMS gateway."""

    name = "http"

    def __init__(self, *args, expect_headers: dict | None = None, response=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.expect_headers = {k.lower(): v for k, v in (expect_headers or {}).items()}
        self.response = response

    def route(self, request):
        if request.path.startswith("/_"):
            return None
        return self.send

    def send(self, request, request_no):
        for key, value in self.expect_headers.items():
            if request.headers.get(key) != value:
                return 401, {"message": "unauthorized"}, {}
        payload = request.json() if "json" in request.headers.get("content-type", "") else None
        if not isinstance(payload, dict):
            payload = {**{k: v[-1] for k, v in request.query.items()}, **request.form}
        numbers, text = _numbers(_find(payload, NUMBER_KEYS)), _find(payload, TEXT_KEYS)
        if not numbers or text is None:
            self._record(request_no, [], [], {"payload": payload, "path": request.path})
            return 400, {"message": "phone number and text are required"}, {}
        for number in numbers:
            status = self.fail_numbers.get(number)
            if status is not None:
                self._record(request_no, [], [(n, str(text), status) for n in numbers],
                             {"payload": payload, "path": request.path})
                return int(status), {"message": f"refused {status}"}, {}
        self._record(request_no, [(n, str(text)) for n in numbers], [],
                     {"payload": payload, "path": request.path, "headers": request.headers})
        if self.response is not None:
            status, body = self.response(numbers, str(text), request_no)
            return status, body, {}
        return 202, {"id": uuid.uuid4().hex[:21], "state": "Pending",
                     "recipients": [{"phoneNumber": n, "state": "Pending"} for n in numbers]}, {}


def main() -> None:
    """Serve the fake until interrupted."""
    standalone(HttpGatewayFake, __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
