"""Local fake servers of the SMS providers' HTTP APIs (loopback only), for tests and benchmarks.

`fake_at`, `fake_twilio`, `fake_http` pytest fixtures live in `tests.fakes.fixtures`; each fake
also runs standalone (`python -m tests.fakes.at_server --port N --delay-ms 20`) and answers
`GET /_received` with per-number counts for benchmarks in other processes.
"""
from tests.fakes.at_server import AtFake
from tests.fakes.http_server import HttpGatewayFake
from tests.fakes.twilio_server import TwilioFake

__all__ = ["AtFake", "TwilioFake", "HttpGatewayFake"]
