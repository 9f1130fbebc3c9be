"""Character-level diffs of Korean text, for candidates and revision history.

Korean has no English-style words to diff by: an edit often changes a particle or an ending
inside an 어절 (a space-separated unit). Texts are aligned by 어절 and small replacements refined
by character, so "방법을" -> "방법은" shows one changed character, while a rewritten sentence
reads as one deletion and one insertion instead of confetti.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel

Op = Literal["equal", "insert", "delete"]
_EOJEOL = re.compile(r"\S+\s*|\s+")  # an 어절 with the space after it


class Segment(BaseModel):
    op: Op
    text: str


def diff_text(old: str, new: str) -> list[Segment]:
    """``old`` -> ``new`` as equal/delete/insert segments.

    Aligned by 어절 first; a replaced run of one or two 어절 is refined by character, so a
    changed particle or ending shows as just that, while a rewritten phrase stays whole."""
    a, b = _EOJEOL.findall(old), _EOJEOL.findall(new)
    segments: list[Segment] = []
    for tag, i1, i2, j1, j2 in _opcodes(a, b):
        before, after = "".join(a[i1:i2]), "".join(b[j1:j2])
        if tag == "equal":
            _append(segments, "equal", before)
        elif tag == "replace" and max(i2 - i1, j2 - j1) <= 3:
            for ctag, c1, c2, d1, d2 in _opcodes(list(before), list(after)):
                if ctag == "equal":
                    _append(segments, "equal", before[c1:c2])
                else:
                    _append(segments, "delete", before[c1:c2])
                    _append(segments, "insert", after[d1:d2])
        else:
            _append(segments, "delete", before)
            _append(segments, "insert", after)
    return segments


def _opcodes(a: list[str], b: list[str]) -> Sequence[tuple[str, int, int, int, int]]:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()


def _append(segments: list[Segment], op: Op, text: str) -> None:
    if not text:
        return
    if segments and segments[-1].op == op:
        segments[-1] = Segment(op=op, text=segments[-1].text + text)
    else:
        segments.append(Segment(op=op, text=text))
