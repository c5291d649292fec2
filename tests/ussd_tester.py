"""A scripted USSD phone, in the style of Vumi's AppTester: dial, type, check each screen.

    phone = UssdTester(client, "+22790000001")
    phone.dial().expect("Langue")
    phone.send("3").expect("Bienvenue")

It speaks Africa's Talking's protocol to the real endpoint (form fields, `text` accumulating
with `*`), and checks on every screen what every screen must be: HTTP 200, `text/plain`,
`CON `/`END `, at most 160 characters, GSM-7 only.
"""
from __future__ import annotations

import itertools
import re

from gateway.services.encoding import GSM7_BASIC

MAX_SCREEN = 160
_ids = itertools.count(1)


def check_screen(body: str) -> None:
    """Assert a screen is what every handset can show."""
    assert body.startswith(("CON ", "END ")), body
    screen = body[4:]
    assert len(screen) <= MAX_SCREEN, f"{len(screen)} characters: {screen!r}"
    bad = sorted({ch for ch in screen if ch not in GSM7_BASIC})
    assert not bad, f"not GSM-7: {bad} in {screen!r}"
    assert screen.strip(), "blank screen"


class UssdTester:
    """One phone dialling the short code; `send` types one input."""

    def __init__(self, client, phone: str = "+22790000001", *, token: str | None = None,
                 session_id: str | None = None, service_code: str = "*384*1010#"):
        self.client, self.phone, self.token = client, phone, token
        self.service_code = service_code
        self.session_id = session_id or f"ATUid_test_{next(_ids)}"
        self.inputs: list[str] = []
        self.screens: list[str] = []
        self.last = ""
        self.ended = False

    @property
    def text(self) -> str:
        """What Africa's Talking would send as `text`: every input so far joined with `*`."""
        return "*".join(self.inputs)

    @property
    def screen(self) -> str:
        """The last screen without its CON/END prefix."""
        return self.last[4:]

    def _url(self) -> str:
        return "/ussd/africastalking" + (f"?token={self.token}" if self.token else "")

    def post(self, text: str):
        """Send one raw hop with this `text`; returns the response (screen checked)."""
        response = self.client.post(self._url(), data={
            "sessionId": self.session_id, "serviceCode": self.service_code,
            "phoneNumber": self.phone, "networkCode": "99999", "text": text})
        assert response.status_code == 200, (response.status_code, response.get_data(as_text=True))
        assert response.mimetype == "text/plain"
        body = response.get_data(as_text=True)
        check_screen(body)
        self.last = body
        self.screens.append(body)
        self.ended = body.startswith("END ")
        return response

    def dial(self) -> "UssdTester":
        """The first hop of the session (`text` is empty)."""
        assert not self.inputs, "already dialled"
        self.post("")
        return self

    def send(self, *inputs: str) -> "UssdTester":
        """Type each input in turn (one hop each)."""
        for value in inputs:
            assert not self.ended, f"session ended: {self.last!r}"
            self.inputs.append(value)
            self.post(self.text)
        return self

    def retry(self) -> "UssdTester":
        """Replay the last hop exactly, as a provider does after a timeout."""
        before = self.last
        self.post(self.text)
        assert self.last == before, (before, self.last)
        return self

    def expect(self, *fragments: str, end: bool | None = None) -> "UssdTester":
        """Assert the screen contains each fragment (case-insensitive) and, if given, CON/END."""
        for fragment in fragments:
            assert fragment.lower() in self.screen.lower(), f"{fragment!r} not in {self.screen!r}"
        if end is not None:
            assert self.ended == end, self.last
        return self

    def option(self, label: str) -> str:
        """The number shown before `label` on this screen (case-insensitive prefix match)."""
        for line in self.screen.splitlines():
            match = re.match(r"^(\d+)\. (.*)$", line)
            if match and match.group(2).lower().startswith(label.lower()):
                return match.group(1)
        raise AssertionError(f"no option {label!r} on {self.screen!r}")

    def choose(self, label: str) -> "UssdTester":
        """Pick the option whose label starts with `label`, paging with 98 until it shows."""
        for _ in range(20):
            try:
                return self.send(self.option(label))
            except AssertionError:
                if "\n98. " not in self.screen:
                    raise
                self.send("98")
        raise AssertionError(f"{label!r} never shown")

    def options(self) -> list[str]:
        """The item numbers offered on this screen (not `98`, the next page)."""
        matches = (re.match(r"^(\d+)\. ", line) for line in self.screen.splitlines())
        return [m.group(1) for m in matches if m and m.group(1) != "98"]


LANGUAGE_CHOICES = {"hau": "Hausa", "dje": "Zarma", "fra": "Francais", "fuv": "Fulfulde",
                    "knc": "Kanuri", "taq": "Tamajaq"}
_numbers = itertools.count(1)


def new_number() -> str:
    """A fresh valid Niger mobile number."""
    return f"+22796{next(_numbers):06d}"


try:
    import pytest

    @pytest.fixture
    def ussd(app, client):
        """`ussd(language=None, phone=None, token=None)`: a dialled phone, at the main menu in
        `language` when one is given (chosen on the first-dial language screen)."""

        def make(language: str | None = None, phone: str | None = None, token: str | None = None) -> UssdTester:
            tester = UssdTester(client, phone or new_number(), token=token)
            tester.dial()
            if language:
                tester.expect("Langue").choose(LANGUAGE_CHOICES[language])
            return tester
        return make
except ImportError:  # pragma: no cover - used outside pytest
    pass
