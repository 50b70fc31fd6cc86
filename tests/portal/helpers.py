"""A tiny HTML tree for assertions: find elements by tag and attributes, read visible text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str | None]
    children: list[Node | str] = field(default_factory=list)
    parent: Node | None = None

    @property
    def text(self) -> str:
        parts: list[str] = []
        for child in self.children:
            parts.append(child if isinstance(child, str) else child.text)
        return re.sub(r"\s+", " ", " ".join(parts)).strip()

    @property
    def hidden(self) -> bool:
        node: Node | None = self
        while node is not None:
            if "hidden" in node.attrs:
                return True
            if node.tag == "dialog" and "open" not in node.attrs:
                return True
            node = node.parent
        return False

    def iter(self) -> list[Node]:
        out: list[Node] = []
        for child in self.children:
            if isinstance(child, Node):
                out.append(child)
                out.extend(child.iter())
        return out

    def find_all(self, tag: str | None = None, **attrs: str | bool) -> list[Node]:
        found = []
        for node in self.iter():
            if tag is not None and node.tag != tag:
                continue
            ok = True
            for name, want in attrs.items():
                name = name.rstrip("_").replace("_", "-")
                have = node.attrs.get(name, None) if name in node.attrs else False
                if want is True:
                    ok = ok and name in node.attrs
                elif want is False:
                    ok = ok and name not in node.attrs
                else:
                    ok = ok and have == want
            if ok:
                found.append(node)
        return found

    def find(self, tag: str | None = None, **attrs: str | bool) -> Node:
        found = self.find_all(tag, **attrs)
        assert found, f"no <{tag}> with {attrs}"
        return found[0]

    def get(self, name: str) -> str | None:
        return self.attrs.get(name)


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {})
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs), parent=self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.current.children.append(Node(tag, dict(attrs), parent=self.current))

    def handle_endtag(self, tag: str) -> None:
        node: Node | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)


def parse(html: str) -> Node:
    builder = _Builder()
    builder.feed(html)
    return builder.root


def visible_by_role(html: str, role: str) -> list[str]:
    """Texts of visible elements with this explicit role."""
    return [n.text for n in parse(html).find_all(role=role) if not n.hidden]


def visible_buttons(html: str) -> list[str]:
    return [n.text for n in parse(html).find_all("button") if not n.hidden]


def table_headers(html: str) -> list[str]:
    return [th.text for th in parse(html).find("table").find_all("th")]


def table_rows(html: str) -> list[list[str]]:
    tables = parse(html).find_all("table")
    if not tables:
        return []
    body = tables[0].find("tbody")
    return [[td.text for td in tr.find_all("td")] for tr in body.find_all("tr")]


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no csrf_token in the page"
    return match.group(1)


def title(html: str) -> str:
    return parse(html).find("title").text
