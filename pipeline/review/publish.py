"""Publishing a reviewed day: ``published.md`` in digest.md's format, approved papers only.

A day is published only when every paper is decided (approved or excluded). Each publication
that changes the text is a new version; earlier versions stay on disk and in the database.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

from pydantic import Field

from ..core.errors import ReviewRefused
from ..core.models import Digest, PaperRecord, Status
from ..core.wording import clip, plural
from ..stages.render import build_digest, render_markdown
from .actions import checked_editor
from .db import mapped, transaction
from .editorial import Editorial
from .models import Origin, PaperState, Publication, State


class PublishedDigest(Digest):
    """published.json: the digest plus which version this is and who published it."""

    version: int
    published_at: dt.datetime
    published_by: str
    approved_by: dict[str, str] = Field(default_factory=dict)
    """arXiv id -> the editor who approved that paper's text."""


def undecided(papers: list[PaperState]) -> list[PaperState]:
    return [p for p in papers if not p.state.decided]


def approved_digest(date: dt.date, papers: list[PaperState]) -> Digest:
    """The approved papers' current text through the nightly renderer, in vote order.

    A text that is not the night's carries its revision's time, so readers' feeds see the
    correction as an update."""
    records, revised = [], {}
    for paper in papers:
        revision = paper.current_revision
        if paper.state is State.APPROVED and revision is not None:
            records.append(
                PaperRecord(
                    paper=paper.paper,
                    status=Status.OK,
                    summary=revision.summary,
                    provenance=revision.provenance,
                )
            )
            if revision.origin is not Origin.NIGHT:
                revised[paper.arxiv_id] = revision.created_at
    digest = build_digest(date, records)
    for entry in digest.papers:
        entry.revised_at = revised.get(entry.arxiv_id)
    return digest


@mapped(lambda editorial: editorial.path)
def last_publication(editorial: Editorial, date: dt.date) -> sqlite3.Row | None:
    row: sqlite3.Row | None = editorial.conn.execute(
        "SELECT version, published_at, editor, markdown FROM publications WHERE date = ? "
        "ORDER BY version DESC LIMIT 1",
        (date.isoformat(),),
    ).fetchone()
    return row


def publish_day(editorial: Editorial, date: dt.date, editor: str) -> Publication:
    """Publish the day: one critical section (the database's write lock) chooses the version,
    writes the files and inserts the row, so two publishes at once get one version each (or
    "unchanged") and the files on disk always equal the newest row. Both doors call it; the
    editor's name is checked here as ``actions.perform`` checks it."""
    return _publish(editorial, date, checked_editor(editor))


@mapped(lambda editorial: editorial.path)
def _publish(editorial: Editorial, date: dt.date, editor: str) -> Publication:
    editorial.open_day(date)
    papers = editorial.day(date)
    if not papers:
        raise ReviewRefused(f"{date} has no papers to publish")
    waiting = undecided(papers)
    if waiting:
        listed = [f"{p.arxiv_id} ({p.state}) {clip(p.paper.title, 60)}" for p in waiting]
        left = plural(len(waiting), "paper is", "papers are")
        raise ReviewRefused(f"{date}: {left} not approved or excluded", listed)
    conn = editorial.conn
    path = editorial.store.day(date) / "published.md"
    with transaction(conn):
        # Read again under the lock: a change saved since the check above would otherwise be
        # published as approved text it is not.
        papers = editorial.day(date)
        if undecided(papers):
            raise ReviewRefused(f"{date}: a paper changed while publishing; publish again")
        digest = approved_digest(date, papers)
        markdown = render_markdown(digest)
        last = last_publication(editorial, date)
        if last is not None and last["markdown"] == markdown:
            return Publication(
                date=date,
                version=last["version"],
                published_at=dt.datetime.fromisoformat(last["published_at"]),
                editor=last["editor"],
                path=str(path),
                papers=len(digest.papers),
                unchanged=True,
            )
        version = (last["version"] if last else 0) + 1
        now = dt.datetime.now(dt.UTC)
        published = PublishedDigest(
            date=date,
            papers=digest.papers,
            version=version,
            published_at=now,
            published_by=editor,
            approved_by={p.arxiv_id: p.updated_by for p in papers if p.state is State.APPROVED},
        )
        # Files inside the lock, before the row: a crash between them leaves files of a
        # version no row names, which the next publish rewrites under the same number.
        editorial.store.save_published(
            date, version, markdown, published.model_dump_json(indent=2) + "\n"
        )
        conn.execute(
            "INSERT INTO publications (date, version, published_at, editor, markdown) "
            "VALUES (?, ?, ?, ?, ?)",
            (date.isoformat(), version, now.isoformat(), editor, markdown),
        )
        conn.execute(
            "INSERT INTO events (date, arxiv_id, at, editor, action, detail) "
            "VALUES (?, NULL, ?, ?, 'publish', ?)",
            (date.isoformat(), now.isoformat(), editor, f"version {version}"),
        )
    return Publication(
        date=date,
        version=version,
        published_at=now,
        editor=editor,
        path=str(path),
        papers=len(digest.papers),
    )
