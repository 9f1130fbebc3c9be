"""Stage 1: the day's papers from the Hugging Face Daily Papers API."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import httpx2
from pydantic import ValidationError

from .config import Settings
from .errors import ServiceError
from .http import get_bytes
from .models import DailyPaper, HFDailyEntry

PAGE_SIZE = 50
MAX_PAGES = 40  # 2,000 papers: far beyond any real day; stops a server that ignores `p`.
HF_WEB = "https://huggingface.co"


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


def normalise(entry: HFDailyEntry) -> DailyPaper:
    paper = entry.paper
    return DailyPaper(
        arxiv_id=paper.id.strip(),
        title=_collapse(paper.title),
        upvotes=paper.upvotes,
        authors=[_collapse(a.name) for a in paper.authors if a.name.strip()],
        abstract=_collapse(paper.summary),
        published_at=paper.published_at,
        thumbnail=absolute_url(entry.thumbnail),
        submitter_avatar=absolute_url(
            entry.submitted_by.avatar_url if entry.submitted_by else None
        ),
        num_comments=entry.num_comments,
    )


def parse_listing(raw: list[Any], url: str) -> list[DailyPaper]:
    """Validate, normalise and sort by upvotes (descending; ties keep the API's order)."""
    try:
        entries = [HFDailyEntry.model_validate(item) for item in raw]
    except ValidationError as exc:
        raise ServiceError("Hugging Face", url, f"unexpected response shape: {exc}") from exc
    papers: dict[str, DailyPaper] = {}
    for entry in entries:
        paper = normalise(entry)
        papers.setdefault(paper.arxiv_id, paper)  # a paper repeated across pages counts once
    # sorted() is stable, so equal votes keep the API's order.
    return sorted(papers.values(), key=lambda p: -p.upvotes)


async def fetch_listing(
    client: httpx2.AsyncClient, settings: Settings, date: dt.date
) -> tuple[list[Any], str]:
    """All pages of the day's raw JSON, and the URL asked (for messages)."""
    url = settings.hf_endpoint.rstrip("/") + "/api/daily_papers"
    raw: list[Any] = []
    for page in range(MAX_PAGES):
        params = {"date": date.isoformat(), "p": str(page), "limit": str(PAGE_SIZE)}
        body = await get_bytes(
            client,
            "Hugging Face",
            url,
            params=params,
            attempts=settings.max_attempts,
            max_backoff=settings.max_backoff_s,
        )
        try:
            items = json.loads(body)
        except ValueError as exc:
            raise ServiceError("Hugging Face", url, "response is not JSON") from exc
        if not isinstance(items, list):
            raise ServiceError("Hugging Face", url, "response is not a list of papers")
        raw.extend(items)
        if len(items) < PAGE_SIZE:
            break
    return raw, f"{url}?date={date.isoformat()}"


async def list_papers(
    client: httpx2.AsyncClient, settings: Settings, date: dt.date
) -> tuple[list[DailyPaper], list[Any]]:
    raw, url = await fetch_listing(client, settings, date)
    return parse_listing(raw, url), raw
