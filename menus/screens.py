"""Laying out a USSD screen: at most 160 characters, long lists split into pages (`98` more).

The engine and the validator both render through `layout`, so what `menus check` measures is
exactly what a phone receives.
"""
from __future__ import annotations

from dataclasses import dataclass

MAX_SCREEN = 160          # 182 is the USSD protocol's cap; many networks cut earlier
LABEL_MAX = 44            # one dynamic list item (activity, department …) before numbering
MIN_ITEM = 14             # room always kept for at least one item after the header
MORE = "98"


def shorten(text: str, limit: int) -> str:
    """Cut `text` to `limit` characters on a word boundary when one is near, else hard."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    if space >= limit * 2 // 3:
        cut = cut[:space]
    return cut.rstrip(" ,;:-/")


@dataclass(frozen=True)
class Page:
    """One rendered screen of a (possibly paginated) list."""

    text: str
    page: int
    pages: int


def numbered(labels: list[str]) -> list[str]:
    """`1. Label` lines, numbered across every page so a number means one thing."""
    return [f"{i}. {label}" for i, label in enumerate(labels, start=1)]


def _split(header: str, lines: list[str], more: str, nav: str | None) -> list[tuple[int, int, list[str]]]:
    base = len(header) + (len(nav) + 1 if nav else 0)
    more_cost = len(more) + 1
    pages, i, n = [], 0, len(lines)
    while i < n:
        start, size, shown = i, base, []
        while i < n:
            line = lines[i]
            tail = more_cost if i + 1 < n else 0
            if size + len(line) + 1 + tail <= MAX_SCREEN:
                shown.append(line)
                size += len(line) + 1
                i += 1
                continue
            if not shown:   # a single item too long for any page: cut it to fit
                room = MAX_SCREEN - size - 1 - tail
                shown.append(shorten(line, max(room, 1)))
                i += 1
            break
        pages.append((start, i, shown))
    return pages or [(0, 0, [])]


def layout(header: str, lines: list[str], *, more_label: str, nav: str | None, page: int = 0,
           error: str | None = None) -> Page:
    """The screen for `page` of `lines` under `header`, with the `98` line and the nav footer.

    `error` (a short "invalid choice" text) goes first. The header is cut if it would leave no
    room for an item, so the result is always at most MAX_SCREEN characters.
    """
    if error:
        header = f"{error}\n{header}" if header else error
    more = f"{MORE}. {more_label}"
    room_for_header = MAX_SCREEN - (len(nav) + 1 if nav else 0) - (len(more) + 1 if len(lines) > 1 else 0) \
        - (MIN_ITEM + 1 if lines else 0)
    if len(header) > room_for_header:
        header = header[:max(room_for_header, 0)].rstrip()
    pages = _split(header, lines, more, nav)
    page = max(0, min(page, len(pages) - 1))
    _, end, shown = pages[page]
    parts = [header] if header else []
    parts.extend(shown)
    if end < len(lines):
        parts.append(more)
    if nav:
        parts.append(nav)
    text = "\n".join(parts)
    return Page(text=text[:MAX_SCREEN], page=page, pages=len(pages))


def end_screen(text: str) -> str:
    """A closing screen: cut to MAX_SCREEN."""
    return text if len(text) <= MAX_SCREEN else shorten(text, MAX_SCREEN)
