"""Text a reader cannot see, and instructions aimed at an LLM instead of a reader.

Both are taken out of what the LLM reads and reported as flags for the editor.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from pipeline.core.models import Flag
from pipeline.extract.pdftext import Page, Shown, Span

Rect = tuple[float, float, float, float]
TINY_PT = 2.0
# Every channel >= 0xF0 exactly when each byte's high nibble is all ones.
_NEAR_WHITE_MASK = 0xF0F0F0
# Above this share of the document, invisible text is an OCR layer over scans, not a trick.
_OCR_LAYER_SHARE = 0.5
_WORD = re.compile(r"[^\W\d_]{3,}")
_MIN_WORDS = 4
# Lines lie on top of each other this often only where a figure hides sub-plots behind a clip
# path (MONAQ's tick labels); then the page is read again with clipping applied.
_MIN_OVERLAPS = 10
_CUES = ("ignore", "disregard", "forget", "review", "do not", "recommend", "instruction", "you are")

INJECTION = re.compile(
    r"\b(?:ignore|disregard|forget)\s+(?:all\s+|any\s+)?(?:the\s+|your\s+)?"
    r"(?:previous|prior|above|earlier|preceding|former)\s+(?:instructions?|prompts?|directions?)"
    r"|\b(?:give|write|provide|generate|output)\s+(?:it\s+|this\s+paper\s+)?(?:a|an)\s+"
    r"(?:very\s+|highly\s+|strongly\s+)?(?:positive|favou?rable|glowing)\s+review"
    r"|\bdo\s+not\s+(?:highlight|mention|point\s+out|discuss)\s+(?:any\s+)?"
    r"(?:negatives|weaknesses|limitations|flaws)"
    r"|\brecommend\s+(?:accepting|acceptance\s+of|to\s+accept)\s+(?:this|the)\s+(?:paper|work)"
    r"|\b(?:for|to)\s+(?:llm|ai)\s+reviewers?\b"
    r"|\bnew\s+instructions?\s*:"
    r"|\byou\s+are\s+(?:an?\s+)?(?:ai|llm|language\s+model)\b",
    re.IGNORECASE,
)


@dataclass(slots=True)
class _Found:
    reason: str
    page: int
    texts: list[str]


def strip_hidden(
    pages: list[Page], fills: Callable[[int], list[Rect]], shown: Callable[[int], Shown]
) -> list[Flag]:
    """Remove invisible spans from ``pages`` in place; one flag per page and kind of hiding.

    ``fills(page_number)`` gives the dark areas of a page; it is called only for pages with
    white text, because reading vector drawings costs as much as reading the text.
    ``shown(page_number)`` tells where text survives clipping; it is called only for pages
    whose blocks lie on top of each other, for the same reason.
    """
    ocr_layer = _invisible_share(pages) > _OCR_LAYER_SHARE
    found: dict[tuple[int, str], _Found] = {}
    for page in pages:
        dark: list[Rect] | None = None
        visible = shown(page.number) if _overlaps(page) >= _MIN_OVERLAPS else None
        width, height = page.width, page.height
        for block in page.blocks:
            for line in block.lines:
                kept = []
                for span in line.spans:
                    x0, y0, x1, y1 = span.bbox
                    # Nearly every span is plainly visible: settle that inline, without a call.
                    if (
                        span.painted
                        and span.alpha
                        and span.size >= TINY_PT
                        and x1 > 0
                        and y1 > 0
                        and x0 < width
                        and y0 < height
                        and span.color & _NEAR_WHITE_MASK != _NEAR_WHITE_MASK
                        and (visible is None or _visible(span, visible))
                    ):
                        kept.append(span)
                        continue
                    reason = _reason(span, page, ocr_layer)
                    if reason is None and visible is not None and not _visible(span, visible):
                        reason = "clipped"
                    if reason == "white":
                        dark = fills(page.number) if dark is None else dark
                        reason = None if _covered(span.bbox, dark) else reason
                    if reason is None:
                        kept.append(span)
                    elif span.text.strip():
                        key = (page.number, reason)
                        found.setdefault(key, _Found(reason, page.number, [])).texts.append(
                            span.text
                        )
                if len(kept) != len(line.spans):
                    line.spans = kept
                    line.text = "".join(s.text for s in kept)
            block.keep([line for line in block.lines if line.spans])
        page.blocks = [b for b in page.blocks if b.lines]
    return [flag for f in found.values() for flag in _flags(f)]


def _reason(span: Span, page: Page, ocr_layer: bool) -> str | None:
    if not span.text.strip():
        return None
    unpainted = not span.painted or span.alpha == 0
    if unpainted and not ocr_layer and span.font not in page.type3_fonts:
        return "invisible"
    if span.size < TINY_PT:
        return "tiny"
    x0, y0, x1, y1 = span.bbox
    if x1 <= 0 or y1 <= 0 or x0 >= page.width or y0 >= page.height:
        return "off-page"
    if span.color & _NEAR_WHITE_MASK == _NEAR_WHITE_MASK:
        return "white"
    return None


def _overlaps(page: Page) -> int:
    """Pairs of blocks covering each other by more than half the smaller one."""
    boxes = sorted((block.bbox for block in page.blocks), key=lambda box: box[1])
    count = 0
    for i, (x0, y0, x1, y1) in enumerate(boxes):
        for ax0, ay0, ax1, ay1 in boxes[i + 1 :]:
            if ay0 >= y1 - 1:
                break  # sorted by top: no later box reaches up into this one
            width = min(x1, ax1) - max(x0, ax0)
            if width > 1:
                smaller = min((x1 - x0) * (y1 - y0), (ax1 - ax0) * (ay1 - ay0))
                count += width * (min(y1, ay1) - ay0) > 0.5 * smaller
    return count


def _visible(span: Span, shown: Shown) -> bool:
    """Some of the span survives clipping: the clipped read has its text, or part of it, in
    the same place (clipped tick labels often share a baseline with visible body text)."""
    x0, _, x1, y1 = span.bbox
    base = round(y1)
    text = span.text.strip()
    return any(
        a < x1 - 0.5 and b > x0 + 0.5 and (kept in text or text in kept)
        for key in (base - 1, base, base + 1)
        for a, b, kept in shown.get(key, ())
    )


def _invisible_share(pages: list[Page]) -> float:
    total = hidden = 0
    for page in pages:
        for block in page.blocks:
            for line in block.lines:
                total += len(line.text)
                # Pages without Type3 fonts have every span painted (see pdftext.read_pages),
                # so only the others need looking at span by span.
                if page.type3_fonts:
                    for span in line.spans:
                        if not span.painted and span.font not in page.type3_fonts:
                            hidden += len(span.text)
    return hidden / total if total else 0.0


def _covered(bbox: Rect, painted: list[Rect]) -> bool:
    cx, cy = (bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2
    return any(r[0] <= cx <= r[2] and r[1] <= cy <= r[3] for r in painted)


def _flags(found: _Found) -> list[Flag]:
    text = " ".join(" ".join(found.texts).split())
    page = found.page + 1
    match = INJECTION.search(text)
    flags = []
    # Figures hide stray tick labels and symbols too; a message needs words. Clipped text is
    # mostly a figure's hidden sub-plots: only an instruction in it is worth an editor's time.
    worded = found.reason != "clipped" and len(_WORD.findall(text)) >= _MIN_WORDS
    if match or worded:
        flags.append(
            Flag(code="hidden_text", detail=f'{found.reason} text: "{excerpt(text)}"', page=page)
        )
    if match:
        flags.append(
            Flag(
                code="prompt_injection",
                detail=f'hidden instruction: "{excerpt(text, match.start())}"',
                page=page,
            )
        )
    return flags


def scrub_injections(text: str, page: int) -> tuple[str, list[Flag]]:
    """Drop the sentences of ``text`` that address an LLM; flag each one."""
    low = text.lower()
    # Substring tests are many times faster than the pattern and rule out most paragraphs.
    if not any(cue in low for cue in _CUES) or not INJECTION.search(text):
        return text, []
    flags = []
    kept = []
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        match = INJECTION.search(sentence)
        if match:
            detail = f'instruction to an LLM: "{excerpt(sentence, match.start())}"'
            flags.append(Flag(code="prompt_injection", detail=detail, page=page + 1))
        else:
            kept.append(sentence)
    return " ".join(kept), flags


def excerpt(text: str, start: int = 0, width: int = 80) -> str:
    begin = max(0, start - 10)
    cut = text[begin : begin + width].strip()
    prefix = "…" if begin else ""
    suffix = "…" if begin + width < len(text) else ""
    return f"{prefix}{cut}{suffix}"
