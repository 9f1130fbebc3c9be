"""What the site renders: a day's digest as readers see it, and each paper's card."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urljoin, urlsplit

from ..core.models import Digest, DigestEntry, Model
from ..stages.render import SECTIONS

# XML 1.0 forbids these outright; in HTML they are parse errors. A title from an API may hold one.
_INVALID_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


class Edition(Model):
    """One day as published: the editors' version when they published one, else the night's."""

    digest: Digest
    edited: bool = False

    @property
    def date(self) -> dt.date:
        return self.digest.date


class Card(Model):
    """One paper, with every URL checked and every text cleaned, ready for a template."""

    anchor: str
    title: str
    url: str
    image: str | None = None
    video: str | None = None
    upvotes: int
    authors: list[str]
    sections: list[tuple[str, str]]


def clean_text(text: str) -> str:
    return _INVALID_CHARS.sub("", text)


def day_page(date: dt.date) -> str:
    """The day's page, relative to the site root (also what Slack links to)."""
    return f"{date.isoformat()}.html"


def paper_anchor(arxiv_id: str) -> str:
    return "p-" + re.sub(r"[^A-Za-z0-9._-]", "-", arxiv_id)


def safe_url(url: str | None, base: str) -> str | None:
    """An http(s) URL, or None: a ``javascript:`` or ``data:`` link is dropped, not escaped.

    Relative thumbnails (HF sends some) are resolved against the Hugging Face site."""
    if not url:
        return None
    absolute = urljoin(base.rstrip("/") + "/", url.strip())
    parts = urlsplit(absolute)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return clean_text(absolute)


def is_video(url: str) -> bool:
    return urlsplit(url).path.lower().endswith((".mp4", ".webm"))


def card(entry: DigestEntry, media_base: str) -> Card:
    media = safe_url(entry.thumbnail, media_base)
    video = media if media and is_video(media) else None
    return Card(
        anchor=paper_anchor(entry.arxiv_id),
        title=clean_text(entry.title),
        url=safe_url(entry.url, "https://arxiv.org") or "https://arxiv.org/",
        image=None if video else media,
        video=video,
        upvotes=entry.upvotes,
        authors=[clean_text(a) for a in entry.authors],
        sections=[(label, clean_text(getattr(entry.summary, f))) for f, label in SECTIONS],
    )
