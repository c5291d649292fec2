"""Numbered pages of a SELECT, for the console's lists (the API pages by cursor instead)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from gateway.extensions import db

PER_PAGE = 50


@dataclass
class Page:
    """One page of rows and where it sits in the whole list."""

    items: list
    total: int
    number: int
    per_page: int

    @property
    def pages(self) -> int:
        """How many pages there are (at least one)."""
        return max(1, -(-self.total // self.per_page))


def paginate(stmt, order_by: tuple, number: int = 1, per_page: int = PER_PAGE, scalars: bool = True) -> Page:
    """Page `number` (from 1, clamped to the last page) of `stmt` in `order_by` order."""
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    number = max(1, min(number or 1, max(1, -(-total // per_page))))
    query = stmt.order_by(*order_by).offset((number - 1) * per_page).limit(per_page)
    rows = db.session.scalars(query) if scalars else db.session.execute(query)
    return Page(list(rows), total, number, per_page)
