"""Dynamic content of screens: lists (categories, places, activities, topics) and parameters.

Reference lists change rarely, so each process keeps them in memory for a short while
(USSD_REFERENCE_CACHE_SECONDS, default 60 s): most hops then touch no database at all.
Everything returned here is screen-ready: transliterated and cut to a declared length.
"""
from __future__ import annotations

import time
from typing import Callable, NamedTuple

from flask import current_app
from sqlalchemy import select

from gateway.extensions import db
from gateway.models import Activity, AdminArea, Category, Subscription, Topic
from gateway.services.activities import confirmed_count, open_activities
from gateway.timezone import NIGER
from menus.screens import LABEL_MAX, shorten
from menus.texts import to_screen

# Longest value of each `{parameter}` a text may use: the engine cuts values to this, and
# `menus check` renders every screen with values this long.
PARAM_MAX = {
    "reference": 10, "category": 30, "place": 28, "when": 20, "name": 36, "date": 11,
    "seats": 14, "topic": 30, "position": 4, "status": 32,
}


class Item(NamedTuple):
    """One entry of a dynamic list: the value stored when chosen, and its label."""

    value: str | int
    label: str


def _cached(name: str, loader: Callable[[], object], setting: str = "USSD_REFERENCE_CACHE_SECONDS"):
    """`loader()`'s result, kept per app for `setting` seconds (USSD_REFERENCE_CACHE_SECONDS)."""
    app = current_app._get_current_object()
    cache = app.extensions.setdefault("ussd_reference_cache", {})
    ttl = app.config[setting]
    hit = cache.get(name)
    now = time.monotonic()
    if hit is not None and now - hit[0] < ttl:
        return hit[1]
    value = loader()
    cache[name] = (now, value)
    return value


def clear_cache() -> None:
    """Forget cached reference lists (after an admin edit, or in tests)."""
    current_app.extensions.pop("ussd_reference_cache", None)


def _categories() -> list[tuple[str, dict]]:
    rows = db.session.scalars(select(Category).where(Category.active.is_(True)).order_by(Category.position))
    return [(c.code, dict(c.names or {})) for c in rows]


def _areas() -> dict:
    rows = db.session.scalars(select(AdminArea).where(AdminArea.level.in_((1, 2)))
                              .order_by(AdminArea.position, AdminArea.name))
    areas = {"regions": [], "departments": {}, "names": {}}
    for a in rows:
        areas["names"][a.pcode] = a.name
        if a.level == 1:
            areas["regions"].append(a.pcode)
        else:
            areas["departments"].setdefault(a.parent_pcode, []).append(a.pcode)
    for codes in areas["departments"].values():
        codes.sort(key=lambda p: areas["names"][p])
    return areas


def _topics() -> list[tuple[int, str, dict]]:
    rows = db.session.scalars(select(Topic).where(Topic.active.is_(True)).order_by(Topic.position))
    return [(t.id, t.code, dict(t.names or {})) for t in rows]


def _named(names: dict, language: str) -> str:
    return names.get(language) or names.get("fra") or ""


def label(text: str, limit: int = LABEL_MAX) -> str:
    """A dynamic label as shown: GSM-7 letters only, cut to `limit`."""
    return shorten(to_screen(text), limit)


def area_name(pcode: str | None) -> str:
    """An admin area's name by P-code (from the cached list)."""
    return _cached("areas", _areas)["names"].get(pcode or "", "")


def category_name(code: str | None, language: str) -> str:
    """A category's name in `language` (French when it has none)."""
    for c, names in _cached("categories", _categories):
        if c == code:
            return _named(names, language) or c
    return code or ""


def valid_category(code: str | None) -> bool:
    """True when `code` is an active category (as the cached list says)."""
    return any(c == code for c, _ in _cached("categories", _categories))


def valid_place(adm1: str | None, adm2: str | None) -> bool:
    """True when the region is known and the department (if any) lies in it (cached lists)."""
    areas = _cached("areas", _areas)
    if adm1 is not None and adm1 not in areas["regions"]:
        return False
    if adm2 is not None:
        return adm1 is not None and adm2 in areas["departments"].get(adm1, ())
    return True


def topic_name(topic_id, language: str) -> str | None:
    """An active topic's name in `language` (French, then its code, when missing); None if unknown."""
    for tid, code, names in _cached("topics", _topics):
        if tid == topic_id:
            return _named(names, language) or code
    return None


def categories(ctx) -> list[Item]:
    """Active report categories in their configured order."""
    return _cached(f"categories:{ctx.language}", lambda: [
        Item(code, label(_named(names, ctx.language) or code)) for code, names in _cached("categories", _categories)])


def regions(ctx) -> list[Item]:
    """Regions, the programme's first (Diffa, Tahoua, Tillabéri)."""
    areas = _cached("areas", _areas)
    return _cached("regions", lambda: [Item(p, label(areas["names"][p])) for p in areas["regions"]])


def departments(ctx) -> list[Item]:
    """Departments of the region chosen on the previous screen, alphabetically."""
    areas = _cached("areas", _areas)
    region = ctx.data.get("adm1")
    return _cached(f"departments:{region}", lambda: [
        Item(p, label(areas["names"][p])) for p in areas["departments"].get(region, [])])


def when(activity: Activity) -> str:
    """An activity's start as people say it: day/month and hour, Niger time."""
    return activity.starts_at.astimezone(NIGER).strftime("%d/%m %Hh%M")


# Lists that change (open activities, free seats) are kept only a few seconds per process
# (USSD_ACTIVITY_CACHE_SECONDS, default 5 s): a registration itself always checks the database.
ACTIVITY_CACHE = "USSD_ACTIVITY_CACHE_SECONDS"


def _open_activity_items(region: str | None, department: str | None) -> list[Item]:
    items = []
    for a in open_activities(region, department):
        date = a.starts_at.astimezone(NIGER).strftime("%d/%m")
        items.append(Item(a.id, f"{label(a.name, LABEL_MAX - len(date) - 1)} {date}"))
    return items


def activities(ctx) -> list[Item]:
    """Open activities for the person's region (their department's first), with their date."""
    region = ctx.data.get("adm1") or ctx.state.get("adm1")
    department = ctx.state.get("adm2") if ctx.state.get("adm1") == region else None
    return _cached(f"activities:{region}:{department}", lambda: _open_activity_items(region, department),
                   ACTIVITY_CACHE)


def topics(ctx) -> list[Item]:
    """Awareness topics in display order."""
    return _cached(f"topics:{ctx.language}", lambda: [
        Item(tid, label(_named(names, ctx.language) or code)) for tid, code, names in _cached("topics", _topics)])


SOURCES: dict[str, Callable] = {
    "categories": categories, "regions": regions, "departments": departments,
    "activities": activities, "topics": topics,
}


# --- Parameters of screen texts -----------------------------------------------------------------

def report_summary(ctx) -> dict:
    """What the report says, for the confirmation screen."""
    data = ctx.data
    place = area_name(data.get("adm2")) or area_name(data.get("adm1"))
    region = area_name(data.get("adm1"))
    if region and place != region:
        place = f"{place} ({region})"
    occurred = data.get("occurred")
    return {"category": category_name(data.get("category"), ctx.language), "place": place,
            "when": ctx.texts.get(f"ussd.report.when.{occurred}", ctx.language) if occurred else ""}


def activity_detail(ctx) -> dict:
    """Name, date, place and free seats of the chosen activity."""
    activity_id = ctx.data.get("activity")
    detail = _cached(f"activity:{activity_id}", lambda: _activity_detail(activity_id), ACTIVITY_CACHE)
    if detail is None:
        return {"name": "", "date": "", "place": "", "seats": ""}
    seats = detail["seats"]
    if seats is None:
        seats = ctx.texts.get("ussd.activities.unlimited", ctx.language)
    return {**detail, "seats": seats}


def _activity_detail(activity_id) -> dict | None:
    """An activity's name, date, place and free seats (None: unlimited); None when unknown."""
    activity = db.session.get(Activity, activity_id) if activity_id is not None else None
    if activity is None:
        return None
    seats = str(max(activity.capacity - confirmed_count(activity), 0)) if activity.capacity else None
    return {"name": activity.name, "date": when(activity), "place": activity.place or "", "seats": seats}


def topic_status(ctx) -> dict:
    """The chosen topic (cached list) and whether the person follows it (one small query)."""
    name = topic_name(ctx.data.get("topic"), ctx.language)
    if name is None:
        return {"topic": "", "status": ""}
    following = ctx.state.get("contact_id") is not None and db.session.scalar(select(Subscription.id).where(
        Subscription.contact_id == ctx.state["contact_id"], Subscription.topic_id == ctx.data["topic"])) is not None
    key = "ussd.topics.status_on" if following else "ussd.topics.status_off"
    return {"topic": name, "status": ctx.texts.get(key, ctx.language)}


PARAMS: dict[str, Callable] = {
    "report_summary": report_summary, "activity_detail": activity_detail, "topic_status": topic_status,
}
# Catalog texts a parameter provider shows, so `menus check` knows they are needed.
PARAM_TEXT_KEYS: dict[str, tuple[str, ...]] = {
    "report_summary": tuple(f"ussd.report.when.{w}" for w in ("today", "yesterday", "this_week", "earlier")),
    "activity_detail": ("ussd.activities.unlimited",),
    "topic_status": ("ussd.topics.status_on", "ussd.topics.status_off"),
}


def screen_params(values: dict) -> dict:
    """Parameter values made screen-ready: folded to GSM-7 and cut to PARAM_MAX."""
    return {k: shorten(to_screen(str(v)), PARAM_MAX.get(k, 30)) for k, v in values.items()}
