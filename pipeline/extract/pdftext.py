"""Open a PDF and read its text as pages of blocks, lines and spans.

The only module that talks to PyMuPDF's text API: everything downstream works on the plain
dataclasses defined here, so layout rules can be tested without a PDF.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pymupdf

from pipeline.core.errors import ExtractionError
from pipeline.core.pdfbytes import pdf_problem

# Ligatures expanded. No TEXT_DEHYPHENATE: MuPDF drops the hyphen of real compounds split at a
# line end ("DeepSeek-R1" -> "DeepSeekR1"); clean.py joins them knowing the paper's vocabulary.
# No TEXT_MEDIABOX_CLIP: text placed outside the page is a hiding trick we want to see, not have
# silently dropped.
TEXT_FLAGS = (
    pymupdf.TEXTFLAGS_TEXT
    & ~pymupdf.TEXT_DEHYPHENATE
    & ~pymupdf.TEXT_PRESERVE_LIGATURES
    & ~pymupdf.TEXT_MEDIABOX_CLIP
)
_FILLED = 16
_STROKED = 32
_BOLD_FONT = 16  # span["flags"] bit
_BOLD_CHAR = 8  # span["char_flags"] bit


@dataclass(slots=True)
class Span:
    text: str
    size: float
    bold: bool
    color: int
    alpha: int
    painted: bool  # filled or stroked; False for render mode 3 (and for Type3 fonts)
    font: str
    bbox: tuple[float, float, float, float]


@dataclass(slots=True)
class Line:
    spans: list[Span]
    bbox: tuple[float, float, float, float]
    horizontal: bool
    text: str = ""  # the spans' text, kept in step by whoever changes the spans

    def __post_init__(self) -> None:
        self.text = "".join([s.text for s in self.spans])  # a list joins faster than a generator


@dataclass(slots=True)
class Block:
    page: int
    lines: list[Line]
    bbox: tuple[float, float, float, float]

    @property
    def text(self) -> str:
        return " ".join(line.text for line in self.lines)

    def keep(self, lines: list[Line]) -> None:
        """Keep only ``lines``; the box shrinks with them so layout sees what is left."""
        if len(lines) == len(self.lines):
            return
        self.lines = lines
        if lines:
            self.bbox = (
                min(line.bbox[0] for line in lines),
                min(line.bbox[1] for line in lines),
                max(line.bbox[2] for line in lines),
                max(line.bbox[3] for line in lines),
            )


@dataclass(slots=True)
class Page:
    number: int  # 0-based
    width: float
    height: float
    blocks: list[Block]
    # Empty when every span on the page is painted; hidden.py relies on that.
    type3_fonts: frozenset[str] = field(default_factory=frozenset)


def open_pdf(data: bytes, label: str) -> pymupdf.Document:
    """Open ``data`` or raise ExtractionError with a sentence saying what is wrong with it."""
    problem = pdf_problem(data)
    if problem and problem.startswith("not a PDF"):
        # MuPDF turns almost anything into an empty "repaired" PDF, so check the header first.
        raise ExtractionError(label, f"the file is {problem}; check the download")
    if problem:
        # MuPDF silently rebuilds a cut-off file from whatever objects survive; the pages it
        # recovers are a random subset, so we treat the file as unreadable instead.
        raise ExtractionError(label, f"the PDF file is {problem}; download it again")
    try:
        doc = pymupdf.open(stream=data, filetype="pdf")
    except Exception as exc:
        raise ExtractionError(label, "the file is not a readable PDF (corrupt or damaged)") from exc
    if doc.needs_pass and not doc.authenticate(""):
        doc.close()
        raise ExtractionError(label, "the PDF is password-protected and cannot be read")
    if doc.page_count == 0:
        doc.close()
        raise ExtractionError(label, "the PDF has no pages")
    return doc


def read_pages(doc: pymupdf.Document, label: str) -> list[Page]:
    pages = []
    for page in doc:
        try:
            # An infinite clip: get_text clips to the page by default, hiding off-page text.
            raw = page.get_text("dict", flags=TEXT_FLAGS, clip=pymupdf.INFINITE_RECT())
        except Exception as exc:
            raise ExtractionError(label, f"page {page.number + 1} could not be read") from exc
        blocks, painted = _blocks(page.number, raw["blocks"])
        rect = page.rect  # a property that asks MuPDF each time
        pages.append(
            Page(
                number=page.number,
                width=rect.width,
                height=rect.height,
                blocks=blocks,
                type3_fonts=frozenset() if painted else _type3_fonts(page),
            )
        )
    return pages


def _blocks(number: int, raw_blocks: list[dict[str, Any]]) -> tuple[list[Block], bool]:
    """The text blocks that have text, and whether every span in them is painted.

    This loop touches every span of the document, so it is written for speed: one pass, no
    helper call per span, and the dict's values used as they come (PyMuPDF already gives
    floats, ints, strings and tuples).
    """
    blocks = []
    all_painted = True
    for rb in raw_blocks:
        if rb.get("type") != 0:
            continue
        lines = []
        for rl in rb["lines"]:
            spans = []
            for rs in rl["spans"]:
                text = rs["text"]
                if not text:
                    continue
                char_flags = rs.get("char_flags", _FILLED)
                painted = bool(char_flags & (_FILLED | _STROKED))
                all_painted = all_painted and painted
                spans.append(
                    Span(
                        text,
                        rs["size"],
                        bool(rs["flags"] & _BOLD_FONT or char_flags & _BOLD_CHAR),
                        rs["color"],
                        rs.get("alpha", 255),
                        painted,
                        rs["font"],
                        rs["bbox"],
                    )
                )
            if spans:
                dx, dy = rl["dir"]
                lines.append(Line(spans, rl["bbox"], abs(dy) < 0.1 and dx > 0))
        if lines:
            blocks.append(Block(number, lines, rb["bbox"]))
    return blocks, all_painted


def _type3_fonts(page: pymupdf.Page) -> frozenset[str]:
    """Type3 fonts report no fill and zero alpha although they are drawn (matplotlib uses them).

    Only asked for on pages with unpainted spans: most pages have none.
    """
    # Span font names drop the subset prefix ("ABCDEF+") that get_fonts() keeps.
    names = {f[3].split("+", 1)[-1] for f in page.get_fonts() if f[2] == "Type3"}
    return frozenset(names | {"Unnamed-T3"})


def dark_fills(doc: pymupdf.Document, number: int) -> list[tuple[float, float, float, float]]:
    """Areas painted in a non-white colour or covered by an image, over which white text is
    legitimately visible. Only asked for pages with white text: both calls are costly."""
    page = doc[number]
    rects = []
    for path in page.get_drawings():
        fill = path.get("fill")
        if fill and min(fill) < 0.85:
            rects.append(tuple(path["rect"]))
    # The dict read runs without TEXT_PRESERVE_IMAGES (3x slower), so images come from here.
    rects.extend(tuple(info["bbox"]) for info in page.get_image_info())
    return rects


Shown = dict[int, list[tuple[float, float, str]]]


def shown_text(doc: pymupdf.Document, number: int) -> Shown:
    """Where text shows once clipping paths are applied: the x-ranges and text of the spans
    MuPDF keeps with its clip flag, by baseline (rounded to a point). A second read costs as
    much as the first, so it is only asked for pages whose text lies on top of other text."""
    raw = doc[number].get_text("dict", flags=TEXT_FLAGS | pymupdf.TEXT_MEDIABOX_CLIP)
    shown: Shown = {}
    for block in raw["blocks"]:
        for line in block.get("lines", ()):
            for span in line["spans"]:
                x0, _, x1, y1 = span["bbox"]
                shown.setdefault(round(y1), []).append((x0, x1, span["text"].strip()))
    return shown
