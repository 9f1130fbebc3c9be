"""Blocks into paragraphs in reading order: what is left is the text a reader reads.

Runs after furniture.py has taken page furniture out. Keeps captions, tables (as rows, see
tables.py) and short prose lines set in the text column; drops figure and equation debris.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace

from pipeline.extract import tables
from pipeline.extract.hyphens import Vocabulary, hyphen_end
from pipeline.extract.layout import WIDE, reading_order
from pipeline.extract.pdftext import Block, Line, Page, Span
from pipeline.extract.tables import CAPTION as _CAPTION

_CONTROL = "".join(map(chr, [*range(0x00, 0x09), *range(0x0E, 0x1C), *range(0x7F, 0xA0)]))
_LIGATURES = str.maketrans(
    {"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st", "\u00ad": ""}
    | dict.fromkeys(_CONTROL, "")
)
# Only these leave the translate table with work to do; most text has none of them. (Tabs,
# newlines and the other separators are whitespace to str.split, which _normalise runs anyway.)
_ODD_CHARS = re.compile("[\ufb00-\ufb06\u00ad\x00-\x08\x0e-\x1b\x7f-\x9f]")
_PROSE_INDENT = 20.0  # points; a paragraph's first line may be indented this much
_MIN_PROSE_WIDTH = 150.0  # points; narrower blocks are cells and labels, not paragraph lines
_FOOTNOTE_ZONE = 0.6  # footnotes start below this share of the page height
_NOTE_SYMBOLS = frozenset("*∗†‡§¶")


@dataclass(slots=True)
class Para:
    page: int
    text: str
    size: float
    bold: bool
    kind: str = "text"  # "text", "caption", "table" or "footnote"
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


def paragraphs(pages: list[Page], body: float) -> list[Para]:
    """All pages' paragraphs in reading order; figure debris dropped, table rows kept."""
    vocab = Vocabulary(line.text for page in pages for b in page.blocks for line in b.lines)
    out: list[Para] = []
    for page in pages:
        out.extend(_page_paras(page, body, vocab))
    return _rejoin(out, vocab)


def _page_paras(page: Page, body: float, vocab: Vocabulary) -> list[Para]:
    ordered = _merge_lines(reading_order(page), body)
    edges = _prose_edges(ordered)
    fragments = [
        (block, column)
        for block, column in ordered
        if _is_fragment(block, body) and not _short_prose(block, body, edges, ordered)
    ]
    notes = {id(block) for block, _ in ordered if _footnote(block, page, body)}
    fragments = [item for item in fragments if id(item[0]) not in notes]
    tables_at, figures, cells = _floats(page, ordered, fragments, body)
    member = {id(block) for block, _ in fragments}
    member |= _figure_prose(ordered, cells, body)
    out: list[Para] = []
    for block, _ in ordered:
        rows = tables_at.get(id(block))
        if rows:
            _add_table(out, page.number, rows, block.bbox[1])
        if id(block) in notes:
            out.extend(replace(p, kind="footnote") for p in _block_paras(block, body, vocab))
            continue
        if id(block) in member or (figures and _inside(block, figures)) or tables.is_math(block):
            continue
        out.extend(_block_paras(block, body, vocab))
    return out


def _figure_prose(ordered: list[tuple[Block, int]], cells: set[int], body: float) -> set[int]:
    """Text set smaller than the body between a figure's caption and the prose above it: chat
    bubbles, prompts, boxed examples. Such a figure has no small labels to show its area."""
    found: set[int] = set()
    for i, (block, column) in enumerate(ordered):
        if not tables.is_figure_caption(block.lines[0].text.strip()):
            continue
        for other, other_column in reversed(ordered[:i]):
            if column != WIDE and other_column != column:
                break  # the other column's text, read before this one's
            if id(other) in cells or _CAPTION.match(other.lines[0].text.strip()):
                break  # a table's cells or another float's caption: this figure ends here
            if max(s.size for line in other.lines for s in line.spans) <= body - 0.5:
                found.add(id(other))
            elif len(other.text.split()) >= 8 or _style(other.lines[0], body) == "heading":
                break  # the text above the figure
    return found


def _footnote(block: Block, page: Page, body: float) -> bool:
    """Set small at the foot of the page behind a note mark: a footnote (one line of a URL
    list is not a table cell, and a paragraph running on to the next page skips it)."""
    if block.bbox[1] < page.height * _FOOTNOTE_ZONE:
        return False
    spans = [s for line in block.lines for s in line.spans if s.text.strip()]
    if len(spans) < 2 or max(s.size for s in spans) > body - 0.9:
        return False
    return _note_mark(spans[0], spans[1])


def _note_mark(mark: Span, after: Span) -> bool:
    """ "⁵We use...", "⁷https://...", "∗Equal contribution": a raised number or a note symbol
    before words (a tick label "73.7" or "10" under a chart has no words after it)."""
    text = mark.text.strip()
    if not after.text.strip()[:1].isalpha():
        return False
    if text in _NOTE_SYMBOLS:
        return True
    return text.isdigit() and len(text) <= 2 and mark.size < after.size - 0.5


def _floats(
    page: Page, ordered: list[tuple[Block, int]], fragments: list[tuple[Block, int]], body: float
) -> tuple[dict[int, list[str]], list[tables.Box], set[int]]:
    """Table rows by the id of the block where each table starts, the figures' areas, and the
    ids of the blocks that are table cells."""
    member = {id(block) for block, _ in fragments}
    prose = [block for block, _ in ordered if id(block) not in member]
    groups = tables.clusters(fragments, body)
    rows: dict[int, list[str]] = {}
    figures = []
    cells: set[int] = set()
    for group, found in zip(groups, tables.classify(groups, page, body, prose), strict=True):
        rows[id(group[0][0])] = found.rows
        if found.figure:
            figures.append(found.figure)
        if found.rows:
            cells.update(id(block) for block, _ in group)
    return rows, figures, cells


def _add_table(out: list[Para], page: int, rows: list[str], top: float) -> None:
    text = "\n".join(_normalise(row) for row in rows)
    if out and out[-1].kind == "table":
        out[-1].text += "\n" + text  # row groups a rule set apart: one table
    else:
        out.append(Para(page, text, 0.0, False, "table", top))


def _inside(block: Block, areas: list[tables.Box]) -> bool:
    """Within a figure's drawing area (labels, legends, chat bubbles), and not its caption."""
    x0, y0, x1, y1 = block.bbox
    return not _CAPTION.match(block.lines[0].text.strip()) and any(
        x0 >= a[0] - 2 and y0 >= a[1] - 2 and x1 <= a[2] + 2 and y1 <= a[3] + 2 for a in areas
    )


def _rejoin(paras: list[Para], vocab: Vocabulary) -> list[Para]:
    """A paragraph broken by a column or page end (maybe with a float between) is one again."""
    out: list[Para] = []
    last_text: Para | None = None
    for para in paras:
        prev = last_text
        if para.kind == "text" and prev and para.text[:1].islower() and _open_end(prev.text):
            if hyphen_end(prev.text):
                prev.text = vocab.join(prev.text, para.text)
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
    if tables.is_grid(block) or tables.is_row(block):
        return True
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


def _prose_edges(ordered: list[tuple[Block, int]]) -> list[float]:
    """Left edges of the page's paragraphs: where a text column starts."""
    return [
        b.bbox[0]
        for b, _ in ordered
        if len(b.lines) >= 2 and b.bbox[2] - b.bbox[0] >= _MIN_PROSE_WIDTH
    ]


def _short_prose(
    block: Block, body: float, edges: list[float], ordered: list[tuple[Block, int]]
) -> bool:
    """A short line at body size in the text column, alone on its row: the end of a
    paragraph or a lead-in such as "The loss can be written as:", not a cell or a label."""
    if len(block.lines) > 2 or not any(c.isalpha() for c in block.text):
        return False
    x0, top, _, bottom = block.bbox
    if not any(-2 <= x0 - edge <= _PROSE_INDENT for edge in edges):
        return False
    if any(abs(s.size - body) > 0.6 for line in block.lines for s in line.spans if s.text.strip()):
        return False
    return not any(
        other is not block and other.bbox[1] < bottom - 1 and other.bbox[3] > top + 1
        for other, _ in ordered
    )


def _block_paras(block: Block, body: float, vocab: Vocabulary) -> list[Para]:
    """One block, split where a heading line sits on top of body text."""
    lines = _merge_baselines(block.lines)
    split = 0
    # Only the leading heading lines matter, so styles are not worked out for the whole block.
    while split < len(lines) and _style(lines[split], body) == "heading":
        split += 1
    groups = [lines[:split], lines[split:]] if 0 < split < len(lines) else [lines]
    out = []
    for group in groups:
        text = _normalise(_join(group, vocab))
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


def _join(lines: list[Line], vocab: Vocabulary) -> str:
    """Lines into one string, rejoining words the typesetter split with a hyphen."""
    # A list joined once: growing one string line by line is quadratic in long blocks.
    parts: list[str] = []
    for line in lines:
        text = line.text.strip()
        if not text:
            continue
        if parts and hyphen_end(parts[-1]) and text[0].isalnum():
            parts[-1] = vocab.join(parts[-1], text)
        elif len(parts) == 1 and len(parts[0]) == 1 and parts[0].isupper() and text[0].isupper():
            parts[0] += text  # drop cap: "M" + "ULTI-STEP robotic tasks"
        else:
            parts.append(text)
    return " ".join(parts)


def _normalise(text: str) -> str:
    if _ODD_CHARS.search(text):
        text = text.translate(_LIGATURES)
    return " ".join(text.split())
