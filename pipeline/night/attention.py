"""What an editor must know about a night beyond each paper's status, read from its run.json
rows. Pure functions.

A paper summarised from its abstract only, or whose PDF hides text or instructions, may be
published, but the night is not a plain success: it exits 3 and says how many and why. When
most papers fell back, arXiv (or the way we reach it) is probably broken, and that comes first.
"""

from __future__ import annotations

from collections import Counter

from ..core.models import PaperReport, SkippedEntry
from ..core.wording import plural

FALLBACK = "abstract_fallback"
HIDDEN = frozenset({"hidden_text", "prompt_injection"})
KEPT_PREVIOUS = "kept_previous"
ATTENTION_FLAGS = HIDDEN | {FALLBACK, KEPT_PREVIOUS}
"""Flags that make a night exit 3 even when every paper passed (an unsafe thumbnail URL, left
out of the digest, does not)."""


def needs_attention(rows: list[PaperReport], skipped: list[SkippedEntry]) -> bool:
    flagged = any(f.code in ATTENTION_FLAGS for r in rows for f in r.flags)
    return flagged or bool(skipped)


def fell_back(rows: list[PaperReport]) -> list[PaperReport]:
    return [r for r in rows if any(f.code == FALLBACK for f in r.flags)]


def hidden(rows: list[PaperReport]) -> list[PaperReport]:
    return [r for r in rows if any(f.code in HIDDEN for f in r.flags)]


def _why(row: PaperReport) -> str:
    """The kind of fallback: "PDF unavailable", "arXiv has no record of this id", ..."""
    detail = next(f.detail for f in row.flags if f.code == FALLBACK)
    return detail.split(":", 1)[0]


def fallback_line(rows: list[PaperReport]) -> str | None:
    """How many papers were made from abstracts and why, most common reason first."""
    fallen = fell_back(rows)
    if not fallen:
        return None
    reasons = Counter(_why(r) for r in fallen).most_common()
    why = ", ".join(f"{reason} ({n})" for reason, n in reasons)
    return f"{len(fallen)} of {len(rows)} papers were summarized from the abstract only: {why}"


def most_fell_back_line(rows: list[PaperReport]) -> str | None:
    """The night's headline when more than half of it is abstracts only."""
    fallen = fell_back(rows)
    if not rows or len(fallen) * 2 <= len(rows):
        return None
    reason = Counter(_why(r) for r in fallen).most_common(1)[0][0]
    return (
        f"WARNING: most papers ({len(fallen)} of {len(rows)}) were summarized from the "
        f"abstract only (mostly: {reason}); check arXiv and ARXIV_API_URL before publishing"
    )


def hidden_line(rows: list[PaperReport]) -> str | None:
    found = hidden(rows)
    if not found:
        return None
    ids = ", ".join(r.arxiv_id for r in found[:10])
    which = plural(len(found), "paper has", "papers have")
    return f"{which} hidden text or instructions in their PDF: {ids}"


def skipped_lines(skipped: list[SkippedEntry]) -> list[str]:
    if not skipped:
        return []
    lines = [f"{len(skipped)} listing entries skipped as broken:"]
    for s in skipped:
        name = s.arxiv_id if s.arxiv_id is not None else "(no id)"
        lines.append(f"  skipped: entry {s.index} {name} - {s.reason}")
    return lines
