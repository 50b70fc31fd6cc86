"""How a person finds a thing on a page, written once for the flows and the pytest kit.

A :class:`Spec` says what to look for in the words of :mod:`flows.words` and the roles every
accessible page has: a button named SEARCH, a field labelled SSID, the table whose column
headers include "Test Program", the dialog called "Select Condition Code". :func:`build`
turns it into a Playwright locator; the locator methods are the same in Playwright's async and
sync APIs, so the flows (async) and the kit in :mod:`flows.testing` (sync) share every
definition and differ only in how they call it (:func:`locate`, :func:`locate_sync`).

Nothing here names a frame, id, class, caption or option value of any one build of the portal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, cast

from playwright import async_api, sync_api

from flows import words

__all__ = [
    "BUSY", "Spec", "build", "cell_with", "content_frame",
    "content_frame_sync", "locate", "locate_sync", "row_with", "row_with_sync",
]

Kind = Literal["role", "label", "text", "table", "dialog"]

# The one generic selector the flows use besides roles: a region that says it is loading.
BUSY = "[aria-busy=true]"
# Each role looked for is a walk of the page in the browser: only the ones a field may have.
TEXT_ROLES = ("textbox", "searchbox")
CHOICE_ROLES = ("combobox", "listbox")


@dataclass(frozen=True)
class Spec:
    """One thing a person looks for, and what to call it in a message.

    Attributes:
        what: How a message names it, e.g. 'the "SEARCH" button'.
        key: The word list entry whose wordings name it.
        kind: By role and name, by label, by text, a table by its column header, a dialog.
        roles: The roles it may have, preferred first (a tab may be a link).
        enabled: Only an enabled one (``disabled`` and ``aria-disabled`` both count).
        within: A container it must be inside (a dialog's SAVE).
        outside_dialogs: Not inside any dialog (the page's own SAVE): kept to when it is
            pressed (:func:`flows.pages.base.press`), where it costs nothing.
    """

    what: str
    key: str
    kind: Kind = "role"
    roles: tuple[str, ...] = ()
    enabled: bool = False
    within: Spec | None = None
    outside_dialogs: bool = False

    @property
    def described(self) -> str:
        """``what``, with the roles and words looked for, for messages."""
        roles = " or ".join(self.roles) if self.roles else self.kind
        shown = " / ".join(f'"{w}"' for w in words.texts(self.key)[:4])
        more = ", ..." if len(words.texts(self.key)) > 4 else ""
        return f"{self.what} ({roles} {shown}{more})"

    # Constructors for the usual kinds, so that definitions read as the guide does.
    @classmethod
    def button(cls, what: str, key: str, **kw: Any) -> Spec:
        """A button, found only when it can be pressed."""
        return cls(what, key, roles=("button",), enabled=True, **kw)

    @classmethod
    def go(cls, what: str, key: str, **kw: Any) -> Spec:
        """Something a person clicks to go somewhere: a button or a link, whichever it is."""
        return cls(what, key, roles=("button", "link"), enabled=True, **kw)

    @classmethod
    def tab(cls, what: str, key: str, **kw: Any) -> Spec:
        """A tab, made as a tab or as a link."""
        return cls(what, key, roles=("tab", "link"), **kw)

    @classmethod
    def field(cls, what: str, key: str, roles: tuple[str, ...] = TEXT_ROLES, **kw: Any) -> Spec:
        """A form field by its name, which comes from its label (``for``, wrapping,
        ``aria-labelledby``, ``aria-label``): a text field unless ``roles`` say otherwise."""
        return cls(what, key, roles=roles, **kw)

    @classmethod
    def choice(cls, what: str, key: str, **kw: Any) -> Spec:
        """A drop-down or list to choose from, by its name."""
        return cls(what, key, roles=CHOICE_ROLES, **kw)

    @classmethod
    def labelled(cls, what: str, key: str, **kw: Any) -> Spec:
        """Anything labelled so, with or without a role (a password field has none)."""
        return cls(what, key, kind="label", **kw)

    @classmethod
    def heading(cls, what: str, key: str, **kw: Any) -> Spec:
        """A heading."""
        return cls(what, key, roles=("heading",), **kw)

    @classmethod
    def message(cls, what: str, key: str, **kw: Any) -> Spec:
        """Words shown anywhere (a status, an alert, a row, a paragraph)."""
        return cls(what, key, kind="text", **kw)

    @classmethod
    def table(cls, what: str, key: str, **kw: Any) -> Spec:
        """A table or grid with a column headed by ``key``'s words."""
        return cls(what, key, kind="table", roles=("table", "grid"), **kw)

    @classmethod
    def dialog(cls, what: str, key: str, roles: tuple[str, ...] = ("dialog",),
               **kw: Any) -> Spec:
        """A dialog named by, or showing, ``key``'s words."""
        return cls(what, key, kind="dialog", roles=roles, **kw)


def build(scope: Any, spec: Spec) -> Any:
    """The locator of ``spec`` in ``scope`` (a page, frame or locator of either API)."""
    if spec.within is not None:
        scope = build(scope, spec.within).first
    name = words.pattern(spec.key)
    found: Any = None

    def add(locator: Any) -> None:
        nonlocal found
        found = locator if found is None else found.or_(locator)

    if spec.kind == "label":
        add(scope.get_by_label(name))
    elif spec.kind == "text":
        add(scope.get_by_text(name))
    elif spec.kind == "table":
        header = _any_role(scope, ("columnheader",), name)
        for role in spec.roles:
            add(scope.get_by_role(role).filter(has=header))
    elif spec.kind == "dialog":
        for role in spec.roles:
            add(scope.get_by_role(role, name=name))
            add(scope.get_by_role(role).filter(has=scope.get_by_role("heading", name=name)))
    else:
        disabled = False if spec.enabled else None
        for role in spec.roles:
            add(scope.get_by_role(role, name=name, disabled=disabled))
    return found


def _any_role(scope: Any, roles: tuple[str, ...], name: Any) -> Any:
    found: Any = None
    for role in roles:
        locator = scope.get_by_role(role, name=name)
        found = locator if found is None else found.or_(locator)
    return found


def _row_with(scope: Any, table: Any, value: str) -> Any:
    return table.get_by_role("row").filter(has=_cell_with(scope, value))


def _cell_with(scope: Any, value: str) -> Any:
    found: Any = None
    for role in ("cell", "gridcell"):
        locator = scope.get_by_role(role, name=value, exact=True)
        found = locator if found is None else found.or_(locator)
    return found


AsyncScope = async_api.Page | async_api.Frame | async_api.Locator
SyncScope = sync_api.Page | sync_api.Frame | sync_api.Locator


def locate(scope: AsyncScope, spec: Spec) -> async_api.Locator:
    """:func:`build` for the flows (Playwright's async API)."""
    return cast(async_api.Locator, build(scope, spec))


def locate_sync(scope: SyncScope, spec: Spec) -> sync_api.Locator:
    """:func:`build` for the pytest kit (Playwright's sync API)."""
    return cast(sync_api.Locator, build(scope, spec))


def row_with(scope: AsyncScope, table: async_api.Locator, value: str) -> async_api.Locator:
    """The rows of ``table`` with a cell (of a table or grid) that reads exactly ``value``."""
    return cast(async_api.Locator, _row_with(scope, table, value))


def cell_with(scope: AsyncScope, value: str) -> async_api.Locator:
    """A cell (of a table or a grid) that reads exactly ``value``."""
    return cast(async_api.Locator, _cell_with(scope, value))


def row_with_sync(scope: SyncScope, table: sync_api.Locator, value: str) -> sync_api.Locator:
    """:func:`row_with` for the pytest kit."""
    return cast(sync_api.Locator, _row_with(scope, table, value))


def _content_frame(page: Any) -> Any:
    """The frame that holds the content: found by what it is, never by its name.

    TOMS shows each tab in a frame of the top page. It is the top page's child frame; with
    several, the first that shows a page of the portal's own site rather than a blank one.
    Without any, the content is in the page itself. A frame stays the same object while it
    goes from page to page; it ends only when the whole window loads another page.
    """
    main = page.main_frame
    children = [f for f in main.child_frames if not f.is_detached()]
    if not children:
        return main
    if len(children) == 1:
        return children[0]
    origin = _origin(main.url)
    for frame in children:
        if _origin(frame.url) == origin:
            return frame
    return children[0]


def _origin(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}" if rest else url


def content_frame(page: async_api.Page) -> async_api.Frame:
    """The frame that holds the content, for the flows."""
    return cast(async_api.Frame, _content_frame(page))


def content_frame_sync(page: sync_api.Page) -> sync_api.Frame:
    """The frame that holds the content, for the pytest kit."""
    return cast(sync_api.Frame, _content_frame(page))
