"""Front-matter notes that land among the first pages' paragraphs: IEEE's "Manuscript received"
footnote, copyright lines, and author or affiliation blocks set inside the Introduction."""

from __future__ import annotations

import re

from pipeline.extract.clean import Para

_FIRST_PAGES = 2
_MAX_NOTE_WORDS = 90
_NOTE = re.compile(
    r"^(?:manuscript\s+(?:received|submitted)|©|\(c\)\s*\d{4}|copyright\b|\d{4}\s+ieee\b)"
    r"|personal use of this material is permitted|all rights reserved"
    r"|\b(?:is|are)\s+(?:now\s+)?with\s+the\s+(?:department|school|faculty|college|institute"
    r"|laboratory|center|centre|university)"
    r"|\bcorresponding\s+authors?\b|^\W?\s*equal\s+contribution\b",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+|\{[\w.,\s-]+\}@[\w-]+\.")
_AFFILIATION = re.compile(r"universit|institute|laborator|school of|department|college|inc\.|lab\b")


def is_note(para: Para) -> bool:
    """A footnote or author block on the first pages, not text of the paper."""
    if para.page >= _FIRST_PAGES or para.kind not in ("text", "footnote"):
        return False
    text = para.text
    words = text.split()
    if len(words) > _MAX_NOTE_WORDS:
        return False
    if _NOTE.search(text) or _EMAIL.search(text):
        return True
    return _author_line(text, words)


def _author_line(text: str, words: list[str]) -> bool:
    """ "Ada Lovelace1, Alan Turing2 and Grace Hopper" or "1University of X, 2Example Lab"."""
    if len(words) > 40 or text.endswith((".", ":")) or text.count(",") < 2:
        return False
    named = [w for w in words if w not in ("and", "&", "of", "the", "for", "de", "van", "von")]
    capital = sum(1 for w in named if w.lstrip("∗*†‡0123456789,(")[:1].isupper())
    return capital >= 0.85 * len(named) and (
        _AFFILIATION.search(text.lower()) is not None or len(named) <= 24
    )
