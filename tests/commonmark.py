"""The digest as a reader sees it: rendered by a CommonMark renderer with raw HTML on, then read
back as a small element tree. Three renderers (``FLAVORS``): markdown-it as CommonMark; the same
with linkify, which turns bare URLs, ``www.`` hosts, ``name.tld`` and e-mail addresses into
links (linkify-it links more than GitHub does); and GitHub's own renderer, cmark-gfm, with its
extensions (extended autolinks, strikethrough, tables, tag filter)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Literal

import cmarkgfm
from cmarkgfm.cmark import Options
from markdown_it import MarkdownIt

Flavor = Literal["commonmark", "linkify", "github"]
FLAVORS: tuple[Flavor, ...] = ("commonmark", "linkify", "github")
# GitHub's extensions that could act inside a line: ~~strikethrough~~ and tables.
_RENDERER = MarkdownIt("commonmark", {"html": True}).enable(["strikethrough", "table"])
_LINKIFY = MarkdownIt("commonmark", {"html": True, "linkify": True}).enable(
    ["strikethrough", "table", "linkify"]
)
_VOID = frozenset({"img", "br", "hr", "input", "meta", "link", "source", "wbr"})


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]
    children: list[Element | str] = field(default_factory=list)

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def elements(self) -> list[Element]:
        """Every element below this one, in document order."""
        found: list[Element] = []
        for child in self.children:
            if isinstance(child, Element):
                found += [child, *child.elements()]
        return found

    def find(self, tag: str) -> list[Element]:
        return [e for e in self.elements() if e.tag == tag]


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("root", {})
        self.stack = [self.root]
        self.comments: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Element(tag, dict(attrs))
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)


def render(markdown: str, flavor: Flavor = "commonmark") -> str:
    if flavor == "github":
        # Raw HTML on, as GitHub parses it (its sanitizer runs on the HTML afterwards).
        html: str = cmarkgfm.github_flavored_markdown_to_html(
            markdown, options=Options.CMARK_OPT_UNSAFE
        )
        return html
    return (_LINKIFY if flavor == "linkify" else _RENDERER).render(markdown)


def tree(markdown: str, flavor: Flavor = "commonmark") -> tuple[Element, list[str]]:
    """The rendered document's element tree and its HTML comments."""
    builder = _TreeBuilder()
    builder.feed(render(markdown, flavor))
    builder.close()
    return builder.root, builder.comments


def urls(root: Element) -> list[str]:
    """Every URL an element of the rendered page carries (links, images, media, any src)."""
    return [
        value
        for e in root.elements()
        for name, value in e.attrs.items()
        if value is not None and name in {"href", "src", "poster", "action", "formaction"}
    ]
