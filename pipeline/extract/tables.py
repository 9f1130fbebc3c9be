"""Short text fragments between paragraphs: table cells, figure labels or equation pieces.

Tables come back as rows, one per line, header row first, cells separated by " | " (a "-"
placeholder is a cell of its own; a subscripted deviation stays apart from its value as
"91.55 (0.29)"). Text drawn inside a figure (axis ticks, legends, chat bubbles) and display
equations are not prose and are left out; their captions stay.

PyMuPDF's ``find_tables()`` costs 50-400x a page's text extraction on real papers, and reading
the vector drawings 1-9x, so figures and tables are told apart from the text alone: the caption
nearest to the fragments ("Figure 3" below a chart, "Table 2" above a table) and the rows' shape.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

from pipeline.extract.pdftext import Block, Line, Page

CAPTION = re.compile(r"^(?:Table|Figure|Fig\.|Algorithm|Listing)\s*[A-Z]?\d+[.:]?", re.I)
# Stricter: a caption's label is followed by punctuation, not by "shows that ...".
_LABEL = re.compile(r"^(Table|Tab\.|Figure|Fig\.)\s*[A-Z]?\d+\s*[.:|]", re.I)
_EQUATION_NUMBER = re.compile(r"\(\d{1,3}[a-z]?\)$")
_NUMBER = re.compile(r"^[-+±]?\(?\d+(?:[.,]\d+)?\)?%?$")
_MATH_FONT = re.compile(r"^(?:CM(?:MI|SY|EX)|MSBM|MSAM|rsfs|eufm)|Math|Symbol", re.I)
_MARKS = frozenset("-–—✓✗✔✘×·*†‡")  # one-character cells a table does have
_SUBSCRIPT_SHARE = 0.85  # a span this much smaller than its neighbour is a sub/superscript
_CAPTION_REACH = 0.4  # share of the page height within which a caption claims fragments


@dataclass(slots=True)
class Caption:
    kind: str  # "figure" or "table"
    bbox: tuple[float, float, float, float]


@dataclass(slots=True)
class _Cell:
    x0: float
    x1: float
    text: str
    size: float


def captions(page: Page) -> list[Caption]:
    found = []
    for block in page.blocks:
        match = _LABEL.match(block.lines[0].text.strip())
        if match:
            kind = "table" if match[1].lower().startswith("tab") else "figure"
            found.append(Caption(kind, block.bbox))
    return found


def is_grid(block: Block) -> bool:
    """A block whose lines sit side by side in rows: a table MuPDF kept in one block."""
    lines = block.lines
    if len(lines) < 4:
        return False
    beside = sum(1 for a, b in pairwise(lines) if abs(a.bbox[1] - b.bbox[1]) < 2)
    return beside >= len(lines) / 3


def rows(fragments: list[tuple[Block, int]], page: Page, found: list[Caption]) -> list[str]:
    """The fragments' table rows, or nothing when they are a figure or an equation."""
    grid = _grid(fragments)
    if not grid:
        return []
    box = _box(fragments)
    caption = _nearest(found, box, page.height)
    if caption == "figure" or (caption != "table" and _is_equation(fragments, grid)):
        return []
    texts = [" | ".join(cell.text for cell in row) for row in grid]
    multi = [i for i, row in enumerate(grid) if len(row) >= 2]
    if not multi:
        return []
    if caption != "table":
        numeric = sum(1 for i in multi if re.search(r"\d", texts[i]))
        # Without a caption, a table is rows of labelled numbers, as it always was here.
        if len(multi) < 2 or numeric < len(multi) / 2:
            return []
    return texts[multi[0] : multi[-1] + 1]


def _grid(fragments: list[tuple[Block, int]]) -> list[list[_Cell]]:
    """Lines grouped into rows (by column and vertical overlap), cells ordered left to right."""
    grid: list[tuple[int, float, float, list[_Cell]]] = []
    for block, column in fragments:
        for line in block.lines:
            top, bottom = line.bbox[1], line.bbox[3]
            for row in grid:
                if row[0] == column and top < row[2] - 1 and bottom > row[1] + 1:
                    row[3].extend(_cells(line))
                    break
            else:
                grid.append((column, top, bottom, _cells(line)))
    grid.sort(key=lambda row: (row[0], row[1]))
    out = []
    for _, _, _, cells in grid:
        cells.sort(key=lambda c: c.x0)
        merged = _attach_scripts(cells)
        if merged:
            out.append(merged)
    return out


def _cells(line: Line) -> list[_Cell]:
    """A line's spans as cells: a gap wider than a space starts a new cell ("1128.0", "-")."""
    cells: list[_Cell] = []
    for span in line.spans:
        text = " ".join(span.text.split())
        if not text:
            continue
        x0, _, x1, _ = span.bbox
        last = cells[-1] if cells else None
        if last and x0 - last.x1 < max(2.5, 0.5 * span.size) and abs(span.size - last.size) < 0.3:
            sep = " " if span.text[:1].isspace() else ""
            last.text, last.x1 = f"{last.text}{sep}{text}", x1
        else:
            cells.append(_Cell(x0, x1, text, span.size))
    return cells


def _attach_scripts(cells: list[_Cell]) -> list[_Cell]:
    """A smaller number right after a number is its subscript: "91.55" "0.29" -> "91.55 (0.29)"."""
    out: list[_Cell] = []
    for cell in cells:
        prev = out[-1] if out else None
        small = prev and cell.size < prev.size * _SUBSCRIPT_SHARE and cell.x0 - prev.x1 < 2.5
        if prev and small:
            if cell.text.startswith(("±", "+", "−")) or not _NUMBER.match(cell.text):
                prev.text += cell.text
            else:
                prev.text += f" ({cell.text.strip('()')})"
            prev.x1 = cell.x1
        else:
            out.append(_Cell(cell.x0, cell.x1, cell.text, cell.size))
    return out


def _box(fragments: list[tuple[Block, int]]) -> tuple[float, float, float, float]:
    boxes = [b.bbox for b, _ in fragments]
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def _nearest(found: list[Caption], box: tuple[float, float, float, float], height: float) -> str:
    """The kind of the caption closest above or below ``box`` and overlapping it across."""
    best, kind = height * _CAPTION_REACH, ""
    for caption in found:
        x0, y0, x1, y1 = caption.bbox
        if x1 < box[0] or x0 > box[2]:
            continue
        gap = max(y0 - box[3], box[1] - y1, 0.0)
        if gap < best:
            best, kind = gap, caption.kind
    return kind


def _is_equation(fragments: list[tuple[Block, int]], grid: list[list[_Cell]]) -> bool:
    """Display maths: an equation number "(3)" ending a row, cells of a symbol or two ("θ",
    ") =", "∼"), or mostly math-font spans."""
    if any(_EQUATION_NUMBER.search(row[-1].text) for row in grid if len(row) >= 2):
        return True
    cells = [cell.text.replace(" ", "") for row in grid for cell in row]
    tiny = sum(1 for text in cells if len(text) <= 2 and text not in _MARKS)
    if tiny >= 0.4 * len(cells):
        return True
    spans = [s for b, _ in fragments for line in b.lines for s in line.spans]
    math = sum(len(s.text) for s in spans if _MATH_FONT.match(s.font))
    return math > 0.5 * sum(len(s.text) for s in spans)
