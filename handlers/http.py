"""The generic HTTP channel: a local aggregator or an Android phone used as an SMS gateway,
connected by configuration (HTTP_CHANNEL_CONFIG, a JSON document; see docs/http-channel.md).

Outbound: one request per recipient, built from a template (URL, method, JSON / form / query
body, headers, basic auth). Inbound and status webhooks: field paths into a form or JSON body.
Callbacks are authenticated by `?token=` = HTTP_CALLBACK_TOKEN (constant-time compare).
"""
from __future__ import annotations

import json
import re
from typing import Any

import requests

from gateway.config import ConfigError
from handlers.auth import QueryToken
from handlers.base import Channel, InboundSMS, OutboundSMS, Route, SendResult, StatusUpdate, WebhookError

_PLACEHOLDER = re.compile(r"\{(to|text|from|id)\}")

DEFAULT_SEND = {"method": "POST", "format": "json", "headers": {}, "success_status": [200, 201, 202],
                "id_field": None, "timeout": 10,
                "body": {"to": "{to}", "text": "{text}", "from": "{from}", "id": "{id}"}}
DEFAULT_INBOUND = {"format": "form", "from": "from", "text": "text", "id": "id", "to": "to", "when": {}}
DEFAULT_STATUS = {"format": "form", "id": "id", "status": "status", "error": "error", "when": {},
                  "map": {"sent": "sent", "delivered": "delivered", "failed": "failed"}}
STATUSES = ("sent", "delivered", "failed")


def parse_config(raw: str | dict | None) -> dict:
    """Validate HTTP_CHANNEL_CONFIG and fill defaults. Raises ConfigError naming the problem."""
    if raw in (None, ""):
        document: dict = {}
    elif isinstance(raw, dict):
        document = raw
    else:
        try:
            document = json.loads(raw)
        except ValueError as exc:
            raise ConfigError(f"HTTP_CHANNEL_CONFIG is not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise ConfigError("HTTP_CHANNEL_CONFIG must be a JSON object")
    unknown = set(document) - {"send", "inbound", "status"}
    if unknown:
        raise ConfigError(f"HTTP_CHANNEL_CONFIG: unknown section(s) {', '.join(sorted(unknown))}")
    send = {**DEFAULT_SEND, **(document.get("send") or {})}
    inbound = {**DEFAULT_INBOUND, **(document.get("inbound") or {})}
    status = {**DEFAULT_STATUS, **(document.get("status") or {})}
    if document.get("send"):
        if not str(send.get("url", "")).startswith(("http://", "https://")):
            raise ConfigError("HTTP_CHANNEL_CONFIG: send.url must be an http(s) URL")
        if send["method"].upper() not in ("GET", "POST", "PUT"):
            raise ConfigError("HTTP_CHANNEL_CONFIG: send.method must be GET, POST or PUT")
        if send["format"] not in ("json", "form", "query"):
            raise ConfigError("HTTP_CHANNEL_CONFIG: send.format must be json, form or query")
    for name, section in (("inbound", inbound), ("status", status)):
        if section["format"] not in ("form", "json"):
            raise ConfigError(f"HTTP_CHANNEL_CONFIG: {name}.format must be form or json")
    bad = {v for v in status["map"].values() if v not in STATUSES}
    if bad:
        raise ConfigError(f"HTTP_CHANNEL_CONFIG: status.map values must be one of {', '.join(STATUSES)}")
    return {"send": send if document.get("send") else None, "inbound": inbound, "status": status}


def fill(template: Any, values: dict[str, str]) -> Any:
    """Replace {to} {text} {from} {id} in every string of a JSON-like template (single pass)."""
    if isinstance(template, str):
        return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), ""), template)
    if isinstance(template, list):
        return [fill(item, values) for item in template]
    if isinstance(template, dict):
        return {key: fill(value, values) for key, value in template.items()}
    return template


def dig(document: Any, path: str | None) -> Any:
    """The value at a dotted path (`payload.phoneNumber`, `messages.0.id`), or None."""
    if not path:
        return None
    value = document
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


class HttpChannel(Channel):
    """A configurable HTTP SMS gateway."""

    name = "http"
    title = "SMS gateway"
    routes = (
        Route("inbound", "/sms/http/inbound"),
        Route("status", "/sms/http/status"),
    )
    auth = QueryToken("HTTP_CALLBACK_TOKEN")
    production_settings = ("HTTP_CHANNEL_CONFIG",)
    max_batch = 1

    def __init__(self, config):
        super().__init__(config)
        self.settings = parse_config(config.get("HTTP_CHANNEL_CONFIG"))
        # The gateway's own words, from the configuration (docs/http-channel.md).
        self.status_map = self.settings["status"]["map"]
        send = self.settings["send"] or {}
        self.retry_statuses = frozenset(send["retry_status"]) if send.get("retry_status") else None
        self.session = requests.Session()

    def can_send(self) -> bool:
        return self.settings["send"] is not None

    # --- webhooks --------------------------------------------------------------------------
    def _payload(self, request, section: dict) -> dict:
        if section["format"] == "json":
            payload = request.get_json(silent=True)
            if not isinstance(payload, dict):
                raise WebhookError(400, "expected a JSON object")
            return payload
        # Form body, with query-string fields as a fallback (some gateways use GET-style URLs).
        return {**request.args.to_dict(), **request.form.to_dict()}

    @staticmethod
    def _wanted(payload: dict, section: dict) -> bool:
        return all(str(dig(payload, path)) == str(value) for path, value in section["when"].items())

    def parse_inbound(self, request) -> list[InboundSMS]:
        section = self.settings["inbound"]
        payload = self._payload(request, section)
        if not self._wanted(payload, section):
            return []
        sender, text, provider_id = (dig(payload, section[k]) for k in ("from", "text", "id"))
        missing = [section[k] for k, v in (("from", sender), ("id", provider_id)) if v in (None, "")]
        if text is None:
            missing.append(section["text"])
        if missing:
            raise WebhookError(400, f"missing field(s): {', '.join(missing)}")
        to = dig(payload, section.get("to"))
        return [InboundSMS(self.name, str(provider_id), str(sender), str(text),
                           recipient=str(to) if to else None)]

    def parse_status(self, request) -> list[StatusUpdate]:
        section = self.settings["status"]
        payload = self._payload(request, section)
        if not self._wanted(payload, section):
            return []
        provider_id, provider_status = dig(payload, section["id"]), dig(payload, section["status"])
        if provider_id in (None, "") or provider_status in (None, ""):
            raise WebhookError(400, f"missing field(s): {section['id']} and {section['status']} are required")
        provider_status = str(provider_status)
        error = dig(payload, section.get("error"))
        return [StatusUpdate(self.name, str(provider_id), self.our_status(provider_status), provider_status[:40],
                             error_code=str(error)[:40] if error else None,
                             failure_reason=str(error)[:200] if error else None)]

    # --- sending ---------------------------------------------------------------------------
    def send_request(self, text: str, chunk: list[OutboundSMS]) -> list[SendResult]:
        """One request per recipient, built from the `send` template."""
        [r] = chunk
        send = self.settings["send"]
        values = {"to": r.to, "text": text, "from": str(send.get("from") or ""), "id": str(r.key)}
        options: dict[str, Any] = {"headers": fill(send.get("headers") or {}, values),
                                   "timeout": send.get("timeout") or 10}
        if send.get("basic_auth"):
            options["auth"] = tuple(send["basic_auth"])
        body = fill(send.get("body"), values)
        if send["format"] == "json":
            options["json"] = body
        elif send["format"] == "form":
            options["data"] = body
        else:
            options["params"] = body
        response = self.session.request(send["method"].upper(), fill(send["url"], values), **options)
        if response.status_code not in send["success_status"]:
            raise self.send_error(http_status=response.status_code)
        provider_id = None
        if send.get("id_field"):
            try:
                provider_id = dig(response.json(), send["id_field"])
            except ValueError:
                provider_id = None
        # Without an id in the answer, our own message id is the reference the gateway's
        # status callbacks carry back (put {id} in the request, e.g. in a DLR URL).
        return [SendResult(r.key, r.to, True, provider_id=str(provider_id or r.key),
                           provider_status=str(response.status_code))]
