"""The phone simulator: a feature phone in the browser that dials the real USSD endpoint.

Staff try the menus in every language without a handset. Each keypress is posted here and
forwarded, in-process but as its own request, to `POST /ussd/africastalking` with the callback
token added server-side (the token never reaches the browser). The phone's SMS inbox shows
what the fake channel sent to the simulated number.
"""
from __future__ import annotations

import contextvars

from flask import current_app, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import BadRequest

from gateway.console import bp
from gateway.console.helpers import check_csrf
from gateway.console.auth import NAV, login_required
from gateway.phone import InvalidNumber, normalize

DEFAULT_NUMBER = "+22790000001"
NAV.append(("console.simulator", _l("Simulator"), "staff"))


@bp.get("/simulator")
@login_required("staff")
def simulator():
    """The simulated phone."""
    fake = "fake" in current_app.extensions.get("channels", {})
    return render_template("console/simulator.html", short_code=current_app.config.get("USSD_SHORT_CODE"),
                           default_number=DEFAULT_NUMBER, fake_channel=fake,
                           sms_provider=current_app.config.get("SMS_PROVIDER"))


def _number() -> str:
    try:
        return normalize(request.values.get("phoneNumber", ""))
    except InvalidNumber as exc:
        raise BadRequest(f"phone number: {exc}") from None


@bp.post("/simulator/hop")
@login_required("staff")
def simulator_hop():
    """Forward one hop to the real USSD endpoint; answer its status and body as JSON."""
    check_csrf()
    form = {"sessionId": request.form.get("sessionId", ""), "phoneNumber": _number(),
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
