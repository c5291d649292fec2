"""The phone simulator: a feature phone in the browser that dials the real USSD endpoint.

Staff try the menus in every language without a handset. Each keypress is posted here and
forwarded, in-process but as its own request, to `POST /ussd/africastalking` with the callback
token added server-side (the token never reaches the browser). The phone's SMS inbox shows
what the fake channel sent to the simulated number.

Outside production the number is free (try any language, any new contact). In production the
simulator dials only as the reserved test numbers of SIMULATOR_NUMBERS (none set: no simulator),
so a staff member never opens a real person's session or unfinished report draft; and in every
environment the session id is namespaced per staff member, so no hop joins a provider's session.
"""
from __future__ import annotations

import contextvars

from flask import abort, current_app, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import BadRequest, Forbidden

from gateway.console import bp
from gateway.console.helpers import check_csrf
from gateway.console.auth import NAV, login_required
from gateway.phone import InvalidNumber, normalize

DEFAULT_NUMBER = "+22790000001"
NAV.append(("console.simulator", _l("Simulator"), "staff"))


MAX_SESSION_PART = 60      # the browser's part of the session id (the whole fits ussd_sessions)


def test_numbers() -> list[str] | None:
    """The numbers the simulator may dial as: None (any) outside production, else SIMULATOR_NUMBERS;
    no simulator at all in production without them (404)."""
    if current_app.config.get("GATEWAY_ENV") != "production":
        return None
    numbers = current_app.config.get("SIMULATOR_NUMBERS") or []
    if not numbers:
        abort(404)
    return numbers


@bp.get("/simulator")
@login_required("staff")
def simulator():
    """The simulated phone."""
    fake = "fake" in current_app.extensions.get("channels", {})
    numbers = test_numbers()
    return render_template("console/simulator.html", short_code=current_app.config.get("USSD_SHORT_CODE"),
                           default_number=numbers[0] if numbers else DEFAULT_NUMBER, test_numbers=numbers,
                           fake_channel=fake, sms_provider=current_app.config.get("SMS_PROVIDER"))


def _number() -> str:
    allowed = test_numbers()
    try:
        number = normalize(request.values.get("phoneNumber", ""))
    except InvalidNumber as exc:
        raise BadRequest(f"phone number: {exc}") from None
    if allowed is not None and number not in allowed:
        raise Forbidden(_("In production the simulator dials only as the reserved test numbers."))
    return number


def _session_id() -> str:
    """The hop's session id: the browser's, inside this staff member's own namespace."""
    given = request.form.get("sessionId", "").strip()[:MAX_SESSION_PART]
    if not given:
        raise BadRequest("sessionId is required")
    return f"simulator-{g.actor}-{given}"


@bp.post("/simulator/hop")
@login_required("staff")
def simulator_hop():
    """Forward one hop to the real USSD endpoint; answer its status and body as JSON."""
    check_csrf()
    form = {"sessionId": _session_id(), "phoneNumber": _number(),
            "serviceCode": current_app.config.get("USSD_SHORT_CODE") or "",
            "networkCode": "simulator", "text": request.form.get("text", "")}
    token = current_app.config.get("AT_CALLBACK_TOKEN")
    url = "/ussd/africastalking" + (f"?token={token}" if token else "")
    client = current_app.test_client()
    # A fresh context: the hop runs exactly as a provider's request would, with its own session.
    response = contextvars.Context().run(client.post, url, data=form)
    return jsonify(status=response.status_code, body=response.get_data(as_text=True))


@bp.get("/simulator/inbox")
@login_required("staff")
def simulator_inbox():
    """What the fake channel sent to the simulated number, oldest first."""
    number = _number()
    channel = current_app.extensions.get("channels", {}).get("fake")
    messages = channel.outbox(number) if channel is not None else []
    return jsonify(messages=[{"id": m["id"], "text": m["text"]} for m in messages])
