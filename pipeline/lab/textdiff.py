"""A diff of two summaries a person can read: by 어절 (the space-separated units of Korean
text), refined to characters inside a changed run when the two sides are close.

Korean has no word boundaries a word diff could use beyond spaces, and a one-syllable change
(습니다 -> 했습니다) inside a long 어절 would otherwise light up the whole unit.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from typing import Literal

Op = Literal["equal", "insert", "delete"]
Segment = tuple[Op, str]

# An 어절 with the space after it: bare spaces as units would match everywhere and interleave
# two unrelated texts word by word.
_UNITS = re.compile(r"\s+|\S+\s*")
_REFINE_RATIO = 0.5
"""Changed runs at least this similar are diffed by character; others shown as replaced."""


def diff_segments(old: str, new: str) -> list[Segment]:
    """``old`` -> ``new`` as equal/delete/insert runs; joining the equal+delete runs gives
    ``old`` back and the equal+insert runs give ``new``."""
    a, b = _UNITS.findall(old), _UNITS.findall(new)
    segments: list[Segment] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        removed, added = "".join(a[i1:i2]), "".join(b[j1:j2])
        if tag == "equal":
            segments.append(("equal", removed))
        elif tag == "replace" and _close(removed, added):
            segments.extend(_by_character(removed, added))
        else:
            segments.extend([("delete", removed), ("insert", added)])
    return _merged([s for s in segments if s[1]])


REWRITTEN = 0.6
"""Above this changed share a diff is noise: show the new text whole instead."""


def changed_share(segments: list[Segment]) -> float:
    """Characters inserted or deleted / characters in both texts: 0 identical, 1 disjoint."""
    changed = sum(len(text) for op, text in segments if op != "equal")
    total = sum(len(text) * (2 if op == "equal" else 1) for op, text in segments)
    return changed / total if total else 0.0


def _close(old: str, new: str) -> bool:
    return SequenceMatcher(None, old, new, autojunk=False).ratio() >= _REFINE_RATIO


def _by_character(old: str, new: str) -> list[Segment]:
    out: list[Segment] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            out.append(("equal", old[i1:i2]))
        else:
            out.extend([("delete", old[i1:i2]), ("insert", new[j1:j2])])
    return out


def _merged(segments: list[Segment]) -> list[Segment]:
    out: list[Segment] = []
    for op, text in segments:
        if out and out[-1][0] == op:
            out[-1] = (op, out[-1][1] + text)
        else:
            out.append((op, text))
    return out
