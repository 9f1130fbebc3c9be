"""Is the text layer worth reading? If not, the caller summarises the abstract instead."""

from __future__ import annotations

import re

from pipeline.core.models import Flag
from pipeline.extract.pdftext import Page

_CID = re.compile(r"\(cid:\d+\)")
_MIN_LETTERS = 200
_MIN_CHARS_PER_PAGE = 400
_MAX_CID_SHARE = 0.05
_MAX_REPLACEMENT_SHARE = 0.02
_MIN_LETTER_SHARE = 0.55
_ASCII_NON_LETTERS = bytes(c for c in range(128) if not chr(c).isalpha())
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def gate(pages: list[Page]) -> Flag | None:
    """A flag saying why the text is unusable, or None when it is fine."""
    text = "\n".join(line.text for page in pages for b in page.blocks for line in b.lines)
    visible = "".join(text.split())
    letters = _letters(visible)
    if letters < _MIN_LETTERS:
        detail = f"no text layer: {letters} letters on {len(pages)} pages (scanned?)"
        return Flag(code="no_text", detail=detail)
    cid = sum(len(m) for m in _CID.findall(visible))
    if cid / len(visible) > _MAX_CID_SHARE:
        return Flag(code="garbled_text", detail=f"{cid / len(visible):.0%} is (cid:NN) codes")
    bad = visible.count("\ufffd")
    if bad / len(visible) > _MAX_REPLACEMENT_SHARE:
        return Flag(code="garbled_text", detail=f"{bad} unknown characters (U+FFFD)")
    if letters / len(visible) < _MIN_LETTER_SHARE:
        return Flag(code="garbled_text", detail=f"only {letters / len(visible):.0%} letters")
    if len(visible) < _MIN_CHARS_PER_PAGE * len(pages):
        detail = f"{len(visible)} characters for {len(pages)} pages: most pages have no text"
        return Flag(code="too_little_text", detail=detail)
    return None


def _letters(text: str) -> int:
    """How many characters of ``text`` are letters (str.isalpha), without a call per character.

    The ASCII part is counted by deleting its non-letters in C; only the (few) other characters
    are tested one by one.
    """
    ascii_letters = text.encode("ascii", "ignore").translate(None, _ASCII_NON_LETTERS)
    return len(ascii_letters) + sum(map(str.isalpha, _NON_ASCII.findall(text)))
