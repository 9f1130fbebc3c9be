"""Short text fragments between paragraphs: table cells, figure labels or equation pieces.

Tables come back as rows, one per line, header row first, cells separated by " | " (a "-"
placeholder is a cell of its own; a subscripted deviation stays apart from its value as
"91.55 (0.29)"). Text drawn inside a figure (axis ticks, legends, chat bubbles) and display
equations are not prose and are left out; their captions stay.

PyMuPDF's ``find_tables()`` costs 50-400x a page's text extraction on real papers, and reading
the vector drawings 1-9x, so figures and tables are told apart from the text alone: which
caption claims the fragments ("Figure 3" below a chart, "Table 2" above or below a table) and
the shape of their rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

from pipeline.extract.pdftext import Block, Line, Page

Box = tuple[float, float, float, float]
CAPTION = re.compile(
    r"^(?:Table|Figure|Fig\.|Algorithm|Listing)\s*(?:[A-Z]?\d+[.:]?|[IVXL]+\b)", re.I
)
# Stricter: a caption's label is followed by punctuation, not by "shows that ..."; IEEE sets
# "TABLE II" in capitals with the caption text on the next line.
_LABEL = re.compile(
    r"^(Table|Tab\.|Figure|Fig\.)\s*[A-Z]?\d+\s*[.:|]|^(TABLE|FIGURE|FIG\.)\s*(?:\d+|[IVXL]+)\b"
)
_EQUATION_NUMBER = re.compile(r"\(\d{1,3}[a-z]?\)$")
_NUMBER = re.compile(r"^[-+±−–]?\(?\d+(?:[.,]\d+)?\)?%?$")
_MATH_FONT = re.compile(r"^(?:CM(?:MI|SY|EX)|MSBM|MSAM|rsfs|eufm)|Math|Symbol", re.I)
_MATH_MAX_WORDS = 12
_BIG_OPERATOR = re.compile("[∑∏∫∮⋃⋂⨁⨂]")
_MATH_SHARE = 0.4
_MARKS = frozenset("-–—✓✗✔✘×·*†‡")  # one-character cells a table does have
_SUBSCRIPT_SHARE = 0.85  # a span this much smaller than its neighbour is a sub/superscript
_LABELLED = re.compile(r"[A-Za-z]{2}")
_DIGIT = re.compile(r"\d")


@dataclass(slots=True)
class Caption:
    kind: str  # "figure" or "table"
    bbox: Box


@dataclass(slots=True)
class _Cell:
    x0: float
    x1: float
    text: str
    size: float


def is_figure_caption(text: str) -> bool:
    match = _LABEL.match(text)
    return match is not None and not (match[1] or match[2]).lower().startswith("tab")


def captions(page: Page) -> list[Caption]:
    """The page's figure and table captions, found by their label ("Figure 3:", "Table 2 |")."""
    found = []
    for block in page.blocks:
        match = _LABEL.match(block.lines[0].text.strip())
        if match:
            kind = "table" if (match[1] or match[2]).lower().startswith("tab") else "figure"
            found.append(Caption(kind, block.bbox))
    return found


def is_grid(block: Block) -> bool:
    """A block whose lines sit side by side in rows: a table MuPDF kept in one block."""
    lines = block.lines
    if len(lines) < 4:
        return False
    # Prose steps down a line at a time; a grid has a third of its lines beside another, so
    # its average step is well under a line. Most blocks are settled here without a loop.
    step = (lines[-1].bbox[1] - lines[0].bbox[1]) / (len(lines) - 1)
    if step > 0.9 * (lines[0].bbox[3] - lines[0].bbox[1]):
        return False
    beside = sum(1 for a, b in pairwise(lines) if abs(a.bbox[1] - b.bbox[1]) < 2)
    return beside >= len(lines) / 3


@dataclass(slots=True)
class Found:
    """What a cluster of fragments is: table rows, or the area of a figure to leave out."""

    rows: list[str]
    figure: Box | None = None


def clusters(fragments: list[tuple[Block, int]], body: float) -> list[list[tuple[Block, int]]]:
    """Fragments that touch (same column, at most a line or a few characters apart), in the
    order they were read: a table beside a chart is two clusters, not one."""
    parent = list(range(len(fragments)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    # Swept by top edge: once a fragment starts a line-gap below this one's bottom, so do all
    # that follow, and the pairs left to test are few.
    order = sorted(range(len(fragments)), key=lambda k: fragments[k][0].bbox[1])
    down, across = 1.5 * _unit(body), 4 * _unit(body)
    for at, i in enumerate(order):
        a, column = fragments[i]
        ax0, ay0, ax1, ay1 = a.bbox
        for j in order[at + 1 :]:
            b, other = fragments[j]
            bx0, by0, bx1, by1 = b.bbox
            if by0 - ay1 >= down:
                break
            if other == column and ay0 - by1 < down and bx0 - ax1 < across and ax0 - bx1 < across:
                parent[root(j)] = root(i)
    groups: dict[int, list[tuple[Block, int]]] = {}
    for i, item in enumerate(fragments):
        groups.setdefault(root(i), []).append(item)
    return list(groups.values())


def classify(
    groups: list[list[tuple[Block, int]]], page: Page, body: float, prose: list[Block]
) -> list[Found]:
    """Each cluster's table rows, a figure's area (up to its caption), or nothing.

    A figure's caption sits below it and claims the cluster right above; a table's caption
    claims the cluster right above it (ACL sets them below) or else the one below, and the
    table's other row groups next to that one. A cluster no caption claims is a table if its
    rows look like one (labelled numbers), else part of a figure when a figure caption follows
    with no prose between (sub-plots side by side).
    """
    found = captions(page)
    boxes = [_box(group) for group in groups]
    owner: dict[int, Caption] = {}
    for kind in ("figure", "table"):
        for label in (c for c in found if c.kind == kind):
            sides = ("above",) if kind == "figure" else ("above", "below")
            for side in sides:
                index = _adjacent(label, boxes, side, 2 * _unit(body), owner)
                if index is not None:
                    owner[index] = label
                    break
    worded = [i for i, group in enumerate(groups) if any(_words(b) for b, _ in group)]
    _spread_tables(boxes, owner, 3 * _unit(body), worded)
    out = []
    for index, (group, box) in enumerate(zip(groups, boxes, strict=True)):
        caption = owner.get(index)
        if caption is None:
            # Two rows of two cells at least; most loose clusters are a tick label or two.
            table = rows(group, "") if sum(len(b.lines) for b, _ in group) >= 4 else []
            figure = None if table else _figure_below(box, found, prose)
            out.append(Found(table, _extend(box, figure.bbox) if figure else None))
        elif caption.kind == "figure":
            out.append(Found([], _extend(box, caption.bbox)))
        else:
            out.append(Found(rows(group, "table")))
    return out


def _words(block: Block) -> bool:
    return _LABELLED.search(block.text) is not None


def _unit(body: float) -> float:
    """Distances in body lines; a paper whose appendix is mostly 7pt code has a small body
    size, yet its main text (and its tables) keep ordinary spacing."""
    return max(body, 9.0)


def _spread_tables(
    boxes: list[Box], owner: dict[int, Caption], reach: float, worded: list[int]
) -> None:
    """Row groups set apart by a rule or a group label ("Classification") belong to the table
    they sit on: an unclaimed cluster with words just above or below a table's cluster joins
    it (bare numbers near a table are more often a chart's ticks)."""
    changed = True
    while changed:
        changed = False
        for index in worded:
            box = boxes[index]
            if index in owner:
                continue
            for other, caption in list(owner.items()):
                near = boxes[other]
                gap = max(near[1] - box[3], box[1] - near[3])
                if caption.kind == "table" and gap < reach and _across(box, near):
                    owner[index] = caption
                    changed = True
                    break


def _adjacent(
    caption: Caption, boxes: list[Box], side: str, reach: float, taken: dict[int, Caption]
) -> int | None:
    best, nearest = reach, None
    for index, box in enumerate(boxes):
        if index in taken or not _across(box, caption.bbox):
            continue
        gap = caption.bbox[1] - box[3] if side == "above" else box[1] - caption.bbox[3]
        if -2 <= gap < best:
            best, nearest = gap, index
    return nearest


def _figure_below(box: Box, found: list[Caption], prose: list[Block]) -> Caption | None:
    below = [c for c in found if c.bbox[1] >= box[3] - 2 and _across(box, c.bbox)]
    if not below:
        return None
    first = min(below, key=lambda c: c.bbox[1])
    between = any(
        b.bbox[1] >= box[3] - 2 and b.bbox[3] <= first.bbox[1] + 2 and _across(box, b.bbox)
        for b in prose
    )
    return first if first.kind == "figure" and not between else None


def _across(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2]


def _extend(box: Box, caption: Box) -> Box:
    """The figure's area: its fragments' box stretched to the caption below (or above) it and
    across to the caption's width (a figure is about as wide as its caption)."""
    x0, x1 = min(box[0], caption[0]), max(box[2], caption[2])
    if caption[1] >= box[3]:
        return x0, box[1], x1, caption[1]
    return x0, caption[3], x1, box[3]


def is_math(block: Block) -> bool:
    """A short block that is a piece of a display equation ("G ∑ i=1", "|yi| ∑ t=1"): set in
    math fonts, or with a big operator, or mostly lines of a character or three (limits)."""
    text = block.text
    if len(text.split()) >= _MATH_MAX_WORDS:
        return False
    if _BIG_OPERATOR.search(text):
        return True
    lines = block.lines
    sizes = [len(line.text.strip()) for line in lines]
    if len(lines) >= 2 and max(sizes) <= 12 and sum(n <= 3 for n in sizes) >= 0.6 * len(lines):
        return True
    spans = [s for line in lines for s in line.spans]
    math = sum(len(s.text.strip()) for s in spans if _MATH_FONT.search(s.font))
    return math >= _MATH_SHARE * sum(len(s.text.strip()) for s in spans) > 0


def is_row(block: Block) -> bool:
    """Three or more lines side by side: a row of cells (often a bold header row)."""
    lines = block.lines
    return len(lines) >= 3 and all(abs(line.bbox[1] - lines[0].bbox[1]) < 2 for line in lines)


def rows(fragments: list[tuple[Block, int]], caption: str) -> list[str]:
    """The fragments' table rows, or nothing when they are an equation or loose labels."""
    grid = _grid(fragments)
    if not grid or (caption != "table" and _is_equation(fragments, grid)):
        return []
    texts = [" | ".join(cell.text for cell in row) for row in grid]
    multi = [i for i, row in enumerate(grid) if len(row) >= 2]
    if not multi:
        return []
    if caption != "table":
        # Without a caption, a table is rows of labelled numbers; axis ticks are numbers only.
        labelled = sum(1 for i in multi if _LABELLED.search(texts[i]) and _DIGIT.search(texts[i]))
        if len(multi) < 2 or labelled < 0.6 * len(multi):
            return []
    return texts[multi[0] : multi[-1] + 1]


def _grid(fragments: list[tuple[Block, int]]) -> list[list[_Cell]]:
    """Lines grouped into rows (by column and vertical overlap), cells ordered left to right."""
    lines = sorted(
        (
            (column, line.bbox[1], line.bbox[3], line)
            for block, column in fragments
            for line in block.lines
        ),
        key=lambda item: (item[0], item[1]),
    )
    grid: list[tuple[int, float, float, list[_Cell]]] = []
    for column, top, bottom, line in lines:
        row = grid[-1] if grid else None
        # Sorted by top, a line overlapping a row's first line comes right after that row.
        if row and row[0] == column and top < row[2] - 1 and bottom > row[1] + 1:
            row[3].extend(_cells(line))
        else:
            grid.append((column, top, bottom, _cells(line)))
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
        if (
            last
            and x0 - last.x1 < max(2.5, 0.5 * span.size)
            # Small capitals change size inside a word; a smaller number is a subscript.
            and (abs(span.size - last.size) < 0.3 or not _NUMBER.match(text))
        ):
            sep = " " if span.text[:1].isspace() else ""
            last.text, last.x1 = f"{last.text}{sep}{text}", x1
        else:
            cells.append(_Cell(x0, x1, text, span.size))
    return [part for cell in cells for part in _split_numbers(cell)]


def _split_numbers(cell: _Cell) -> list[_Cell]:
    """Values set close together read as one cell ("53.8 - 56.5"); numbers and placeholders
    are cells of their own. Positions are shared out by length, which is all ordering needs."""
    parts = cell.text.split()
    if len(parts) < 2 or not all(_NUMBER.match(p) or p in _MARKS for p in parts):
        return [cell]
    step = (cell.x1 - cell.x0) / len(cell.text)
    out, x = [], cell.x0
    for part in parts:
        out.append(_Cell(x, x + step * len(part), part, cell.size))
        x += step * (len(part) + 1)
    return out


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


def _box(fragments: list[tuple[Block, int]]) -> Box:
    boxes = [b.bbox for b, _ in fragments]
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


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
    math = sum(len(s.text) for s in spans if _MATH_FONT.search(s.font))
    return math > 0.5 * sum(len(s.text) for s in spans)
