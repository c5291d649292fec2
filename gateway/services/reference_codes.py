"""Short human references for reports and tickets, easy to read out over the phone."""
from __future__ import annotations

import secrets

ALPHABET = "ACDEFHJKLMNPRTUVWXY34679"   # no look-alikes (0/O, 1/I, 5/S, 8/B, 2/Z)


def new_reference(prefix: str = "R", length: int = 6) -> str:
    """A random reference like `R-K7MX4P`; callers retry on the rare unique-constraint clash."""
    return f"{prefix}-" + "".join(secrets.choice(ALPHABET) for _ in range(length))
