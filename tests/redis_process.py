"""A private redis-server a test can stop and start again on the same port (Redis "down")."""
from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest

from bench.services import free_port, server_env
from gateway.queue import pause


def _wait_for_port(port: int, timeout: float) -> None:
    """Block until something accepts connections on `port`: on the monotonic clock, which a
    test's frozen wall clock (the `clock` fixture) does not stop."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        pause(0.02)
    raise TimeoutError(f"redis-server not listening on port {port} after {timeout}s")


class RedisProcess:
    """A throw-away redis-server without persistence: `stop()` kills it (SIGKILL), `start()`
    brings it back empty on the same port, as a Redis restarted without its data would be."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        """Start the server (empty) and wait until it accepts connections."""
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                                      "--save", "", "--appendonly", "no"],
                                     stdout=subprocess.DEVNULL, env=server_env())
        _wait_for_port(self.port, timeout=10)

    def stop(self) -> None:
        """Kill the server, as a crash would."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()          # SIGKILL cannot be ignored: no timeout needed
        self.proc = None


@pytest.fixture
def private_redis():
    """A private redis-server for tests that kill it; skipped without redis-server."""
    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server")
    server = RedisProcess()
    server.start()
    try:
        yield server
    finally:
        server.stop()
