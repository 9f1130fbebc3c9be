"""Contents pages: a run of entries ending in page numbers, with or without dot leaders, that may
go on over a page break.

A table of contents is told apart from text by its rows, not by its leaders: LaTeX sets section
entries without leaders ("C Full Formulas of MLA 31") and the run often ends on the next page,
where only a few entries are left ("B.1 Model Description . . . 29"). A row is the lines sharing
a baseline (MuPDF splits "2.1", "Overview . . .", "5" into separate lines, often blocks).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.extract.pdftext import Line, Page

_MIN_ENTRIES = 5
_MAX_GAP_ROWS = 1  # a wrapped entry title or an "Appendix" label between entries
_MAX_GAP_WORDS = 14
_PAGE_SLACK = 10  # printed page numbers may run a little past the PDF's page count
_MAX_ENTRY_CHARS = 160
_MIN_PAGES = 3
_MIN_ENTRY_WORDS = 3  # on average, counting the number and the page: "2 Method 4"
_ENDS_IN_NUMBER = re.compile(r"\d$")
_ENTRY = re.compile(
    r"^(?:(?:[A-Z]|\d{1,2}|[IVX]{1,5})(?:\.\d{1,2})*\.?\s+)?"  # "2.1", "B", "IV."
    r"(?P<title>.*?[A-Za-z]{2}.*?)"
    r"(?:\s*(?:[.…·](?:\s?)){2,})?"  # leaders, if any
    r"\s+(?P<page>\d{1,4})$"
)
_LEADERS = re.compile(r"(?:[.…·]\s?){3,}\s*\d{1,4}$")
_STANDALONE_NUMBER = re.compile(r"(?<!\S)[-+]?\d[\d.,%]*(?!\S)")
_TITLE = re.compile(r"^(?:table\s+of\s+)?contents(?:\s*\(cont(?:inued|\.)?\))?$", re.I)


@dataclass(slots=True)
class _Row:
    lines: list[Line]
    text: str
    page: int | None  # the page number an entry points to; None for other rows
    apart: bool = False  # the number is set apart: a line of its own, or after leaders


def contents_lines(pages: list[Page], dropped: list[set[int]]) -> list[set[int]]:
    """Per page, the ids of the lines that belong to a table of contents. ``dropped`` holds the
    lines already known to be furniture (headers, page numbers), which the rows leave out."""
    found: list[set[int]] = []
    carried = False  # the previous page's contents ran to its end
    for page, drop in zip(pages, dropped, strict=True):
        lines: set[int] = set()
        if not _may_hold_contents(page, 1 if carried else _MIN_ENTRIES):
            found.append(lines)
            carried = False
            continue
        rows = _rows(page, drop)
        carried_next = False
        for start, end in _runs(rows, len(pages), carried):
            first = start - 1 if start and _TITLE.match(rows[start - 1].text) else start
            for row in rows[first : end + 1]:
                lines.update(id(line) for line in row.lines)
            carried_next = end >= len(rows) - 1 - _MAX_GAP_ROWS
        found.append(lines)
        carried = carried_next
    return found


def _may_hold_contents(page: Page, least: int) -> bool:
    """At least ``least`` lines that could end an entry: page numbers set apart at the right,
    aligned on their right edge, or entries with their leaders in one line. Most pages have
    none, and grouping rows costs a sort; the cheap tests come first."""
    right = page.width * 0.5
    aligned: dict[int, int] = {}
    leaders = 0
    for block in page.blocks:
        for line in block.lines:
            text = line.text
            if text[-1:] == " ":
                text = text.rstrip()
            if not text[-1:].isdigit():
                continue
            if len(text) <= 4 and line.bbox[0] > right and text.lstrip().isdigit():
                edge = round(line.bbox[2] / 3)
                aligned[edge] = aligned.get(edge, 0) + 1
            elif (". ." in text or ".." in text or "…" in text) and _ENTRY.match(text.lstrip()):
                leaders += 1
    return leaders + max(aligned.values(), default=0) >= least


def _rows(page: Page, drop: set[int]) -> list[_Row]:
    """The page's lines grouped by baseline, top to bottom, each row read left to right."""
    lines = sorted(
        (
            line
            for block in page.blocks
            for line in block.lines
            if line.horizontal and id(line) not in drop and line.text.strip()
        ),
        key=lambda line: line.bbox[3],
    )
    groups: list[list[Line]] = []
    for line in lines:
        if groups and line.bbox[3] - groups[-1][0].bbox[3] < 2:
            groups[-1].append(line)
        else:
            groups.append([line])
    rows = []
    for group in groups:
        group.sort(key=lambda line: line.bbox[0])
        text = " ".join(" ".join(line.text.split()) for line in group)
        apart = group[-1].text.strip().isdigit() or _LEADERS.search(text) is not None
        rows.append(_Row(group, text, _entry_page(text), apart))
    return rows


def _entry_page(text: str) -> int | None:
    """The page number when ``text`` reads as a contents entry; a table row is not one, since
    it has numbers of its own before the last."""
    if len(text) > _MAX_ENTRY_CHARS or not _ENDS_IN_NUMBER.search(text):
        return None
    match = _ENTRY.match(text)
    if not match:
        return None
    numbers = _STANDALONE_NUMBER.findall(match["title"])
    # "Stage 2 Training" has one small number; a table row has measurements.
    if len(numbers) > 1 or any(not n.isdigit() or len(n) > 2 for n in numbers):
        return None
    return int(match["page"])


def _reads_as_contents(entries: list[_Row]) -> bool:
    """Titles of a few words pointing to several pages, not a table's name and count column
    ("Base 12", "Large 24")."""
    pages = {row.page for row in entries}
    words = sum(len(row.text.split()) for row in entries) / len(entries)
    return len(pages) >= _MIN_PAGES and words >= _MIN_ENTRY_WORDS


def _runs(rows: list[_Row], page_count: int, carried: bool) -> list[tuple[int, int]]:
    """(first, last) row indexes of each run of entries whose page numbers never go down.

    A run needs several entries, except at the top of a page right after a contents page,
    where the run goes on and one entry is enough."""
    runs: list[tuple[int, int]] = []
    start = last = -1
    previous = 0

    def close() -> None:
        entries = [row for row in rows[start : last + 1] if row.page is not None]
        # Only entries that look like one go on from the page before: a first body line may
        # end in a number too ("... shown in Figure 2").
        goes_on = carried and start <= _MAX_GAP_ROWS and all(row.apart for row in entries)
        if goes_on or (len(entries) >= _MIN_ENTRIES and _reads_as_contents(entries)):
            runs.append((start, last))

    for i, row in enumerate(rows):
        entry = row.page is not None and row.page <= page_count + _PAGE_SLACK
        in_reach = last >= 0 and i - last - 1 <= _MAX_GAP_ROWS
        if entry and in_reach and (row.page or 0) >= previous:
            last, previous = i, row.page or 0
            continue
        if not entry and in_reach and len(row.text.split()) <= _MAX_GAP_WORDS:
            continue  # a wrapped title or a label: the run may go on below it
        if last >= 0:
            close()
            start = last = -1
        if entry:
            start = last = i
            previous = row.page or 0
    if last >= 0:
        close()
    return runs
