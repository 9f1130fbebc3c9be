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

from ..core.models import Digest
from ..store import Store
from .render import build_digest, render_json, render_markdown

__all__ = ["Published", "publish_day"]


@dataclass
class Published:
    digest: Digest
    path: Path | None
    """Where digest.md is; None when no paper is finished yet and nothing was written."""
    kept: dict[str, Path] = field(default_factory=dict)
    """Hand-edited files moved aside before writing: name -> where the edited copy is."""


def publish_day(store: Store, date: dt.date, listed: Sequence[str] | None = None) -> Published:
    """Write digest.md and digest.json for ``date`` from the store's finished records.
    ``listed``: the day's arXiv ids in the listing's order, when the caller has them."""
    # One record at a time: an entry keeps the summary, not the record's drafts and replies.
    digest = build_digest(date, store.iter_day_records(date, listed))
    if not digest.papers:
        return Published(digest, None)
    kept: dict[str, Path] = {}
    for name, text in (
        ("digest.md", render_markdown(digest)),
        ("digest.json", render_json(digest)),
    ):
        moved = store.publish(date, name, text.encode())
        if moved is not None:
            kept[name] = moved
    return Published(digest, store.digest_path(date), kept)
