"""Roles and accessible names of the tiny HTML tree, as far as the alt build's markup needs.

Enough of the ARIA rules to check a page the way a person (or a role locator) finds its
controls: explicit roles first, else the element's implicit role; names from
``aria-labelledby``, ``aria-label``, ``<label for>``, a wrapping ``<label>``, an input
button's value, else the text.
"""

from __future__ import annotations

from .helpers import Node, parse

INPUT_ROLES = {
    "submit": "button",
    "button": "button",
    "reset": "button",
    "checkbox": "checkbox",
    "radio": "radio",
    "text": "textbox",
    "email": "textbox",
    "password": "textbox",
}
TAG_ROLES = {
    "button": "button",
    "select": "combobox",
    "textarea": "textbox",
    "table": "table",
    "dialog": "dialog",
    "th": "columnheader",
    "td": "cell",
    "tr": "row",
    **{f"h{n}": "heading" for n in range(1, 7)},
}


def role_of(node: Node) -> str | None:
    """The explicit role, else the implicit one of the few elements the pages use."""
    explicit = node.get("role")
    if explicit:
        return explicit
    if node.tag == "input":
        return INPUT_ROLES.get(str(node.get("type") or "text"))
    if node.tag == "a" and "href" in node.attrs:
        return "link"
    return TAG_ROLES.get(node.tag)


def _root(node: Node) -> Node:
    while node.parent is not None:
        node = node.parent
    return node


def by_id(tree: Node, ident: str) -> Node:
    found = tree.find_all(id=ident)
    assert len(found) == 1, f"{len(found)} elements with id {ident!r}"
    return found[0]


def name_of(node: Node) -> str:
    """The accessible name (the rules above, not the whole specification)."""
    root = _root(node)
    labelledby = node.get("aria-labelledby")
    if labelledby:
        return " ".join(by_id(root, ident).text for ident in labelledby.split())
    label = node.get("aria-label")
    if label:
        return label
    if node.tag == "input" and node.get("type") in ("submit", "button", "reset"):
        return str(node.get("value") or "")
    ident = node.get("id")
    if ident:
        labels = [lab for lab in root.find_all("label") if lab.get("for") == ident]
        if labels:
            return labels[0].text
    parent = node.parent
    while parent is not None:
        if parent.tag == "label":
            return parent.text
        parent = parent.parent
    return node.text


def how_labelled(node: Node) -> str:
    """Which labelling rule names ``node``: aria-labelledby, aria-label, for, wrap, or text."""
    if node.get("aria-labelledby"):
        return "aria-labelledby"
    if node.get("aria-label"):
        return "aria-label"
    ident = node.get("id")
    if ident and any(lab.get("for") == ident for lab in _root(node).find_all("label")):
        return "for"
    parent = node.parent
    while parent is not None:
        if parent.tag == "label":
            return "wrap"
        parent = parent.parent
    return "text"


def find_role(
    html_or_tree: str | Node, role: str, name: str | None = None, *, visible: bool = True
) -> list[Node]:
    """Elements with this role (and exact name), visible ones only unless told otherwise."""
    tree = parse(html_or_tree) if isinstance(html_or_tree, str) else html_or_tree
    return [
        node
        for node in tree.iter()
        if role_of(node) == role
        and (name is None or name_of(node) == name)
        and (not visible or not node.hidden)
    ]


def one(html_or_tree: str | Node, role: str, name: str) -> Node:
    """The one visible element with this role and name."""
    found = find_role(html_or_tree, role, name)
    assert len(found) == 1, f"{len(found)} visible {role} named {name!r}"
    return found[0]


def names(html_or_tree: str | Node, role: str) -> list[str]:
    """The names of the visible elements with this role, in page order."""
    return [name_of(node) for node in find_role(html_or_tree, role)]
