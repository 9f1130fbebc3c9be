"""Stage 5: the digest, as the published Markdown newsletter and as JSON. Pure functions."""

from __future__ import annotations

import datetime as dt

from .models import SECTION_TITLES, Digest, DigestEntry, PaperRecord, Status

SECTIONS = tuple(SECTION_TITLES.items())


def abs_url(arxiv_id: str) -> str:
    return f"https://arxiv.org/abs/{arxiv_id}"


def _link_text(title: str) -> str:
    # A bracket in a title would end the Markdown link early.
    return title.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


def _media(url: str) -> str:
    if url.lower().split("?", 1)[0].endswith(".mp4"):
        return (
            f"[Watch Video]({url})\n"
            f'<div><video controls src="{url}" muted="false"></video></div>\n\n'
        )
    return f"![]({url})\n\n"


def render_entry(entry: DigestEntry) -> str:
    parts = [f"### [{_link_text(entry.title)}]({entry.url})\n\n"]
    if entry.thumbnail:
        parts.append(_media(entry.thumbnail))
    parts.append(f"Vote: {entry.upvotes}\n\n")
    parts.append(f"Authors: {', '.join(entry.authors)}\n\n")
    for field, label in SECTIONS:
        parts.append(f"- **{label}**: {getattr(entry.summary, field)}\n")
    parts.append("\n")
    return "".join(parts)


def render_markdown(digest: Digest) -> str:
    header = f"## Daily Papers ({digest.date.isoformat()})\n\n"
    return header + "".join(render_entry(e) for e in digest.papers)


def render_json(digest: Digest) -> str:
    return digest.model_dump_json(indent=2) + "\n"


def build_digest(date: dt.date, records: list[PaperRecord]) -> Digest:
    """The publishable papers, in the order given (the caller sorts by votes)."""
    entries = [
        DigestEntry(
            arxiv_id=r.paper.arxiv_id,
            title=r.paper.title,
            url=abs_url(r.paper.arxiv_id),
            thumbnail=r.paper.thumbnail,
            upvotes=r.paper.upvotes,
            authors=r.paper.authors,
            summary=r.summary,
            provenance=r.provenance,
        )
        for r in records
        if r.status is Status.OK and r.summary is not None
    ]
    return Digest(date=date, papers=entries)
