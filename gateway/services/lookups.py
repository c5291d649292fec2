"""Read-only lookups of reference data by code, for screens that name what they show."""
from __future__ import annotations

from sqlalchemy import select

from gateway.extensions import db
from gateway.models import Activity, AdminArea, Category, Topic


def area_names() -> dict[str, str]:
    """{P-code: name} of every region and department."""
    return dict(db.session.execute(select(AdminArea.pcode, AdminArea.name)).all())


def categories() -> dict[str, Category]:
    """{code: category} of every report category, active or not (old reports keep theirs)."""
    return {c.code: c for c in db.session.scalars(select(Category))}


def topic_names() -> dict[str, dict]:
    """{code: names per language} of every awareness topic."""
    return dict(db.session.execute(select(Topic.code, Topic.names)).all())


def department_regions() -> dict[str, str]:
    """{department P-code: its region's P-code}."""
    return dict(db.session.execute(select(AdminArea.pcode, AdminArea.parent_pcode)
                                   .where(AdminArea.level == 2)).all())


def activity_names(codes: list[str]) -> dict[str, str]:
    """{code: name} of the activities with these codes."""
    if not codes:
        return {}
    return dict(db.session.execute(select(Activity.code, Activity.name).where(Activity.code.in_(codes))).all())
