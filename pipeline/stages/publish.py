"""Stage 6: the day's digest, from every finished record of the day in the store.

Whatever one run touched (a ``--limit``, a resumed night, an editor's change), the digest is
rebuilt from all of the day's records, in vote order. A digest someone edited by hand is kept
aside, never overwritten silently.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..store import Store
from .render import digest_entries, json_entry, json_head, json_tail, markdown_head, render_entry

__all__ = ["Published", "publish_day"]


@dataclass
class Published:
    papers: int
    """How many papers the digest holds."""
    path: Path | None
    """Where digest.md is; None when no paper is finished yet and nothing was written."""
    kept: dict[str, Path] = field(default_factory=dict)
    """Hand-edited files moved aside before writing: name -> where the edited copy is."""


def publish_day(store: Store, date: dt.date, listed: Sequence[str] | None = None) -> Published:
    """Write digest.md and digest.json for ``date`` from the store's finished records, one record
    at a time: a long day's digest is never in memory whole. ``listed``: the day's arXiv ids in
    the listing's order, when the caller has them."""
    papers = 0
    with (
        store.publishing(date, "digest.md") as markdown,
        store.publishing(date, "digest.json") as data,
    ):
        markdown.write(markdown_head(date).encode())
        data.write(json_head(date).encode())
        for entry in digest_entries(store.iter_day_records(date, listed)):
            markdown.write(render_entry(entry).encode())
            data.write(json_entry(entry, first=papers == 0).encode())
            papers += 1
        data.write(json_tail(papers).encode())
        if not papers:
            markdown.discard()
            data.discard()
    if not papers:
        return Published(0, None)
    kept = {f.path.name: f.kept for f in (markdown, data) if f.kept is not None}
    return Published(papers, store.digest_path(date), kept)
