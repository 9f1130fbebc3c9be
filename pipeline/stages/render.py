"""Stage 5: the digest, as the published Markdown newsletter and as JSON. Pure functions.

Everything from the outside world is escaped on its way in (see ``escaping``): titles and author
names come from whoever submitted the paper, URLs from the listing, sections from a model. Only
what would act is escaped, so the raw file reads as the model and the authors wrote it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

from ..core.escaping import escape_html, escape_inline, escape_text, safe_url
from ..core.models import SECTION_TITLES, Digest, DigestEntry, PaperRecord, Status

SECTIONS = tuple(SECTION_TITLES.items())


def abs_url(arxiv_id: str) -> str:
    return f"https://arxiv.org/abs/{arxiv_id}"


def _media(url: str) -> str:
    if url.lower().split("?", 1)[0].endswith(".mp4"):
        return (
            f"[Watch Video]({url})\n"
            f'<div><video controls src="{escape_html(url)}" muted="false"></video></div>\n\n'
        )
    return f"![]({url})\n\n"


def render_entry(entry: DigestEntry) -> str:
    parts = [f"### [{escape_text(entry.title)}]({entry.url})\n\n"]
    thumbnail = safe_url(entry.thumbnail)
    if thumbnail:
        parts.append(_media(thumbnail))
    parts.append(f"Vote: {entry.upvotes}\n\n")
    # One line, escaped as a whole: emphasis could pair across two names.
    parts.append(f"Authors: {escape_inline(', '.join(entry.authors))}\n\n")
    for field, label in SECTIONS:
        parts.append(f"- **{label}**: {escape_inline(getattr(entry.summary, field))}\n")
    parts.append("\n")
    return "".join(parts)


def markdown_head(date: dt.date) -> str:
    return f"## Daily Papers ({date.isoformat()})\n\n"


def render_markdown(digest: Digest) -> str:
    return markdown_head(digest.date) + "".join(render_entry(e) for e in digest.papers)


# digest.json piece by piece, byte for byte what ``Digest.model_dump_json(indent=2)`` writes: its
# head up to the papers' list, each entry indented one level more, and the end.
_PAPERS_OPEN = '"papers": ['


def json_head(date: dt.date) -> str:
    empty = Digest(date=date, papers=[]).model_dump_json(indent=2)
    return empty[: empty.index(_PAPERS_OPEN) + len(_PAPERS_OPEN)]


def json_entry(entry: DigestEntry, first: bool) -> str:
    # JSON strings hold no raw newline, so every line of the entry is indented alike.
    body = entry.model_dump_json(indent=2).replace("\n", "\n    ")
    return ("\n    " if first else ",\n    ") + body


def json_tail(entries: int) -> str:
    return ("\n  ]" if entries else "]") + "\n}\n"


def render_json(digest: Digest) -> str:
    papers = digest.papers
    entries = "".join(json_entry(e, first=i == 0) for i, e in enumerate(papers))
    return json_head(digest.date) + entries + json_tail(len(papers))


def digest_entries(records: Iterable[PaperRecord]) -> Iterator[DigestEntry]:
    """The publishable papers, in the order given (the caller sorts by votes)."""
    for r in records:
        if r.status is Status.OK and r.summary is not None:
            yield DigestEntry(
                arxiv_id=r.paper.arxiv_id,
                title=r.paper.title,
                url=abs_url(r.paper.arxiv_id),
                thumbnail=safe_url(r.paper.thumbnail),  # records from before the listing checked
                upvotes=r.paper.upvotes,
                authors=r.paper.authors,
                summary=r.summary,
                provenance=r.provenance,
            )


def build_digest(date: dt.date, records: Iterable[PaperRecord]) -> Digest:
    return Digest(date=date, papers=list(digest_entries(records)))
