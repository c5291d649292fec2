"""gunicorn's settings file (read from the working directory, as the Procfile's `web` runs it).

It only guards start-up: gunicorn never serves the gateway on a network address while the
settings are development's public keys (GATEWAY_ENV unset, or SECRET_KEY/DATA_KEY left at the
values written in gateway/config.py). Binding, workers and logs stay on the Procfile's line.
"""
from gateway.config import ConfigError, check_bind, load_config


def on_starting(server):
    """Before binding: refuse development keys on anything but loopback, in one clear line."""
    try:
        check_bind(load_config().model_dump(), [_host(address) for address in server.cfg.bind])
    except ConfigError as exc:
        # SystemExit in the arbiter stops gunicorn with this line and no traceback.
        raise SystemExit(f"murya: configuration error: {exc}") from None


def _host(address: str) -> str:
    """The host of a gunicorn bind (`0.0.0.0:8000`, `[::1]:8000`, `unix:/run/murya.sock`)."""
    if address.startswith("unix:") or ":" not in address:
        return address
    return address.rsplit(":", 1)[0]
