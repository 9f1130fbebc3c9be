"""What an extraction found, for `run.py extract`: a dict for --json, a table for people."""

from __future__ import annotations

from typing import Any

from pipeline.core.models import Extraction
from pipeline.core.wording import plural


def extraction_report(extraction: Extraction) -> dict[str, Any]:
    return {
        "title": extraction.title,
        "sections": [s.model_dump() for s in extraction.sections],
        "context": {
            "tokens": extraction.context_tokens,
            "kept": list(extraction.kept),
            "shortened": list(extraction.shortened),
            "dropped": list(extraction.dropped),
        },
        "flags": [f.model_dump() for f in extraction.flags],
    }


def format_report(extraction: Extraction) -> str:
    width = max([len("section"), *(len(s.name) for s in extraction.sections)])
    width = min(width, 50)
    lines = [
        f"title: {extraction.title or '(not found)'}",
        f"pages: {extraction.pages}   usable: {'yes' if extraction.usable else 'no'}",
        "",
        f"{'section':<{width}}  {'chars':>7}  {'tokens':>7}  context",
    ]
    kept = set(extraction.kept)
    for s in extraction.sections:
        cut = s.name in extraction.shortened
        mark = "shortened" if cut else "kept" if s.name in kept else "dropped"
        lines.append(f"{s.name[:width]:<{width}}  {s.chars:>7}  {s.tokens:>7}  {mark}")
    if not extraction.sections:
        lines.append("(no sections found)")
    shortened = len(extraction.shortened)
    note = f" ({plural(shortened, 'section')} shortened to fit)" if shortened else ""
    lines += ["", f"context: {extraction.context_tokens} tokens{note}"]
    lines.append(f"kept: {', '.join(extraction.kept) or '-'}")
    lines.append(f"shortened: {', '.join(extraction.shortened) or '-'}")
    lines.append(f"dropped: {', '.join(extraction.dropped) or '-'}")
    lines.append("flags:" if extraction.flags else "flags: none")
    for flag in extraction.flags:
        where = f" (page {flag.page})" if flag.page else ""
        lines.append(f"  {flag.code}{where}: {flag.detail}")
    return "\n".join(lines)
