"""The Atom feed (RFC 4287): one entry per paper of the latest days. Pure functions.

One entry per paper, not per day: a reader's feed client then lists each paper with its own
title and link, and an entry's id (a tag URI of date and arXiv id) never changes, so editing a
day's text updates entries instead of adding new ones.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from ..core.models import DigestEntry
from .model import Edition, card, clean_text, day_page, paper_anchor
from .pages import SITE_TITLE, midnight, newest_first, render_entry_html

ATOM = "http://www.w3.org/2005/Atom"
FEED_ID = "tag:korean-daily-papers,2024:feed"


def _stamp(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    if text is not None:
        element.text = clean_text(text)
    return element


def entry_id(date: dt.date, arxiv_id: str) -> str:
    return f"tag:korean-daily-papers,{date.isoformat()}:{arxiv_id}"


def entry_updated(date: dt.date, entry: DigestEntry) -> dt.datetime:
    """When the text was made or last revised by an editor (never before the day itself):
    stable across rebuilds, and a correction moves it forward."""
    made = entry.provenance.created_at if entry.provenance else None
    return max(t for t in (midnight(date), made, entry.revised_at) if t is not None)


def _entry(
    feed: ET.Element, edition: Edition, entry: DigestEntry, site_url: str | None, media_base: str
) -> None:
    c = card(entry, media_base)
    node = _sub(feed, "entry")
    _sub(node, "id", entry_id(edition.date, entry.arxiv_id))
    _sub(node, "title", f"[{edition.date.isoformat()}] {c.title}", type="text")
    _sub(node, "updated", _stamp(entry_updated(edition.date, entry)))
    _sub(node, "published", _stamp(midnight(edition.date)))
    if site_url:
        page = f"{site_url.rstrip('/')}/{day_page(edition.date)}#{paper_anchor(entry.arxiv_id)}"
        _sub(node, "link", rel="alternate", type="text/html", href=page)
        _sub(node, "link", rel="related", href=c.url)
    else:
        _sub(node, "link", rel="alternate", href=c.url)
    for name in c.authors:
        _sub(_sub(node, "author"), "name", name)
    _sub(node, "content", render_entry_html(c), type="html")


def render_feed(
    editions: list[Edition], *, days: int, site_url: str | None, media_base: str
) -> bytes:
    """The feed of the latest ``days`` days, newest day first, papers in vote order."""
    latest = newest_first(editions)[:days]
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed", {"xml:lang": "ko"})
    _sub(feed, "id", FEED_ID)
    _sub(feed, "title", SITE_TITLE)
    _sub(feed, "subtitle", "Hugging Face Daily Papers, 한국어 요약")
    stamps = [entry_updated(e.date, p) for e in latest for p in e.digest.papers]
    _sub(feed, "updated", _stamp(max(stamps, default=midnight(dt.date(2024, 1, 1)))))
    _sub(_sub(feed, "author"), "name", SITE_TITLE)
    if site_url:
        base = site_url.rstrip("/")
        _sub(feed, "link", rel="self", type="application/atom+xml", href=f"{base}/feed.xml")
        _sub(feed, "link", rel="alternate", type="text/html", href=f"{base}/index.html")
    for edition in latest:
        for entry in edition.digest.papers:
            _entry(feed, edition, entry, site_url, media_base)
    ET.indent(feed)
    data: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return data + b"\n"
