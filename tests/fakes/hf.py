"""A fake of the Hugging Face Daily Papers API: `GET /api/daily_papers?date=&p=&limit=`.

Entries have the full shape huggingface.co serves, unknown fields included, so the client under
test proves it reads only what it needs and ignores the rest.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from .server import FakeServer, RecordedRequest, Reply

DAILY_PAPERS = "/api/daily_papers"
DEFAULT_LIMIT = 50
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _hex_id(*parts: str) -> str:
    """A stable 24-hex-digit id like the Mongo ObjectIds HF uses for `_id`."""
    return hashlib.sha1("|".join(parts).encode()).hexdigest()[:24]


def _author(arxiv_id: str, name: str, index: int) -> dict[str, Any]:
    author: dict[str, Any] = {"_id": _hex_id(arxiv_id, name), "name": name, "hidden": False}
    if index == 0:  # claimed authors carry a nested user record the client must not choke on
        author["status"] = "claimed_verified"
        author["statusLastChangedAt"] = "2024-06-12T08:10:31.914Z"
        author["user"] = {
            "_id": _hex_id("user", name),
            "avatarUrl": f"/avatars/{_hex_id('avatar', name)[:32]}.svg",
            "fullname": name,
            "user": name.lower().replace(" ", ""),
            "type": "user",
        }
    return author


def hf_entry(
    arxiv_id: str,
    title: str,
    upvotes: int,
    authors: list[str],
    abstract: str,
    thumbnail: str | None = None,
    avatar: str | None = None,
    comments: int = 0,
    *,
    published_at: str = "2024-06-11T17:59:56.000Z",
) -> dict[str, Any]:
    """One Daily Papers entry as huggingface.co serves it.

    `thumbnail` and `avatar` default to realistic values (the avatar is a relative `/avatars/...`
    path, as HF sends for users without an uploaded picture); delete the key to test absence.
    """
    submitter = authors[0] if authors else "anonymous"
    paper = {
        "id": arxiv_id,
        "authors": [_author(arxiv_id, name, i) for i, name in enumerate(authors)],
        "mediaUrls": [],
        "publishedAt": published_at,
        "submittedOnDailyAt": "2024-06-12T01:23:45.678Z",
        "title": title,
        "submittedOnDailyBy": {"_id": _hex_id("by", arxiv_id), "fullname": submitter},
        "summary": abstract,
        "upvotes": upvotes,
        "discussionId": _hex_id("discussion", arxiv_id),
        "projectPage": "",
        "githubRepo": "",
        "ai_summary": f"{title} improves on prior work.",
        "ai_keywords": ["transformer", "benchmark"],
        "githubStars": 0,
    }
    return {
        "paper": paper,
        "publishedAt": published_at,
        "title": title,
        "thumbnail": thumbnail
        or f"https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/{arxiv_id}.png",
        "numComments": comments,
        "submittedBy": {
            "_id": _hex_id("by", arxiv_id),
            "avatarUrl": avatar or f"/avatars/{_hex_id('avatar', submitter)[:32]}.svg",
            "isPro": False,
            "fullname": submitter,
            "name": submitter.lower().replace(" ", ""),
            "type": "user",
        },
        "isAuthorParticipating": False,
    }


class FakeHF(FakeServer):
    """Serves the days given to `set_day`; any other date lists no papers (`[]`)."""

    def __init__(self) -> None:
        super().__init__()
        self._days: dict[str, list[dict[str, Any]]] = {}

    def set_day(self, date: str, entries: list[dict[str, Any]]) -> None:
        with self._lock:
            self._days[date] = list(entries)

    def handle(self, request: RecordedRequest) -> Reply:
        if request.method != "GET" or request.path.rstrip("/") != DAILY_PAPERS:
            return Reply(404, {"error": "Sorry, we can't find the page you are looking for."})
        return self._daily_papers(request.query)

    def _daily_papers(self, query: dict[str, str]) -> Reply:
        date = query.get("date") or self._latest_day()
        if date and not _DATE.fullmatch(date):
            return Reply(400, {"error": f'Invalid date "{date}", expected YYYY-MM-DD'})
        try:
            page = int(query.get("p", "0"))
            limit = int(query.get("limit", str(DEFAULT_LIMIT)))
        except ValueError:
            page = limit = -1
        if page < 0 or limit < 1:
            return Reply(400, {"error": "p must be an integer >= 0 and limit one >= 1"})
        with self._lock:
            entries = self._days.get(date, [])
        return Reply(200, entries[page * limit : (page + 1) * limit])

    def _latest_day(self) -> str:
        # Without `date` the real API lists the most recent day.
        with self._lock:
            return max(self._days, default="")
