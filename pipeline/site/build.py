"""The site as files: read the store, render every page, write what changed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..core.errors import StoreError
from ..store import Store, atomic_write
from .feed import render_feed
from .model import Edition, day_page
from .pages import ROBOTS, favicon, newest_first, render_day, render_index, stylesheet


def load_edition(store: Store, date: dt.date) -> Edition | None:
    """The day as readers get it: the editors' published digest when there is one, else the
    night's digest; None when the day has neither or no paper in it."""
    published = store.load_published(date)
    digest = published or store.load_digest(date)
    if digest is None or not digest.papers:
        return None
    return Edition(digest=digest, edited=published is not None)


def load_editions(store: Store) -> list[Edition]:
    """Every day with something to read, newest first."""
    editions = (load_edition(store, date) for date in store.list_days())
    return [e for e in editions if e is not None]


def build_site(
    editions: list[Edition], *, site_url: str | None, media_base: str, feed_days: int
) -> dict[str, bytes]:
    """Every file of the site by its name relative to the site root. Pure."""
    ordered = newest_first(editions)
    files = {
        "index.html": render_index(ordered, media_base).encode(),
        "style.css": stylesheet().encode(),
        "favicon.svg": favicon(),
        "robots.txt": ROBOTS.encode(),
        "feed.xml": render_feed(ordered, days=feed_days, site_url=site_url, media_base=media_base),
    }
    for i, edition in enumerate(ordered):
        newer = ordered[i - 1] if i > 0 else None
        older = ordered[i + 1] if i + 1 < len(ordered) else None
        html = render_day(edition, media_base, newer, older)
        files[day_page(edition.date)] = html.encode()
    return files


def write_site(out: Path, files: dict[str, bytes]) -> list[str]:
    """Write each file atomically; an unchanged file is left alone (its mtime too, for rsync).

    Returns the names written."""
    written: list[str] = []
    for name, data in files.items():
        path = out / name
        if path.exists() and path.read_bytes() == data:
            continue
        try:
            atomic_write(path, data)
        except OSError as exc:
            raise StoreError(f"cannot write the site file {path}: {exc.strerror}") from exc
        written.append(name)
    return written
