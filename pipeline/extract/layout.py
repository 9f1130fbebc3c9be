"""Reading order of a page's blocks, one or two columns.

MuPDF's block order follows the content stream, which puts floats, footnotes and sometimes a
whole column in odd places; sorting by position is what a reader does.
"""

from __future__ import annotations

from pipeline.extract.pdftext import Block, Page

WIDE, LEFT, RIGHT = 0, 1, 2
_MIN_COLUMN_SHARE = 0.2


def reading_order(page: Page) -> list[tuple[Block, int]]:
    """Blocks in reading order, each with its column (WIDE, LEFT or RIGHT)."""
    mid = page.width / 2
    columns = [_column(b, mid, page.width) for b in page.blocks]
    if not _two_columns(page.blocks, columns):
        ordered = sorted(page.blocks, key=lambda b: (round(b.bbox[1] / 3), b.bbox[0]))
        return [(b, WIDE) for b in ordered]
    out: list[tuple[Block, int]] = []
    band: list[tuple[Block, int]] = []
    for block, column in sorted(zip(page.blocks, columns, strict=True), key=_top):
        if column == WIDE:
            out.extend(_band(band))
            band = []
            out.append((block, WIDE))
        else:
            band.append((block, column))
    out.extend(_band(band))
    return out


def _top(item: tuple[Block, int]) -> tuple[float, float]:
    return item[0].bbox[1], item[0].bbox[0]


def _band(band: list[tuple[Block, int]]) -> list[tuple[Block, int]]:
    """Within a band between full-width blocks, the left column is read before the right."""
    return sorted(band, key=lambda item: (item[1], item[0].bbox[1], item[0].bbox[0]))


def _column(block: Block, mid: float, width: float) -> int:
    x0, _, x1, _ = block.bbox
    slack = width * 0.03
    if x1 <= mid + slack:
        return LEFT
    if x0 >= mid - slack:
        return RIGHT
    return WIDE


def _two_columns(blocks: list[Block], columns: list[int]) -> bool:
    chars = [0, 0, 0]
    for block, column in zip(blocks, columns, strict=True):
        if len(block.lines) >= 2:
            chars[column] += sum(len(line.text) for line in block.lines)
    total = sum(chars)
    if not total:
        return False
    return min(chars[LEFT], chars[RIGHT]) / total >= _MIN_COLUMN_SHARE
