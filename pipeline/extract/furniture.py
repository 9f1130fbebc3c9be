"""Page furniture out: running headers and footers, page numbers, line-number gutters, rotated
stamps and contents pages.

Headers are found by repetition across pages near the top or bottom edge, not by a fixed margin:
Springer sets "2 Author et al." and the title about 12% down the page, where a fixed band would
cut body text on other layouts.
"""

from __future__ import annotations

import re
from collections import Counter
from itertools import pairwise

from pipeline.extract.pdftext import Block, Line, Page

_EDGE = 0.085  # lone page numbers live this close to the top or bottom
_BAND = 0.16  # repeated running headers and footers may sit this far in
_REPEAT_SHARE = 0.3
_PAGE_NUMBER = re.compile(r"^(?:page\s+)?(?:\d{1,4}|[ivxlc]{1,6})(?:\s+(?:of|/)\s+\d{1,4})?$", re.I)
_DIGITS = re.compile(r"\d+")
_MIN_KEY_LETTERS = 3
_GUTTER_MIN = 8
# "2.1 Data . . . . . . 4", "Data ........ 4", "Data …" (the page number may be a line of its own)
_LEADER = re.compile(r"(?:\.\s?){4,}\s*\d{0,4}$|…\s*\d{0,4}$")
_NUMBER_ONLY = re.compile(r"^[\dA-Z]{0,2}(?:\.\d{1,2})*\.?$|^\d{1,4}$")
_CONTENTS_TITLE = re.compile(r"^(?:table\s+of\s+)?contents$", re.I)
_MIN_LEADERS = 5
_MAX_ENTRY_WORDS = 14
_MAX_ENTRY_ROWS = 2  # an entry and its wrapped second line


def remove_furniture(pages: list[Page]) -> None:
    """Drop, in place, lines that repeat on the page edges or do not belong to the text."""
    edges = [_edge_lines(page) for page in pages]
    repeated = _repeated(edges, len(pages))
    for page, edge in zip(pages, edges, strict=True):
        drop = {i for i, (_, key) in edge.items() if key in repeated}
        beside = [(edge[i][0].bbox[1] + edge[i][0].bbox[3]) / 2 for i in drop]
        drop.update(i for i, (line, _) in edge.items() if _page_number(line, page, beside))
        drop.update(_gutter_lines(page))
        contents = _contents_page(page)
        for block in page.blocks:
            block.keep(
                [
                    line
                    for line in block.lines
                    if line.horizontal
                    and id(line) not in drop
                    and not (contents and _is_contents_line(line.text.strip(), block))
                ]
            )
        page.blocks = [b for b in page.blocks if b.lines]


def _edge_lines(page: Page) -> dict[int, tuple[Line, str]]:
    """The lines near the top or bottom of the page, by id, with their repetition key."""
    top, bottom = page.height * _BAND, page.height * (1 - _BAND)
    return {
        id(line): (line, _DIGITS.sub("#", " ".join(line.text.lower().split())))
        for block in page.blocks
        for line in block.lines
        if line.bbox[3] <= top or line.bbox[1] >= bottom
    }


def _repeated(edges: list[dict[int, tuple[Line, str]]], pages: int) -> set[str]:
    counts: Counter[str] = Counter()
    for edge in edges:
        counts.update({key for _, key in edge.values()})
    least = max(2, int(pages * _REPEAT_SHARE))
    return {
        key
        for key, n in counts.items()
        # "#.#" (a table cell at the top of several pages) is not a header: it needs words.
        if n >= least and sum(c.isalpha() for c in key) >= _MIN_KEY_LETTERS
    }


def _page_number(line: Line, page: Page, beside: list[float]) -> bool:
    """A lone number at the very edge, or on the line of a running header (Springer)."""
    if not _PAGE_NUMBER.match(line.text.strip()):
        return False
    at_edge = line.bbox[3] <= page.height * _EDGE or line.bbox[1] >= page.height * (1 - _EDGE)
    centre = (line.bbox[1] + line.bbox[3]) / 2
    return at_edge or any(abs(centre - y) < 4 for y in beside)


def _gutter_lines(page: Page) -> set[int]:
    """Review copies number their lines in the margin: many integers stacked at one x."""
    stacks: dict[tuple[int, int], list[tuple[float, int, Line]]] = {}
    for block in page.blocks:
        for line in block.lines:
            text = line.text.strip()
            if text.isdigit() and len(text) <= 4:
                # Numbers are aligned left or right: stack them by either edge.
                for edge in (0, 2):
                    stacks.setdefault((edge, round(line.bbox[edge] / 6)), []).append(
                        (line.bbox[1], int(text), line)
                    )
    gutter: set[int] = set()
    for stack in stacks.values():
        stack.sort(key=lambda item: item[0])
        numbers = [n for _, n, _ in stack]
        rising = sum(b > a for a, b in pairwise(numbers))
        if len(stack) >= _GUTTER_MIN and rising >= 0.8 * (len(stack) - 1):
            gutter.update(id(line) for _, _, line in stack)
    return gutter


def _contents_page(page: Page) -> bool:
    """A table of contents: several entries ending in dot leaders and a page number."""
    leaders = 0
    for block in page.blocks:
        for line in block.lines:
            if line.text.rstrip().endswith(
                (".", "…", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9")
            ) and _LEADER.search(line.text.rstrip()):
                leaders += 1
                if leaders >= _MIN_LEADERS:
                    return True
    return False


def _is_contents_line(text: str, block: Block) -> bool:
    """On a contents page: the title, leader lines, numbers standing alone, and entries set in
    blocks of their own (section entries often have no leaders); not a paragraph beside it."""
    if _CONTENTS_TITLE.match(text) or _LEADER.search(text) or _NUMBER_ONLY.match(text):
        return True
    rows = 1 + sum(1 for a, b in pairwise(block.lines) if abs(a.bbox[1] - b.bbox[1]) >= 2)
    return rows <= _MAX_ENTRY_ROWS and len(text.split()) <= _MAX_ENTRY_WORDS
