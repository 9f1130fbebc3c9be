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

from pipeline.extract.contents import contents_lines
from pipeline.extract.pdftext import Line, Page

_EDGE = 0.085  # lone page numbers live this close to the top or bottom
_BAND = 0.16  # repeated running headers and footers may sit this far in
_REPEAT_SHARE = 0.3
_PAGE_NUMBER = re.compile(r"^(?:page\s+)?(?:\d{1,4}|[ivxlc]{1,6})(?:\s+(?:of|/)\s+\d{1,4})?$", re.I)
_DIGITS = re.compile(r"\d+")
_MIN_KEY_LETTERS = 3
_GUTTER_MIN = 8
# The title on page one repeats as the running header ("MUON IS SCALABLE..." over "Muon is
# Scalable..."), set far larger: that line is the title, not furniture.
_TITLE_SCALE = 1.3


def remove_furniture(pages: list[Page]) -> None:
    """Drop, in place, lines that repeat on the page edges or do not belong to the text."""
    edges = [_edge_lines(page) for page in pages]
    repeated = _repeated(edges, len(pages))
    drops = []
    for page, edge in zip(pages, edges, strict=True):
        drop = {i for i, (line, key) in edge.items() if _is_header(line, key, repeated)}
        beside = [(edge[i][0].bbox[1] + edge[i][0].bbox[3]) / 2 for i in drop]
        drop.update(i for i, (line, _) in edge.items() if _page_number(line, page, beside))
        drop.update(_gutter_lines(page))
        drops.append(drop)
    for page, drop, contents in zip(pages, drops, contents_lines(pages, drops), strict=True):
        drop |= contents
        for block in page.blocks:
            block.keep([line for line in block.lines if line.horizontal and id(line) not in drop])
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


def _repeated(edges: list[dict[int, tuple[Line, str]]], pages: int) -> dict[str, float]:
    """The keys repeated on enough pages, each with the smallest size it is set in."""
    counts: Counter[str] = Counter()
    sizes: dict[str, float] = {}
    for edge in edges:
        counts.update({key for _, key in edge.values()})
        for line, key in edge.values():
            sizes[key] = min(sizes.get(key, 1e9), _size(line))
    least = max(2, int(pages * _REPEAT_SHARE))
    return {
        key: sizes[key]
        for key, n in counts.items()
        # "#.#" (a table cell at the top of several pages) is not a header: it needs words.
        if n >= least and sum(c.isalpha() for c in key) >= _MIN_KEY_LETTERS
    }


def _is_header(line: Line, key: str, repeated: dict[str, float]) -> bool:
    size = repeated.get(key)
    return size is not None and _size(line) < _TITLE_SCALE * size


def _size(line: Line) -> float:
    return max(span.size for span in line.spans)


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
