"""What the window shows, briefly, for a message that says what came instead."""

from __future__ import annotations

import re

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page

__all__ = ["describe", "first_line"]


_SHOWN_ROLES = {
    "heading": "headings", "button": "buttons", "link": "links", "tab": "tabs",
    "textbox": "fields", "combobox": "fields", "listbox": "fields", "checkbox": "fields",
    "radio": "fields", "alert": "alerts", "status": "alerts", "dialog": "dialogs",
    "table": "tables", "grid": "tables",
}
_ORDER = ("headings", "alerts", "dialogs", "fields", "buttons", "tabs", "tables", "links")
_LINE = re.compile(r'^\s*-\s+(?P<role>[a-z]+)(?:\s+"(?P<name>(?:[^"\\]|\\.)*)")?(?P<rest>.*)$')


async def describe(page: Page, *, limit: int = 6) -> str:
    """What the window shows, briefly: title, headings, alerts, dialogs, fields, buttons.

    Taken from the accessibility tree, frames included, as a screen reader would read it.
    Never the values of fields (a password may be in one).
    """
    try:
        title = (await page.title()).strip()
        snapshot = await page.aria_snapshot(mode="ai", timeout=5000)
    except PlaywrightError as err:
        return f"nothing that can be read ({first_line(err)})"
    found: dict[str, list[str]] = {kind: [] for kind in _ORDER}
    for line in snapshot.splitlines():
        match = _LINE.match(line)
        if not match:
            continue
        kind = _SHOWN_ROLES.get(match["role"])
        if kind is None:
            continue
        name = (match["name"] or "").replace('\\"', '"').strip()
        if kind == "alerts" and not name:
            rest = match["rest"].split(":", 1)
            name = rest[1].strip().strip('"') if len(rest) > 1 else ""
        if match["role"] in ("textbox", "combobox"):
            name = name or match["role"]
        if not name or name in found[kind]:
            continue
        found[kind].append(name)
    parts = [f'title "{title}"'] if title else []
    for kind in _ORDER:
        names = found[kind]
        if names:
            shown = ", ".join(f'"{_short(n)}"' for n in names[:limit])
            more = f" and {len(names) - limit} more" if len(names) > limit else ""
            parts.append(f"{kind} {shown}{more}")
    return "; ".join(parts) if parts else "an empty page"


def _short(text: str, size: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= size else text[: size - 1] + "…"


def first_line(err: BaseException) -> str:
    text = str(getattr(err, "message", None) or err).strip()
    return text.splitlines()[0] if text else type(err).__name__


