"""The phone simulator in a real browser: dial, type on the keypad, read the SMS inbox."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_staff_dial_the_short_code_and_report_in_hausa(page, console_login, live_server, seeded, drain):
    console_login("staff")
    page.click("header.top nav >> text=Simulateur")
    page.wait_for_url("**/console/simulator")
    page.fill("#sim-number", "+22790000888")
    page.click("#sim-dial")
    page.wait_for_function("document.querySelector('#sim-screen').textContent.includes('Hausa')")

    def press(*keys):
        for key in keys:
            page.fill("#sim-input", key) if len(key) > 1 else page.click(f".key[data-key='{key}']")
        before = page.inner_text("#sim-screen")
        page.press("#sim-input", "Enter")
        page.wait_for_function("(b) => document.querySelector('#sim-screen').textContent !== b", arg=before)
        return page.inner_text("#sim-screen")

    assert "Barka da zuwa Murya" in press("1")
    assert "Me ke faruwa" in press("1")
    press("3")                                           # livestock theft
    press("1")                                           # Diffa
    press("2")                                           # Diffa department
    press("1")                                           # today
    press("3")                                           # not urgent
    press("Shanu uku*an sace su")                        # free text with a star
    press("2")                                           # not anonymous
    final = press("1")
    assert "Lamba: R-" in final
    assert page.inner_text("#sim-state") == "session terminée"
    assert int(page.inner_text("#sim-count").split("/")[0]) <= 160
    drain()
    page.wait_for_function("document.querySelectorAll('#sim-inbox li').length === 1", timeout=8000)
    assert final.split("Lamba: ")[1][:8] in page.inner_text("#sim-inbox")
