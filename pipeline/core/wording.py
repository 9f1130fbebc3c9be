"""How a count, a clipped title and a list of reasons read in a line a person reads. Pure.

Every command prints through these, so "1 day", a title cut at a word and "6 failed: 6x model
'x' does not exist" read the same everywhere.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

ELLIPSIS = "…"


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``1 day``, ``2 days``, ``0 days``; ``many`` for irregular nouns (``batch shards``)."""
    return f"{count} {noun if count == 1 else (many or noun + 's')}"


def clip(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters, cut between words with an ellipsis.

    A single word longer than the limit (a long token, Korean without spaces) is cut inside
    the word, since there is nothing else to cut at."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    room = max(limit - len(ELLIPSIS), 1)
    cut = text[: room + 1].rsplit(" ", 1)[0] if " " in text[: room + 1] else text[:room]
    return cut[:room].rstrip(" ,;:-") + ELLIPSIS


def top_reasons(reasons: Iterable[str], limit: int = 3) -> str:
    """The most frequent reasons with their counts, most frequent first:
    ``4x model 'x' does not exist; 2x timeout`` (and ``+N more`` when there are others)."""
    counted = Counter(" ".join(r.split()) for r in reasons if r and r.strip())
    shown = [f"{n}x {reason}" for reason, n in counted.most_common(limit)]
    others = len(counted) - len(shown)
    if others > 0:
        shown.append(f"+{plural(others, 'other reason')}")
    return "; ".join(shown)
