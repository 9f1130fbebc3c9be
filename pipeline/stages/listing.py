"""Stage 1: the day's papers from the Hugging Face Daily Papers API."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any, TypeVar

import httpx2
from pydantic import BaseModel, ValidationError

from ..core.config import Settings
from ..core.errors import ServiceError
from ..core.escaping import safe_url
from ..core.http import get_bytes
from ..core.models import DailyPaper, Flag, HFDailyEntry, SkippedEntry

T = TypeVar("T")

PAGE_SIZE = 50
MAX_PAGES = 40  # 2,000 papers: far beyond any real day; stops a server that ignores `p`.
HF_WEB = "https://huggingface.co"
MAX_PAGE_BYTES = 20_000_000  # a page of 50 entries is ~100 kB; this is only a guard

# arXiv's identifier schemes (https://info.arxiv.org/help/arxiv_identifier.html): YYMM.NNNN(N)
# since 2007, archive(.SUBJECT-CLASS)/YYMMNNN before; either with an optional version. An id is
# also a file name in the store and part of every URL we build, so nothing else gets through.
ARXIV_ID = re.compile(
    r"(?P<id>\d{4}\.\d{4,5}|[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/\d{7})(?:v(?P<version>\d+))?"
)


def _collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def absolute_url(url: str | None, base: str = HF_WEB) -> str | None:
    if not url:
        return None
    if url.startswith("//"):
        return "https:" + url
    if url.startswith("/"):
        return base.rstrip("/") + url
    return url


class Listing(BaseModel):
    """The day's papers (by votes), the entries skipped as broken, and the raw JSON kept."""

    papers: list[DailyPaper]
    skipped: list[SkippedEntry]
    raw: list[Any]


def arxiv_id_problem(arxiv_id: str) -> str | None:
    if not arxiv_id:
        return "the arXiv id is empty"
    if not ARXIV_ID.fullmatch(arxiv_id):
        return "the id is not an arXiv id (like 2406.01234 or hep-th/9901001)"
    return None


def _thumbnail(url: str | None) -> tuple[str | None, list[Flag]]:
    absolute = absolute_url(url)
    safe = safe_url(absolute)
    if absolute and safe is None:
        detail = f"thumbnail {absolute[:80]!r} is not an https URL: left out"
        return None, [Flag(code="unsafe_url", detail=detail)]
    return safe, []


def normalise(entry: HFDailyEntry) -> DailyPaper:
    paper = entry.paper
    match = ARXIV_ID.fullmatch(paper.id.strip())
    thumbnail, flags = _thumbnail(entry.thumbnail)
    return DailyPaper(
        arxiv_id=match["id"] if match else paper.id.strip(),
        title=_collapse(paper.title),
        upvotes=paper.upvotes,
        authors=[_collapse(a.name) for a in paper.authors if a.name.strip()],
        abstract=_collapse(paper.summary),
        published_at=paper.published_at,
        thumbnail=thumbnail,
        submitter_avatar=absolute_url(
            entry.submitted_by.avatar_url if entry.submitted_by else None
        ),
        num_comments=entry.num_comments,
        flags=flags,
    )


def _entry_name(item: Any) -> str | None:
    paper = item.get("paper") if isinstance(item, dict) else None
    arxiv_id = paper.get("id") if isinstance(paper, dict) else None
    return repr(arxiv_id)[:40] if isinstance(arxiv_id, str) else None


def _validation_reason(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ())) or "entry"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {first.get('msg', 'invalid')}{more}"


def parse_entry(item: Any) -> DailyPaper:
    """One listing entry as a paper; ValueError with one line saying what is broken."""
    try:
        entry = HFDailyEntry.model_validate(item)
    except ValidationError as exc:
        raise ValueError(_validation_reason(exc)) from exc
    problem = arxiv_id_problem(entry.paper.id.strip())
    if problem:
        raise ValueError(problem)
    if not _collapse(entry.paper.title):
        raise ValueError("the title is empty")
    return normalise(entry)


class ListingReader:
    """The listing read a page at a time, as ``parse_listing`` reads it whole: each entry
    validated on its own (a broken one is skipped and named, the others go on), each paper
    once (a paper repeated across pages counts once)."""

    def __init__(self) -> None:
        self.skipped: list[SkippedEntry] = []
        self._seen: set[str] = set()
        self._index = 0

    def read(self, items: Sequence[Any]) -> list[DailyPaper]:
        """The papers of ``items`` not read before, normalised, in the API's order."""
        fresh = []
        for index, item in enumerate(items, start=self._index):
            try:
                paper = parse_entry(item)
            except ValueError as exc:
                name = _entry_name(item)
                self.skipped.append(SkippedEntry(index=index, arxiv_id=name, reason=str(exc)))
                continue
            if paper.arxiv_id not in self._seen:
                self._seen.add(paper.arxiv_id)
                fresh.append(paper)
        self._index += len(items)
        return fresh


def by_votes(papers: Iterable[tuple[int, T]]) -> list[T]:
    """Most upvotes first; equal votes keep the API's order (sorted() is stable)."""
    return [paper for _, paper in sorted(papers, key=lambda voted: -voted[0])]


def parse_listing(raw: list[Any]) -> Listing:
    """Validate each entry on its own, normalise, and sort by upvotes (``ListingReader``)."""
    reader = ListingReader()
    ordered = by_votes((p.upvotes, p) for p in reader.read(raw))
    return Listing(papers=ordered, skipped=reader.skipped, raw=raw)


async def listing_pages(
    client: httpx2.AsyncClient, settings: Settings, date: dt.date
) -> AsyncIterator[list[Any]]:
    """The day's raw JSON, page by page."""
    url = settings.hf_endpoint.rstrip("/") + "/api/daily_papers"
    for page in range(MAX_PAGES):
        params = {"date": date.isoformat(), "p": str(page), "limit": str(PAGE_SIZE)}
        body = await get_bytes(
            client,
            "Hugging Face",
            url,
            params=params,
            attempts=settings.max_attempts,
            max_backoff=settings.max_backoff_s,
            deadline_s=settings.http_deadline_s,
            max_bytes=MAX_PAGE_BYTES,
        )
        try:
            items = json.loads(body)
        except ValueError as exc:
            raise ServiceError("Hugging Face", url, "response is not JSON") from exc
        if not isinstance(items, list):
            raise ServiceError("Hugging Face", url, "response is not a list of papers")
        yield items
        if len(items) < PAGE_SIZE:
            return


async def fetch_listing(client: httpx2.AsyncClient, settings: Settings, date: dt.date) -> list[Any]:
    """All pages of the day's raw JSON."""
    return [item async for page in listing_pages(client, settings, date) for item in page]


async def list_papers(client: httpx2.AsyncClient, settings: Settings, date: dt.date) -> Listing:
    return parse_listing(await fetch_listing(client, settings, date))
