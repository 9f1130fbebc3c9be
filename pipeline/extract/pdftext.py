"""Open a PDF and read its text as pages of blocks, lines and spans.

The only module that talks to PyMuPDF's text API: everything downstream works on the plain
dataclasses defined here, so layout rules can be tested without a PDF.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pymupdf

from pipeline.errors import ExtractionError

# Ligatures expanded, hyphens at line ends joined by MuPDF where it can. No TEXT_MEDIABOX_CLIP:
# text placed outside the page is a hiding trick we want to see, not have silently dropped.
TEXT_FLAGS = (
    (pymupdf.TEXTFLAGS_TEXT | pymupdf.TEXT_DEHYPHENATE)
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
        self.text = "".join(s.text for s in self.spans)


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
    type3_fonts: frozenset[str] = field(default_factory=frozenset)
    images: list[tuple[float, float, float, float]] = field(default_factory=list)


def open_pdf(data: bytes, label: str) -> pymupdf.Document:
    """Open ``data`` or raise ExtractionError with a sentence saying what is wrong with it."""
    if b"%PDF-" not in data[:1024]:
        # MuPDF turns almost anything into an empty "repaired" PDF, so check the header first.
        raise ExtractionError(label, "the file is not a PDF (no %PDF header); check the download")
    if b"%%EOF" not in data[-2048:]:
        # MuPDF silently rebuilds a cut-off file from whatever objects survive; the pages it
        # recovers are a random subset, so we treat the file as unreadable instead.
        problem = "the PDF file is truncated (no end-of-file marker); download it again"
        try:
            pymupdf.open(stream=data, filetype="pdf").close()
        except Exception as exc:
            raise ExtractionError(label, problem) from exc
        raise ExtractionError(label, problem)
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
        blocks = [b for b in (_block(page.number, rb) for rb in raw["blocks"]) if b.lines]
        images = [tuple(rb["bbox"]) for rb in raw["blocks"] if rb.get("type") == 1]
        pages.append(
            Page(
                number=page.number,
                width=page.rect.width,
                height=page.rect.height,
                blocks=blocks,
                type3_fonts=_type3_fonts(page, blocks),
                images=images,
            )
        )
    return pages


def _block(number: int, raw: dict[str, object]) -> Block:
    if raw.get("type") != 0:
        return Block(number, [], (0.0, 0.0, 0.0, 0.0))
    lines = []
    for rl in raw["lines"]:  # type: ignore[attr-defined]
        spans = [_span(rs) for rs in rl["spans"] if rs["text"]]
        if spans:
            dx, dy = rl["dir"]
            lines.append(Line(spans, tuple(rl["bbox"]), abs(dy) < 0.1 and dx > 0))
    return Block(number, lines, tuple(raw["bbox"]))  # type: ignore[arg-type]


def _span(rs: dict[str, object]) -> Span:
    char_flags = int(rs.get("char_flags", _FILLED))  # type: ignore[call-overload]
    font_flags = int(rs["flags"])  # type: ignore[call-overload]
    return Span(
        text=str(rs["text"]),
        size=float(rs["size"]),  # type: ignore[arg-type]
        bold=bool(font_flags & _BOLD_FONT or char_flags & _BOLD_CHAR),
        color=int(rs["color"]),  # type: ignore[call-overload]
        alpha=int(rs.get("alpha", 255)),  # type: ignore[call-overload]
        painted=bool(char_flags & (_FILLED | _STROKED)),
        font=str(rs["font"]),
        bbox=tuple(rs["bbox"]),  # type: ignore[arg-type]
    )


def _type3_fonts(page: pymupdf.Page, blocks: list[Block]) -> frozenset[str]:
    """Type3 fonts report no fill and zero alpha although they are drawn (matplotlib uses them)."""
    if all(s.painted for b in blocks for line in b.lines for s in line.spans):
        return frozenset()
    # Span font names drop the subset prefix ("ABCDEF+") that get_fonts() keeps.
    names = {f[3].split("+", 1)[-1] for f in page.get_fonts() if f[2] == "Type3"}
    return frozenset(names | {"Unnamed-T3"})


def dark_fills(doc: pymupdf.Document, number: int) -> list[tuple[float, float, float, float]]:
    """Areas painted in a non-white colour, over which white text is legitimately visible."""
    rects = []
    for path in doc[number].get_drawings():
        fill = path.get("fill")
        if fill and min(fill) < 0.85:
            rects.append(tuple(path["rect"]))
    return rects
