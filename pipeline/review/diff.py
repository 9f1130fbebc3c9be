"""Character-level diffs of Korean text, for candidates and revision history.

Korean has no English-style words to diff by: an edit often changes a particle or an ending
inside an 어절. A character diff shows exactly that; when most of the text was rewritten, the
diff is taken by 어절 instead, so it reads as whole phrases deleted and inserted, not confetti.
"""

from __future__ import annotations

import difflib
import re
from typing import Literal

from pydantic import BaseModel

Op = Literal["equal", "insert", "delete"]
_EOJEOL = re.compile(r"\s+|\S+")


class Segment(BaseModel):
    op: Op
    text: str


def diff_text(old: str, new: str, unit: Literal["char", "eojeol"] = "char") -> list[Segment]:
    """``old`` -> ``new`` as equal/delete/insert segments, by character or by 어절."""
    a = list(old) if unit == "char" else _EOJEOL.findall(old)
    b = list(new) if unit == "char" else _EOJEOL.findall(new)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    segments: list[Segment] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            _append(segments, "equal", "".join(a[i1:i2]))
            continue
        _append(segments, "delete", "".join(a[i1:i2]))
        _append(segments, "insert", "".join(b[j1:j2]))
    return segments


def korean_diff(old: str, new: str) -> list[Segment]:
    """By character when the texts are mostly alike, by 어절 when they were rewritten."""
    ratio = difflib.SequenceMatcher(None, old, new, autojunk=False).ratio()
    return diff_text(old, new, "char" if ratio >= 0.6 else "eojeol")


def _append(segments: list[Segment], op: Op, text: str) -> None:
    if not text:
        return
    if segments and segments[-1].op == op:
        segments[-1] = Segment(op=op, text=segments[-1].text + text)
    else:
        segments.append(Segment(op=op, text=text))
