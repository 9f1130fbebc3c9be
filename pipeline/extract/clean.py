"""Page furniture out, paragraphs in: what is left is the text a reader reads.

Removes rotated text (the arXiv side stamp, axis labels), running headers and footers, page
numbers and line-number gutters; then turns blocks into paragraphs in reading order, keeping
captions and table rows that carry numbers and dropping other figure debris.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from itertools import pairwise

from pipeline.extract.layout import reading_order
from pipeline.extract.pdftext import Block, Line, Page, Span

_MARGIN = 0.085  # share of the page height where headers and footers live
_PAGE_NUMBER = re.compile(r"^(?:page\s+)?(?:\d{1,4}|[ivxlc]{1,6})(?:\s+(?:of|/)\s+\d{1,4})?$", re.I)
_CAPTION = re.compile(r"^(?:Table|Figure|Fig\.|Algorithm|Listing)\s*[A-Z]?\d+[.:]?", re.I)
_LIGATURES = str.maketrans(
    {"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st", "\u00ad": ""}
)
# Only these leave the translate table with work to do; most text has none of them.
_LIGATURE_CHARS = re.compile("[\ufb00-\ufb06\u00ad]")
_ASCII_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_GUTTER_MIN = 8
_DIGITS = re.compile(r"\d+")
_MIN_PROSE_WIDTH = 150.0  # points; narrower blocks are cells and labels, not paragraph lines


@dataclass(slots=True)
class Para:
    page: int
    text: str
    size: float
    bold: bool
    kind: str = "text"  # "text", "caption" or "table"
    top: float = 0.0


def body_size(pages: list[Page]) -> float:
    """The font size most characters are set in."""
    # Characters per exact size first, rounded afterwards: a document has a few dozen distinct
    # sizes but tens of thousands of spans. Insertion order (and so most_common's tie-break) is
    # the same as rounding span by span.
    exact: dict[float, int] = {}
    for page in pages:
        for block in page.blocks:
            for line in block.lines:
                for span in line.spans:
                    exact[span.size] = exact.get(span.size, 0) + len(span.text)
    sizes: Counter[float] = Counter()
    for size, chars in exact.items():
        sizes[round(size * 2) / 2] += chars
    return sizes.most_common(1)[0][0] if sizes else 10.0


def remove_furniture(pages: list[Page]) -> None:
    """Drop, in place, lines that repeat on every page or do not belong to the text."""
    repeated = _repeated_margin_lines(pages)
    for page in pages:
        gutter = _gutter_lines(page)
        top, bottom = page.height * _MARGIN, page.height * (1 - _MARGIN)
        for block in page.blocks:
            block.keep(
                [
                    line
                    for line in block.lines
                    if line.horizontal
                    and id(line) not in gutter
                    # Body lines (most of them) are told apart here without a call.
                    and (
                        (line.bbox[3] > top and line.bbox[1] < bottom)
                        or not _is_margin_furniture(line, page, repeated)
                    )
                ]
            )
        page.blocks = [b for b in page.blocks if b.lines]


def _margin_key(line: Line, page: Page) -> str | None:
    top, bottom = line.bbox[1], line.bbox[3]
    if bottom > page.height * _MARGIN and top < page.height * (1 - _MARGIN):
        return None
    return _DIGITS.sub("#", " ".join(line.text.lower().split()))


def _repeated_margin_lines(pages: list[Page]) -> set[str]:
    counts: Counter[str] = Counter()
    for page in pages:
        top, bottom = page.height * _MARGIN, page.height * (1 - _MARGIN)
        keys = {
            _margin_key(line, page)
            for b in page.blocks
            for line in b.lines
            if line.bbox[3] <= top or line.bbox[1] >= bottom
        }
        counts.update(k for k in keys if k)
    least = max(2, int(len(pages) * 0.3))
    return {key for key, n in counts.items() if n >= least}


def _is_margin_furniture(line: Line, page: Page, repeated: set[str]) -> bool:
    key = _margin_key(line, page)
    if key is None:
        return False
    return key in repeated or bool(_PAGE_NUMBER.match(line.text.strip()))


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


def paragraphs(pages: list[Page], body: float) -> list[Para]:
    """All pages' paragraphs in reading order; figure debris dropped, table rows kept."""
    out: list[Para] = []
    for page in pages:
        fragments: list[tuple[Block, int]] = []
        for block, column in _merge_lines(reading_order(page), body):
            if _is_fragment(block, body):
                fragments.append((block, column))
                continue
            out.extend(_flush_table(fragments, page.number))
            fragments = []
            out.extend(_block_paras(block, body))
        out.extend(_flush_table(fragments, page.number))
    return _rejoin(out)


def _rejoin(paras: list[Para]) -> list[Para]:
    """A paragraph broken by a column or page end (maybe with a float between) is one again."""
    out: list[Para] = []
    last_text: Para | None = None
    for para in paras:
        prev = last_text
        if para.kind == "text" and prev and para.text[:1].islower() and _open_end(prev.text):
            if _hyphen_end(prev.text):
                prev.text = prev.text[:-1] + para.text
            else:
                prev.text = f"{prev.text} {para.text}"
            continue
        out.append(para)
        if para.kind == "text":
            last_text = para
    return out


def _open_end(text: str) -> bool:
    return not text.endswith((".", "!", "?", ":")) and len(text.split()) > 8


def _merge_lines(ordered: list[tuple[Block, int]], body: float) -> list[tuple[Block, int]]:
    """Glue blocks that are lines of one paragraph: some producers make a block per line."""
    out: list[tuple[Block, int]] = []
    for i, (block, column) in enumerate(ordered):
        prev = out[-1][0] if out else None
        following = ordered[i + 1][0] if i + 1 < len(ordered) else None
        if prev and out[-1][1] == column and _continues(prev, block, following, body):
            prev.lines.extend(block.lines)
            prev.bbox = (
                min(prev.bbox[0], block.bbox[0]),
                prev.bbox[1],
                max(prev.bbox[2], block.bbox[2]),
                block.bbox[3],
            )
        else:
            out.append((Block(block.page, list(block.lines), block.bbox), column))
    return out


def _continues(prev: Block, block: Block, following: Block | None, body: float) -> bool:
    last, first = prev.lines[-1], block.lines[0]
    height = last.bbox[3] - last.bbox[1]
    gap = first.bbox[1] - last.bbox[3]  # boxes of tightly set lines overlap a little
    if not -0.4 * height <= gap < 0.6 * height or abs(first.bbox[0] - last.bbox[0]) > 2:
        return False
    if prev.bbox[2] - prev.bbox[0] < _MIN_PROSE_WIDTH or _CAPTION.match(first.text):
        return False
    if _style(last, body) == "heading" or _style(first, body) == "heading":
        return False
    sizes = [s.size for s in (*last.spans, *first.spans)]
    if max(sizes) - min(sizes) > 0.6:
        return False
    # A table's first cell also sits under the line above it; its row-mates give it away.
    return not (following and abs(following.bbox[1] - block.bbox[1]) < 2)


def _is_fragment(block: Block, body: float) -> bool:
    """Axis labels, table cells, legend entries: short and not set as a heading."""
    text = block.text.strip()
    if _CAPTION.match(text):
        return False
    words = len(text.split())
    if words >= 8 and len(text) >= 40:
        return False
    spans = [s for line in block.lines for s in line.spans if s.text.strip()]
    if not spans:
        return True
    emphasised = all(s.bold for s in spans) or max(s.size for s in spans) >= body + 0.9
    if emphasised and any(c.isalpha() for c in text):
        return False
    if max(s.size for s in spans) >= body - 0.5 and _style(block.lines[0], body) == "heading":
        return False
    return words < 8 or max(s.size for s in spans) < body - 1.2


def _flush_table(fragments: list[tuple[Block, int]], page: int) -> list[Para]:
    """Rebuild rows from cell fragments; keep rows that pair a label with a number."""
    if not fragments:
        return []
    rows: list[tuple[int, float, float, list[tuple[float, str]]]] = []
    for block, column in fragments:
        for line in block.lines:
            top, bottom = line.bbox[1], line.bbox[3]
            for row in rows:
                if row[0] == column and top < row[2] - 1 and bottom > row[1] + 1:
                    row[3].append((line.bbox[0], line.text.strip()))
                    break
            else:
                rows.append((column, top, bottom, [(line.bbox[0], line.text.strip())]))
    kept = []
    for _, _, _, cells in rows:
        cells.sort()
        text = " | ".join(_normalise(t) for _, t in cells if t)
        if len(cells) >= 2 and re.search(r"\d", text) and re.search(r"[A-Za-z]{2}", text):
            kept.append(text)
    if not kept:
        return []
    return [Para(page, "\n".join(kept), 0.0, False, "table", fragments[0][0].bbox[1])]


def _block_paras(block: Block, body: float) -> list[Para]:
    """One block, split where a heading line sits on top of body text."""
    lines = _merge_baselines(block.lines)
    split = 0
    # Only the leading heading lines matter, so styles are not worked out for the whole block.
    while split < len(lines) and _style(lines[split], body) == "heading":
        split += 1
    groups = [lines[:split], lines[split:]] if 0 < split < len(lines) else [lines]
    out = []
    for group in groups:
        text = _normalise(_join(group))
        if not text:
            continue
        spans = [s for line in group for s in line.spans if s.text.strip()]
        if not spans:
            continue
        size = max(s.size for s in spans)
        bold = all(s.bold for s in spans)
        kind = "caption" if _CAPTION.match(text) else "text"
        out.append(Para(block.page, text, size, bold, kind, group[0].bbox[1]))
    return out


def _style(line: Line, body: float) -> str:
    spans = [s for s in line.spans if s.text.strip()]
    if len(line.text.strip()) == 1:
        return "body"  # a drop cap is large but opens the paragraph
    if spans and (all(s.bold for s in spans) or min(s.size for s in spans) >= body + 0.9):
        return "heading"
    # IEEE sets headings in small caps at body size: "II. RELATED WORK".
    text = line.text.strip()
    if text.isupper() and len(text.split()) <= 8 and sum(c.isalpha() for c in text) >= 4:
        return "heading"
    return "body"


def _merge_baselines(lines: list[Line]) -> list[Line]:
    """MuPDF splits "1" and "Introduction" into two lines on one baseline; rejoin them."""
    if len(lines) == 1:
        return lines
    merged: list[Line] = []
    for line in lines:
        prev = merged[-1] if merged else None
        if prev and _same_baseline(prev, line):
            space = [*prev.spans[-1:]]
            spans = [*prev.spans, *line.spans]
            if space and not space[0].text.endswith(" "):
                spans = [*prev.spans, _spaced(line.spans[0]), *line.spans[1:]]
            box = (prev.bbox[0], min(prev.bbox[1], line.bbox[1]), line.bbox[2], prev.bbox[3])
            merged[-1] = Line(spans, box, True)
        else:
            merged.append(line)
    return merged


def _same_baseline(prev: Line, line: Line) -> bool:
    if abs(prev.bbox[3] - line.bbox[3]) >= 2 or line.bbox[0] < prev.bbox[2] - 1:
        return False
    # A drop cap shares the first body line's baseline, not the heading's.
    big = max(s.size for s in line.spans)
    return big < 1.5 * max(s.size for s in prev.spans)


def _spaced(span: Span) -> Span:
    # Not dataclasses.replace: that inspects the fields on every call, and this runs per line.
    return Span(
        " " + span.text,
        span.size,
        span.bold,
        span.color,
        span.alpha,
        span.painted,
        span.font,
        span.bbox,
    )


def _join(lines: list[Line]) -> str:
    """Lines into one string, rejoining words the typesetter split with a hyphen."""
    # A list joined once: growing one string line by line is quadratic in long blocks.
    parts: list[str] = []
    for line in lines:
        text = line.text.strip()
        if not text:
            continue
        if parts and _hyphen_end(parts[-1]) and text[0].islower():
            parts[-1] = parts[-1][:-1] + text
        elif len(parts) == 1 and len(parts[0]) == 1 and parts[0].isupper() and text[0].isupper():
            parts[0] += text  # drop cap: "M" + "ULTI-STEP robotic tasks"
        else:
            parts.append(text)
    return " ".join(parts)


def _hyphen_end(text: str) -> bool:
    """Ends in an ASCII letter and a hyphen; a regex search with ``$`` would scan all of it."""
    return len(text) >= 2 and text[-1] == "-" and text[-2] in _ASCII_LETTERS


def _normalise(text: str) -> str:
    if _LIGATURE_CHARS.search(text):
        text = text.translate(_LIGATURES)
    return " ".join(text.split())
