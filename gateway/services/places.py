"""Administrative places by P-code. Both `NE…` (COD-AB) and `NER…` (HNRP) forms are accepted."""
from __future__ import annotations

import re

from sqlalchemy import select

from gateway.extensions import db
from gateway.models import AdminArea

_PCODE = re.compile(r"^NER?(\d{3}(?:\d{3}){0,2})$", re.IGNORECASE)


class InvalidPcode(ValueError):
    """Not a Niger P-code of the expected form or level."""


def canonical_pcode(code: str) -> str:
    """`NER006011` / `ne006011` → `NE006011`. Raises InvalidPcode."""
    match = _PCODE.match((code or "").strip())
    if not match:
        raise InvalidPcode(f"{code!r} is not a Niger P-code (NE + 3, 6 or 9 digits)")
    return "NE" + match.group(1)


def regions() -> list[AdminArea]:
    """Regions, programme regions first."""
    return list(db.session.scalars(select(AdminArea).where(AdminArea.level == 1).order_by(AdminArea.position)))


def departments(region_pcode: str) -> list[AdminArea]:
    """Departments of a region, alphabetically."""
    return list(db.session.scalars(select(AdminArea).where(
        AdminArea.level == 2, AdminArea.parent_pcode == region_pcode).order_by(AdminArea.name)))


def resolve(code: str | None, level: int | None = None) -> AdminArea | None:
    """The area for a P-code in either form, checked against `level`; None for empty input."""
    if not code:
        return None
    area = db.session.get(AdminArea, canonical_pcode(code))
    if area is None:
        raise InvalidPcode(f"unknown P-code {code!r}")
    if level is not None and area.level != level:
        raise InvalidPcode(f"{code!r} is not an admin level {level} P-code")
    return area
