"""The shared machinery of the fake provider servers: a threaded HTTP server on 127.0.0.1.

Each fake answers like the provider's HTTP API and records every recipient it accepted, so a
test (or a benchmark in another process, through `GET /_received`) can check that nothing was
lost or sent twice. Failure injection:

- `fail_numbers[number] = code`: that recipient is refused with the provider's own code;
- `fail_next(n, status)`: the next `n` send requests answer HTTP `status` (500, 429, …), or
  hang and close without an answer when `status="timeout"`, or close at once with `"drop"`.
"""
from __future__ import annotations

import argparse
import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


def _pause(seconds: float) -> None:
    """A timed Event wait: time.sleep fails with EINVAL under CI's libfaketime."""
    threading.Event().wait(seconds)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256


class FakeProvider:
    """Base of every fake: start/stop, latency, failure injection and the receipt log."""

    #: name used in logs and the standalone command
    name = "fake"

    def __init__(self, host: str = "127.0.0.1", port: int = 0, delay_ms: float = 0,
                 hang_seconds: float = 3.0):
        self.delay_ms = delay_ms
        self.hang_seconds = hang_seconds
        self.fail_numbers: dict[str, object] = {}
        self.received: list[tuple[str, str, int]] = []   # (number, message, request_no), accepted
        self.refused: list[tuple[str, str, int, object]] = []  # (number, message, request_no, code)
        self.requests: list[dict] = []                   # every send request, raw
        self._failures: list[object] = []
        self._lock = threading.Lock()
        self._request_no = 0
        self._thread: threading.Thread | None = None
        provider = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet: tests and benchmarks read the log instead
                pass

            def do_GET(self):  # noqa: N802 - http.server's name
                provider._dispatch(self, "GET")

            def do_POST(self):  # noqa: N802
                provider._dispatch(self, "POST")

            def do_PUT(self):  # noqa: N802
                provider._dispatch(self, "PUT")

        self._server = _Server((host, port), Handler)

    # --- lifecycle ------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """Base URL of the fake, e.g. http://127.0.0.1:PORT (no trailing slash)."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "FakeProvider":
        """Serve in a daemon thread."""
        # A short poll interval: shutdown() waits for it, and tests start and stop many fakes.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        name=f"fake-{self.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # --- test helpers -----------------------------------------------------------------------
    def fail_next(self, count: int = 1, status: int | str = 500) -> None:
        """The next `count` send requests fail with HTTP `status`, or "timeout" / "drop"."""
        with self._lock:
            self._failures.extend([status] * count)

    def fail_number(self, number: str, code) -> None:
        """Refuse `number` with the provider's per-recipient `code` from now on."""
        with self._lock:
            self.fail_numbers[number] = code

    def reset(self) -> None:
        """Forget receipts and injected failures."""
        with self._lock:
            self.received.clear()
            self.refused.clear()
            self.requests.clear()
            self._failures.clear()
            self.fail_numbers.clear()
            self._request_no = 0

    def counts(self) -> Counter:
        """How many times each number was accepted."""
        with self._lock:
            return Counter(number for number, _, _ in self.received)

    def count(self, number: str) -> int:
        """How many times `number` was accepted."""
        return self.counts()[number]

    def messages_to(self, number: str) -> list[str]:
        """Texts accepted for `number`, oldest first."""
        with self._lock:
            return [message for n, message, _ in self.received if n == number]

    def wait_for(self, total: int, timeout: float = 10) -> bool:
        """Block until at least `total` recipients were accepted (for asynchronous senders)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.received) >= total:
                return True
            _pause(0.01)
        return False

    def summary(self) -> dict:
        """What `GET /_received` answers."""
        with self._lock:
            counts = Counter(number for number, _, _ in self.received)
            return {"requests": self._request_no, "recipients": len(self.received),
                    "refused": len(self.refused), "counts": dict(counts)}

    # --- request handling -------------------------------------------------------------------
    def _next_request(self) -> tuple[int, object | None]:
        with self._lock:
            self._request_no += 1
            failure = self._failures.pop(0) if self._failures else None
            return self._request_no, failure

    def _record(self, request_no: int, accepted: list[tuple[str, str]],
                refused: list[tuple[str, str, object]], raw: dict) -> None:
        with self._lock:
            self.requests.append(raw)
            self.received.extend((n, m, request_no) for n, m in accepted)
            self.refused.extend((n, m, request_no, code) for n, m, code in refused)

    def _dispatch(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        if parts.path == "/_received" and method == "GET":
            return self._respond(handler, 200, self.summary())
        if parts.path == "/_reset" and method == "POST":
            self.reset()
            return self._respond(handler, 200, {"ok": True})
        if parts.path == "/_fail_next" and method == "POST":
            query = parse_qs(parts.query)
            status = query.get("status", ["500"])[0]
            self.fail_next(int(query.get("count", ["1"])[0]), int(status) if status.isdigit() else status)
            return self._respond(handler, 200, {"ok": True})
        request = _Request(method, parts.path, parse_qs(parts.query, keep_blank_values=True),
                           dict(handler.headers), body)
        route = self.route(request)
        if route is None:
            return self._respond(handler, 404, {"error": "not found"})
        request_no, failure = self._next_request()
        if self.delay_ms:
            _pause(self.delay_ms / 1000)
        if failure == "timeout":
            _pause(self.hang_seconds)
            handler.close_connection = True
            return None
        if failure == "drop":
            handler.close_connection = True
            return None
        if failure is not None:
            return self._respond(handler, int(failure), self.error_body(int(failure)))
        status, payload, headers = route(request, request_no)
        return self._respond(handler, status, payload, headers)

    def _respond(self, handler, status: int, payload, headers: dict | None = None) -> None:
        headers = dict(headers or {})
        if isinstance(payload, (dict, list)):
            data = json.dumps(payload).encode()
            # Exactly "application/json": the Africa's Talking SDK parses JSON only then.
            headers.setdefault("Content-Type", "application/json")
        else:
            data = (payload or "").encode() if isinstance(payload, str) else (payload or b"")
            headers.setdefault("Content-Type", "text/plain; charset=utf-8")
        handler.send_response(status)
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    # --- what each provider implements --------------------------------------------------------
    def route(self, request: "_Request"):
        """The callable answering `request` (request, request_no) -> (status, payload, headers)."""
        raise NotImplementedError

    def error_body(self, status: int):
        """The body of an injected HTTP failure."""
        return {"error": f"injected failure {status}"}


class _Request:
    """A parsed incoming request."""

    def __init__(self, method: str, path: str, query: dict, headers: dict, body: bytes):
        self.method, self.path, self.query, self.body = method, path, query, body
        self.headers = {k.lower(): v for k, v in headers.items()}

    @property
    def form(self) -> dict[str, str]:
        """Form fields (last value wins), from the body."""
        parsed = parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)
        return {k: v[-1] for k, v in parsed.items()}

    def json(self):
        """The JSON body, or None."""
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None


def standalone(factory, description: str) -> None:
    """`python -m tests.fakes.<x>_server --port N --delay-ms 20`: serve until interrupted."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay-ms", type=float, default=0)
    parser.add_argument("--fail-number", action="append", default=[], metavar="NUMBER:CODE",
                        help="refuse NUMBER with the provider's CODE (repeatable)")
    args = parser.parse_args()
    server = factory(port=args.port, delay_ms=args.delay_ms)
    for item in args.fail_number:
        number, _, code = item.rpartition(":")
        server.fail_number(number, int(code) if code.isdigit() else code)
    print(f"{server.name} fake listening on {server.url}", flush=True)
    try:
        server._server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server._server.server_close()
